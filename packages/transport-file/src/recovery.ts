/**
 * Finishing or undoing what a crash interrupted in a log directory, at the next start (before the
 * transport writes anything): a segment compression cut short leaves `X.log.gz.tmp` (undone: the
 * `.log` is intact), or both `X.log` and `X.log.gz` (finished: the `.gz` was complete and in place
 * when the crash came, so the `.log` goes, once the `.gz` is checked to hold exactly its bytes).
 * Without this the next verify reads every entry of that segment twice (`duplicated`).
 */
import { readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fsyncDir } from '@auditready/core/spool';
import { isSegmentOf } from './segments.js';

export interface CompressionRecovery {
  /** `.gz.tmp` files of compressions cut short, removed (their `.log` is kept). */
  discarded: string[];
  /** Segments whose `.gz` was complete: the `.log` copy removed. */
  finished: string[];
  /** `.gz` files that did not hold their segment's bytes: set aside, the `.log` kept. */
  setAside: string[];
  /** Closed segments still uncompressed (to compress again when compression is on). */
  uncompressed: string[];
}

function sameBytes(log: string, gz: string): boolean {
  try {
    return gunzipSync(readFileSync(gz)).equals(readFileSync(log));
  } catch {
    return false;
  }
}

export function recoverCompression(dir: string, name: string, stamp: string): CompressionRecovery {
  const r: CompressionRecovery = { discarded: [], finished: [], setAside: [], uncompressed: [] };
  const names = new Set(readdirSync(dir));
  for (const f of names) {
    if (!f.endsWith('.log.gz.tmp') || !isSegmentOf(name, f.slice(0, -'.gz.tmp'.length))) continue;
    unlinkSync(join(dir, f));
    r.discarded.push(f);
  }
  for (const f of [...names].filter((x) => isSegmentOf(name, x) && x.endsWith('.log')).sort()) {
    if (!names.has(`${f}.gz`)) {
      r.uncompressed.push(f);
      continue;
    }
    if (sameBytes(join(dir, f), join(dir, `${f}.gz`))) {
      unlinkSync(join(dir, f));
      r.finished.push(f);
    } else {
      const aside = `${f}.gz.corrupt-${stamp}`;
      renameSync(join(dir, `${f}.gz`), join(dir, aside));
      r.setAside.push(aside);
      r.uncompressed.push(f);
    }
  }
  if (r.discarded.length + r.finished.length + r.setAside.length > 0) fsyncDir(dir);
  return r;
}
