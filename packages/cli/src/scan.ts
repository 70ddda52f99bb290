/**
 * Scanning bytes before parsing (issue #18): a query's filters give byte strings that any matching
 * line must contain (the JSON form of the actor id, `"action":"invoice.read"`, `"outcome":"denied"`
 * ...), and its time window is read from the end of a canonical line. Only lines that pass are
 * parsed and tested by the full predicate, so a selective query runs at memory-search speed, and
 * the byte tests are necessary conditions only: the predicate still decides.
 */
import { open } from 'node:fs/promises';
import type { QueryFilters } from './query-command.js';

const NL = 0x0a;

/** Groups of byte strings: a line must contain one string of every group. */
export interface LineFilter {
  groups: Buffer[][];
  /** Time window, as canonical timestamps (27 characters, microseconds, Z) for byte comparison. */
  since?: string;
  until?: string;
}

const jsonString = (s: string) => JSON.stringify(s);

/** The longest run of literal text in a glob (`*` wildcards), JSON-escaped, unquoted. */
function globLiteral(pattern: string): string | undefined {
  const parts = pattern.split('*').filter((p) => p.length > 0);
  if (parts.length === 0) return undefined;
  const longest = parts.reduce((a, b) => (b.length > a.length ? b : a));
  return jsonString(longest).slice(1, -1);
}

/** `"key":"value"` for a literal, the value's longest literal run for a glob. */
function keyed(key: string, pattern: string): string | undefined {
  if (!pattern.includes('*')) return `"${key}":${jsonString(pattern)}`;
  return globLiteral(pattern);
}

/** A whole JSON string for a literal (wherever it sits), the longest literal run for a glob. */
function anywhere(pattern: string): string | undefined {
  return pattern.includes('*') ? globLiteral(pattern) : jsonString(pattern);
}

/** RFC 3339 time as the logger writes it (six fractional digits), for byte-order comparison. */
function canonicalTs(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-01T00:00:00.000Z
  return `${iso.slice(0, 23)}000Z`;
}

export function lineFilterOf(f: QueryFilters, since: number | undefined, until: number | undefined): LineFilter {
  const groups: (string | undefined)[][] = [];
  if (f.actor !== undefined) groups.push([anywhere(f.actor)]);
  if (f.action !== undefined) groups.push([keyed('action', f.action)]);
  if (f.resource !== undefined) {
    const [type, id] = f.resource.split(':', 2) as [string, string | undefined];
    groups.push([keyed('type', type)]);
    if (id !== undefined) groups.push([keyed('id', id)]);
  }
  if (f.outcome !== undefined) groups.push(f.outcome.split(',').map((o) => `"outcome":${jsonString(o)}`));
  if (f.status !== undefined)
    groups.push(
      f.status.split(',').map((s) => {
        const m = /^([1-5])xx$/i.exec(s);
        return m ? `"status":${m[1]}` : /^\d{3}$/.test(s) ? `"status":${s}` : undefined;
      }),
    );
  if (f.requestId !== undefined) groups.push([anywhere(f.requestId)]);
  if (f.traceId !== undefined) groups.push([`"traceId":${jsonString(f.traceId)}`]);
  if (f.kind !== undefined) groups.push(f.kind.split(',').map((k) => `"kind":${jsonString(k)}`));
  if (f.service !== undefined) groups.push([keyed('name', f.service)]);
  // A group with a member that says nothing (a bare `*`) cannot exclude a line: dropped.
  const usable = groups.filter((g) => g.every((x) => x !== undefined && x.length > 0)) as string[][];
  return {
    groups: usable.map((g) => g.map((x) => Buffer.from(x, 'utf8'))),
    ...(since !== undefined ? { since: canonicalTs(since) } : {}),
    ...(until !== undefined ? { until: canonicalTs(until) } : {}),
  };
}

const TS_TAIL = /"ts":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)","v":\d+\}$/;

/** False when the line certainly cannot match; true when it may (the predicate decides). */
export function mayMatch(f: LineFilter, buf: Buffer, start: number, end: number, skipGroup = -1): boolean {
  if (f.groups.length > 0) {
    const line = buf.subarray(start, end);
    for (let g = 0; g < f.groups.length; g++) {
      if (g === skipGroup) continue;
      const group = f.groups[g] as Buffer[];
      let found = false;
      for (const n of group)
        if (line.indexOf(n) >= 0) {
          found = true;
          break;
        }
      if (!found) return false;
    }
  }
  if (f.since !== undefined || f.until !== undefined) {
    // The top-level ts is the last member but v in a canonical line; anything else: the predicate decides.
    const m = TS_TAIL.exec(buf.toString('latin1', Math.max(start, end - 48), end));
    if (m) {
      const ts = m[1] as string;
      if ((f.since !== undefined && ts < f.since) || (f.until !== undefined && ts >= f.until)) return false;
    }
  }
  return true;
}

/**
 * Calls `onLine` for every complete line of the stream that may match (`[start, end)` of `buf`,
 * valid during the call); it returns false to stop. With a single-string group, the scan jumps
 * from one occurrence of that string to the next (the rarest-looking one: the longest), skipping
 * the lines between without looking at them.
 */
export async function scanLines(
  chunks: AsyncIterable<Uint8Array>,
  f: LineFilter,
  onLine: (buf: Buffer, start: number, end: number) => boolean,
  /** Awaited after each chunk (to flush output with backpressure). */
  afterChunk?: () => Promise<void>,
): Promise<void> {
  const anchor = anchorOf(f);
  const needle = anchor >= 0 ? ((f.groups[anchor] as Buffer[])[0] as Buffer) : undefined;
  let carry: Buffer | undefined;
  for await (const chunk of chunks) {
    const raw = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    if (carry) {
      // Only the line that straddles the chunks is joined; the rest is scanned in place.
      const nl = raw.indexOf(NL);
      if (nl < 0) {
        carry = Buffer.concat([carry, raw]);
        continue;
      }
      const joined = Buffer.concat([carry, raw.subarray(0, nl + 1)]);
      carry = undefined;
      if (!scanComplete(joined, joined.length - 1, f, needle, anchor, onLine)) return;
      from = nl + 1;
    }
    const last = raw.lastIndexOf(NL);
    if (last < from) {
      carry = from < raw.length ? Buffer.from(raw.subarray(from)) : undefined;
      continue;
    }
    if (!scanComplete(from === 0 ? raw : raw.subarray(from), last - from, f, needle, anchor, onLine)) return;
    carry = last + 1 < raw.length ? Buffer.from(raw.subarray(last + 1)) : undefined;
    await afterChunk?.();
  }
  if (carry && carry.length > 0) {
    const buf = Buffer.concat([carry, Buffer.from([NL])]);
    scanComplete(buf, buf.length - 1, f, needle, anchor, onLine);
  }
}

/** Plain-file blocks for scanFile (AUDITREADY_QUERY_BLOCK_BYTES sets it, as for parallel-scan.ts). */
const FILE_BLOCK = Number(process.env.AUDITREADY_QUERY_BLOCK_BYTES ?? 8 * 1024 * 1024);

/**
 * scanLines for a plain file, read into two buffers used in turn: the next block is read (in
 * libuv's thread pool) while this one is scanned, and nothing is allocated per block (a stream
 * allocates a buffer per chunk: on a 700 MB file, a sixth of the time went to the garbage collector).
 */
export async function scanFile(
  path: string,
  f: LineFilter,
  onLine: (buf: Buffer, start: number, end: number) => boolean,
  afterChunk?: () => Promise<void>,
  blockBytes = FILE_BLOCK,
): Promise<void> {
  const anchor = anchorOf(f);
  const needle = anchor >= 0 ? ((f.groups[anchor] as Buffer[])[0] as Buffer) : undefined;
  const fh = await open(path, 'r');
  try {
    let size = blockBytes;
    let bufs = [Buffer.allocUnsafe(size + 1), Buffer.allocUnsafe(size + 1)];
    let cur = 0;
    let pos = 0;
    /** Bytes at the start of the current buffer carried over from the previous block (a partial line). */
    let carried = 0;
    let reading = fh.read(bufs[0] as Buffer, 0, size, 0);
    for (;;) {
      const { bytesRead } = await reading;
      const buf = bufs[cur] as Buffer;
      const len = carried + bytesRead;
      pos += bytesRead;
      if (bytesRead === 0) {
        if (len > 0) {
          buf[len] = NL; // the last line, unterminated (the buffer has room for it)
          scanComplete(buf.subarray(0, len + 1), len, f, needle, anchor, onLine);
        }
        return;
      }
      const last = buf.lastIndexOf(NL, len - 1);
      if (last < 0) {
        // A line longer than the block: grow both buffers and read on.
        size *= 2;
        const grown = Buffer.allocUnsafe(size + 1);
        buf.copy(grown, 0, 0, len);
        bufs = cur === 0 ? [grown, Buffer.allocUnsafe(size + 1)] : [Buffer.allocUnsafe(size + 1), grown];
        carried = len;
        reading = fh.read(grown, carried, size - carried, pos);
        continue;
      }
      // The partial line after the last newline starts the next buffer; its read starts now.
      const next = bufs[1 - cur] as Buffer;
      carried = buf.copy(next, 0, last + 1, len);
      reading = fh.read(next, carried, size - carried, pos);
      if (!scanComplete(buf.subarray(0, last + 1), last, f, needle, anchor, onLine)) {
        await reading.catch(() => undefined);
        return;
      }
      await afterChunk?.();
      cur = 1 - cur;
    }
  } finally {
    await fh.close();
  }
}

function anchorOf(f: LineFilter): number {
  let anchor = -1;
  for (let g = 0; g < f.groups.length; g++) {
    const group = f.groups[g] as Buffer[];
    if (group.length === 1 && (anchor < 0 || (group[0] as Buffer).length > ((f.groups[anchor] as Buffer[])[0] as Buffer).length))
      anchor = g;
  }
  return anchor;
}

/** A needle this long makes a scan selective (AUDITREADY_QUERY_SELECTIVE_BYTES sets it: tests force both cores). */
const SELECTIVE_BYTES = Number(process.env.AUDITREADY_QUERY_SELECTIVE_BYTES ?? 6);

/**
 * True when the scan can jump from one occurrence of a distinctive byte string to the next (a
 * selective query): memory search then dominates and a second core costs more than it saves.
 */
export function isSelective(f: LineFilter): boolean {
  const anchor = anchorOf(f);
  return anchor >= 0 && ((f.groups[anchor] as Buffer[])[0] as Buffer).length >= SELECTIVE_BYTES;
}

/** Every line of a block that ends with a newline (a block of parallel-scan.ts). */
export function scanBlock(buf: Buffer, f: LineFilter, onLine: (buf: Buffer, start: number, end: number) => boolean): void {
  const anchor = anchorOf(f);
  const needle = anchor >= 0 ? ((f.groups[anchor] as Buffer[])[0] as Buffer) : undefined;
  const last = buf.lastIndexOf(NL);
  if (last >= 0) scanComplete(buf, last, f, needle, anchor, onLine);
}

/** The complete lines of buf[0, last]; false when onLine asked to stop. */
function scanComplete(
  buf: Buffer,
  last: number,
  f: LineFilter,
  needle: Buffer | undefined,
  anchor: number,
  onLine: (buf: Buffer, start: number, end: number) => boolean,
): boolean {
  if (needle) {
    let pos = buf.indexOf(needle, 0);
    while (pos >= 0 && pos < last) {
      const start = buf.lastIndexOf(NL, pos) + 1;
      const end = buf.indexOf(NL, pos);
      if (mayMatch(f, buf, start, end, anchor) && !onLine(buf, start, end)) return false;
      pos = buf.indexOf(needle, end + 1);
    }
    return true;
  }
  let start = 0;
  while (start <= last) {
    const end = buf.indexOf(NL, start);
    if (end > start && mayMatch(f, buf, start, end) && !onLine(buf, start, end)) return false;
    start = end + 1;
  }
  return true;
}

/** Output gathered in memory and written in large pieces, waiting when the reader is slower. */
export class BufferedOutput {
  readonly #out: NodeJS.WritableStream;
  #parts: string[] = [];
  #size = 0;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  push(s: string): void {
    this.#parts.push(s);
    this.#size += s.length;
  }

  async flush(): Promise<void> {
    if (this.#size === 0) return;
    const text = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    if (this.#out.write(text)) return;
    // A slow reader: wait until it drains (or goes away: a closed pipe ends the wait too).
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#out.off('drain', done);
        this.#out.off('close', done);
        this.#out.off('error', done);
        resolve();
      };
      this.#out.once('drain', done);
      this.#out.once('close', done);
      this.#out.once('error', done);
    });
  }
}
