/**
 * Segment files: naming, listing, and reading the first and last entry of a segment (plain or
 * gzip) without loading more than needed.
 *
 *   <name>.log                             the active file (sorts after every segment)
 *   <name>-<YYYYMMDDTHHMMSSffffffZ>.log     a closed segment, stamped with its first entry's ts
 *   <name>-<stamp>.log.gz                   a compressed segment
 *   <name>-<stamp>-<n>.log[.gz]             on a stamp collision
 *
 * Name order is chronological order, which is the order verifiers read segments in.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface EntryHead {
  chain: string;
  seq: number;
  hash: string;
  ts: string;
}

export function activeName(name: string): string {
  return `${name}.log`;
}

/** `2026-11-27T03:52:31.123456Z` -> `20261127T035231123456Z` */
export function stampOf(ts: string): string {
  return ts.replace(/[-:.]/g, '');
}

export function isSegmentOf(name: string, file: string): boolean {
  return (
    file.startsWith(`${name}-`) && (file.endsWith('.log') || file.endsWith('.log.gz')) && /^\d{8}T\d{12}Z/.test(file.slice(name.length + 1))
  );
}

/** Closed segments of `name` in `dir`, oldest first. */
export function listSegments(dir: string, name: string): string[] {
  return readdirSync(dir)
    .filter((f) => isSegmentOf(name, f))
    .sort();
}

function headOf(line: string): EntryHead | undefined {
  try {
    const e = JSON.parse(line) as Partial<EntryHead>;
    if (typeof e.chain === 'string' && Number.isSafeInteger(e.seq) && typeof e.hash === 'string' && /^[0-9a-f]{64}$/.test(e.hash)) {
      return { chain: e.chain, seq: e.seq as number, hash: e.hash, ts: typeof e.ts === 'string' ? e.ts : '' };
    }
  } catch {
    // not an entry
  }
  return undefined;
}

export interface TailScan {
  /** The last complete line that is an entry. */
  last: EntryHead | undefined;
  /** Byte offset just past that line's newline: everything after it is damage (a torn write). */
  goodEnd: number;
  size: number;
}

/**
 * Scans a plain file from its end for the last complete, parseable entry. Reads in growing windows,
 * so a file of any size costs about one window.
 */
export function scanTail(path: string): TailScan {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { last: undefined, goodEnd: 0, size: 0 };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    let window = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - window);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      // Walk complete lines backwards (a line is complete when a newline ends it).
      let end = buf.lastIndexOf(0x0a);
      while (end >= 0) {
        const prevNl = end === 0 ? -1 : buf.lastIndexOf(0x0a, end - 1);
        if (prevNl < 0 && start > 0) break; // the line may begin before this window
        const head = headOf(buf.subarray(prevNl + 1, end).toString('utf8'));
        if (head) return { last: head, goodEnd: start + end + 1, size };
        end = prevNl;
      }
      if (start === 0) return { last: undefined, goodEnd: 0, size };
      window *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** First and last entries of a segment (gzip segments are decompressed; plain ones read at the ends). */
export function segmentBounds(path: string): { first: EntryHead | undefined; last: EntryHead | undefined } {
  if (path.endsWith('.gz')) {
    const text = gunzipSync(readFileSync(path)).toString('utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    let first: EntryHead | undefined;
    for (const l of lines) if ((first = headOf(l))) break;
    let last: EntryHead | undefined;
    for (let i = lines.length - 1; i >= 0 && !last; i--) last = headOf(lines[i] as string);
    return { first, last };
  }
  const fd = openSync(path, 'r');
  let first: EntryHead | undefined;
  try {
    const buf = Buffer.alloc(Math.min(fstatSync(fd).size, 1024 * 1024));
    readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.indexOf(0x0a);
    first = headOf(buf.subarray(0, nl < 0 ? buf.length : nl).toString('utf8'));
  } finally {
    closeSync(fd);
  }
  return { first, last: scanTail(path).last };
}

export function segmentPath(dir: string, file: string): string {
  return join(dir, file);
}

/** A plain file's lines from last to first, read from the end in 1 MiB windows. */
function* reverseLines(path: string): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    let pos = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    while (pos > 0) {
      const n = Math.min(1 << 20, pos);
      pos -= n;
      const buf = Buffer.alloc(n);
      readSync(fd, buf, 0, n, pos);
      const chunk = carry.length > 0 ? Buffer.concat([buf, carry]) : buf;
      let end = chunk.length;
      for (let i = end > 0 ? chunk.lastIndexOf(0x0a, end - 1) : -1; i >= 0; i = end > 0 ? chunk.lastIndexOf(0x0a, end - 1) : -1) {
        if (end > i + 1) yield chunk.toString('utf8', i + 1, end);
        end = i;
      }
      carry = chunk.subarray(0, end);
    }
    if (carry.length > 0) yield carry.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The log's lines newest first: the active file, then the closed segments, newest first (what
 * core's resumeTree() reads back to the newest checkpoint record when a logger with checkpoints
 * resumes the chain). Stops reading where the caller stops.
 */
export function* linesNewestFirst(dir: string, name: string): Generator<string> {
  yield* reverseLines(join(dir, activeName(name)));
  for (const f of listSegments(dir, name).reverse()) {
    const path = join(dir, f);
    if (!f.endsWith('.gz')) {
      yield* reverseLines(path);
      continue;
    }
    let lines: string[];
    try {
      lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
    } catch {
      return; // unreadable: the tree cannot be recovered from here
    }
    for (let i = lines.length - 1; i >= 0; i--) if (lines[i] !== '') yield lines[i] as string;
  }
}
