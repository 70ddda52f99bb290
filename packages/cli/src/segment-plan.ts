/**
 * Which segments of an archive a query must read (docs/spec/segment-index.md). A segment's index
 * sidecar is trusted only through the log: the newest segments (read in any case) hold `notice`
 * records committing the SHA-256 of the sidecar before them, and each trusted sidecar lists the
 * commitments inside its own segment, and so on back. A sidecar that is missing costs a full read
 * of its segment; one that matches no commitment (forged, stale, from another log) is not used,
 * and is reported: it cannot hide an entry.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type AuditEntry,
  blockMayMatch,
  filtersMayMatch,
  type IndexCriteria,
  type SegmentBlocks,
  type SegmentIndex,
  segmentMayMatch,
} from '@auditready/core';
import { type InputFile, openBytes } from './inputs.js';
import type { QueryFilters } from './query-command.js';
import { scanLines } from './scan.js';

export interface SegmentPlan {
  read: InputFile[];
  skipped: InputFile[];
  /** Sidecars not used, with why. */
  distrusted: string[];
  /** The trusted sidecars of the skipped segments, with their SHA-256. */
  indexes: Map<InputFile, TrustedIndex>;
}

export interface TrustedIndex {
  index: SegmentIndex;
  sha256: string;
}

export interface PlanOptions {
  /** Read only the blocks that may match (default true); false: whole segments (verify). */
  blocks?: boolean;
  /** Which index notices read from segments count (default all): verify trusts only those a commitment covers. */
  acceptNotice?: (e: AuditEntry) => boolean;
}

const literal = (s: string | undefined) => (s !== undefined && !s.includes('*') ? s : undefined);

/** The filters the index can decide on (literal values only), or undefined when none. */
export function indexCriteria(f: QueryFilters, since: number | undefined, until: number | undefined): IndexCriteria | undefined {
  const q: IndexCriteria = {};
  const actor = literal(f.actor);
  if (actor !== undefined) q.actor = actor;
  const action = literal(f.action);
  if (action !== undefined) q.action = action;
  const resource = literal(f.resource);
  if (resource !== undefined) q.resource = resource;
  if (f.outcome !== undefined) q.outcomes = f.outcome.split(',');
  if (f.status !== undefined) q.statuses = f.status.split(',');
  if (f.kind !== undefined) q.kinds = f.kind.split(',');
  const service = literal(f.service);
  if (service !== undefined) q.service = service;
  if (since !== undefined) q.since = since;
  if (until !== undefined) q.until = until;
  return Object.keys(q).length > 0 ? q : undefined;
}

const COMMIT = { groups: [[Buffer.from('"index":{"segment":')]] };

/** The index commitments a segment holds (its `notice` records naming a sidecar). */
async function commitmentsIn(f: InputFile, accept: (e: AuditEntry) => boolean): Promise<{ segment: string; sha256: string }[]> {
  const out: { segment: string; sha256: string }[] = [];
  await scanLines(
    openBytes(f, () => {}),
    COMMIT,
    (buf, s, e) => {
      try {
        const entry = JSON.parse(buf.toString('utf8', s, e)) as AuditEntry;
        const ix = (entry.details as { index?: { segment?: unknown; sha256?: unknown } } | undefined)?.index;
        if (entry.kind === 'notice' && typeof ix?.segment === 'string' && typeof ix.sha256 === 'string' && accept(entry))
          out.push({ segment: ix.segment, sha256: ix.sha256 });
      } catch {
        // not an entry
      }
      return true;
    },
  );
  return out;
}

/** Selected blocks read into memory at most (larger selections read the file as a stream). */
const MAX_RANGE_BYTES = 32 * 1024 * 1024;

/** The segment's blocks file, when there is one and its sidecar's commitment holds. */
function readBlocks(dir: string, f: InputFile, ix: SegmentIndex, distrusted: string[]): SegmentBlocks | undefined {
  if (!ix.blocks) return undefined;
  let text: string;
  try {
    text = readFileSync(join(dir, basename(ix.blocks.file)), 'utf8');
  } catch {
    return undefined; // derived data: without it, only speed is lost
  }
  if (createHash('sha256').update(text).digest('hex') !== ix.blocks.sha256) {
    distrusted.push(`${f.display}: its blocks file does not match its index's commitment to it (forged or stale): read in full`);
    return undefined;
  }
  return JSON.parse(text) as SegmentBlocks;
}

/**
 * The blocks of a segment that may match, or undefined when the file is to be read in full (its
 * blocks describe another form or size of the file, or most of the file is selected).
 */
function blockRanges(f: InputFile, b: SegmentBlocks, criteria: IndexCriteria): { at: number; bytes: number }[] | undefined {
  if (b.form !== (f.path.endsWith('.gz') ? 'gzip' : 'plain') || b.fileBytes !== f.bytes) return undefined;
  const ranges: { at: number; bytes: number }[] = [];
  let total = 0;
  for (const block of b.blocks) {
    if (!blockMayMatch(block, criteria)) continue;
    const last = ranges[ranges.length - 1];
    // Adjacent plain blocks are one read; gzip members are decompressed one by one.
    if (last && b.form === 'plain' && last.at + last.bytes === block.at) last.bytes += block.bytes;
    else ranges.push({ at: block.at, bytes: block.bytes });
    total += block.bytes;
  }
  return total > MAX_RANGE_BYTES || total > f.bytes / 2 ? undefined : ranges;
}

export async function planSegments(
  files: readonly InputFile[],
  criteria: IndexCriteria | undefined,
  o: PlanOptions = {},
): Promise<SegmentPlan> {
  const indexes = new Map<InputFile, TrustedIndex>();
  if (!criteria) return { read: [...files], skipped: [], distrusted: [], indexes };
  const skip = new Set<InputFile>();
  const narrowed = new Map<InputFile, { at: number; bytes: number }[]>();
  const distrusted: string[] = [];
  const groups = new Map<string, InputFile[]>();
  for (const f of files) {
    if (f.path === '-') continue;
    const d = dirname(f.path);
    groups.set(d, [...(groups.get(d) ?? []), f]);
  }
  for (const [dir, group] of groups) {
    // Newest first: commitments to a sidecar are in the segments after it.
    const trusted = new Map<string, string>();
    const trust = (c: { segment: string; sha256: string }) => {
      if (!trusted.has(c.segment)) trusted.set(c.segment, c.sha256);
    };
    const sidecarOf = (f: InputFile) => join(dir, `${basename(f.path).replace(/\.gz$/, '')}.idx.json`);
    const indexed = group.map((f) => existsSync(sidecarOf(f)));
    for (let i = group.length - 1; i >= 0; i--) {
      // No sidecar here or before: nothing left to trust, and no segment need be scanned for commitments.
      if (!indexed.slice(0, i + 1).includes(true)) break;
      const f = group[i] as InputFile;
      const seg = basename(f.path).replace(/\.gz$/, '');
      const sidecar = sidecarOf(f);
      if (indexed[i]) {
        const text = readFileSync(sidecar, 'utf8');
        const committed = trusted.get(seg);
        if (committed !== undefined && committed === createHash('sha256').update(text).digest('hex')) {
          const sha256 = committed;
          const ix = JSON.parse(text) as SegmentIndex;
          for (const c of ix.commits) trust(c);
          // The blocks file holds the segment's membership filters and its blocks: read when needed.
          const may = segmentMayMatch(ix, criteria);
          const filtered = criteria.actor !== undefined || criteria.action !== undefined || criteria.resource !== undefined;
          const blocks = may && (filtered || o.blocks !== false) ? readBlocks(dir, f, ix, distrusted) : undefined;
          const ranges = blocks && o.blocks !== false ? blockRanges(f, blocks, criteria) : undefined;
          if (!may || (blocks && !filtersMayMatch(blocks, criteria)) || ranges?.length === 0) {
            skip.add(f);
            indexes.set(f, { index: ix, sha256 });
          } else if (ranges) narrowed.set(f, ranges);
          continue;
        }
        distrusted.push(
          `${f.display}: its index ${committed === undefined ? 'is committed nowhere in the log read' : "does not match the log's commitment to it (forged or stale)"}: read in full`,
        );
      }
      for (const c of await commitmentsIn(f, o.acceptNotice ?? (() => true))) trust(c);
    }
  }
  return {
    read: files
      .filter((f) => !skip.has(f))
      .map((f) => (narrowed.has(f) ? { ...f, ranges: narrowed.get(f) as { at: number; bytes: number }[] } : f)),
    skipped: files.filter((f) => skip.has(f)),
    distrusted,
    indexes,
  };
}
