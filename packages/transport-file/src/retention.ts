/**
 * What a retention run removes and how its `retention` record describes it (docs/transport-file.md):
 * the file transport decides when to run, and commits the record before any file goes.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryHead } from './segments.js';

export interface RetentionPolicy {
  /** Keep at most this many closed segments. */
  readonly maxFiles?: number | undefined;
  /** Delete segments last written more than this long ago (ms). */
  readonly maxAgeMs?: number | undefined;
}

/** One removed segment (or one chain's part of it) as the retention record lists it. */
export interface Removed {
  file: string;
  chain: string;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  firstTs: string;
  lastTs: string;
  partial?: true;
}

/**
 * The closed segments (`segs`, oldest first) a run removes: the oldest past `maxFiles`, those last
 * written before `maxAgeMs`; never one that is `busy` (compressed or indexed now: left to the next
 * run) or already `planned` by an earlier run.
 */
export async function doomedSegments(
  dir: string,
  segs: readonly string[],
  policy: RetentionPolicy,
  busy: (file: string) => boolean,
  planned: ReadonlySet<string>,
): Promise<Set<string>> {
  const doomed = new Set<string>();
  if (policy.maxFiles !== undefined && segs.length > policy.maxFiles)
    for (const f of segs.slice(0, segs.length - policy.maxFiles)) if (!busy(f)) doomed.add(f);
  if (policy.maxAgeMs !== undefined) {
    const cutoff = Date.now() - policy.maxAgeMs;
    for (const f of segs) {
      if (planned.has(f)) continue;
      // A segment an earlier run planned may be deleted while this one looks: not an error.
      const st = await stat(join(dir, f)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (st !== undefined && st.mtimeMs < cutoff && !busy(f)) doomed.add(f);
    }
  }
  return doomed;
}

/** How the record describes one removed segment: its range, or each chain's part when a restart falls inside it. */
export function describeRemoved(file: string, first: EntryHead, last: EntryHead): Removed[] {
  if (first.chain === last.chain) {
    return [{ file, chain: first.chain, firstSeq: first.seq, lastSeq: last.seq, lastHash: last.hash, firstTs: first.ts, lastTs: last.ts }];
  }
  return [
    {
      file,
      chain: first.chain,
      firstSeq: first.seq,
      lastSeq: first.seq,
      lastHash: first.hash,
      firstTs: first.ts,
      lastTs: first.ts,
      partial: true,
    },
    { file, chain: last.chain, firstSeq: 0, lastSeq: last.seq, lastHash: last.hash, firstTs: first.ts, lastTs: last.ts, partial: true },
  ];
}

/**
 * The cumulative watermark per chain: everything up to `seq` is gone by retention. The newest
 * retention record always survives (it is written after the segments it removes) and carries the
 * watermark forward, so older retention records may themselves be removed later. Updates `through`
 * with `removed` and returns it as the record lists it.
 */
export function advanceThrough(
  through: Map<string, { seq: number; hash: string }>,
  removed: readonly Removed[],
): { chain: string; seq: number; hash: string }[] {
  for (const r of removed) {
    const w = through.get(r.chain);
    if (!w || r.lastSeq > w.seq) through.set(r.chain, { seq: r.lastSeq, hash: r.lastHash });
  }
  return [...through].map(([chain, w]) => ({ chain, seq: w.seq, hash: w.hash }));
}
