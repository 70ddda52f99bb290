/**
 * Feeding a verifier: whole iterables, NDJSON text, and byte or text streams split into lines.
 */
import { AuditConfigError, AuditInputError } from '../errors.js';
import { feedWithWorker, type LineFeedStats } from './line-feed.js';
import type { Position, VerifyItem, VerifyOptions, VerifyReport } from './types.js';
import { Verifier } from './verifier.js';

const NEWLINE = 0x0a;

/** Throws unless `source` is an iterable (or, when `asyncOk`, an async iterable) other than a string. */
function assertIterable(source: unknown, asyncOk: boolean): void {
  const s = source as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  const ok =
    s !== null &&
    s !== undefined &&
    (typeof s[Symbol.iterator] === 'function' || (asyncOk && typeof s[Symbol.asyncIterator] === 'function'));
  if (!ok || typeof source === 'string')
    throw new AuditInputError(
      `verify: expected an ${asyncOk ? '(async) ' : ''}iterable of lines or entries (use verifyText for a whole text)`,
    );
}

const ENCODER = new TextEncoder();

function toBytes(chunk: unknown): Uint8Array {
  if (typeof chunk === 'string') return ENCODER.encode(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  throw new AuditInputError('verifyStream: chunks must be strings or bytes (Uint8Array / Buffer)');
}

/** The longest line read (bytes); longer ones are reported, not buffered. An entry is far smaller. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface FeedOptions {
  file?: string;
  maxLineBytes?: number;
  /** Also called with each line's bytes (`buf[start, end)`, valid during the call only) after the verifier took it. */
  onLine?: (buf: Uint8Array, start: number, end: number, line: number) => void;
  /**
   * Scan and hash lines on a second core (Node, the built package): large chunks are handed to a
   * worker thread while this one links the lines before them (verify/line-feed.ts). Same report.
   */
  lineWorker?: boolean;
  /** A fixed share of each block for the worker (diagnostics, benchmarks); by default it follows the two threads' balance. */
  workerShare?: number;
  /** Counts the lines the worker scanned, and its share at the end (diagnostics, tests). */
  stats?: LineFeedStats;
}

async function* bytesOf(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const c of chunks as AsyncIterable<string | Uint8Array>) yield toBytes(c);
}

/**
 * Feeds a byte or text stream of NDJSON to a verifier, line by line, with positions relative to
 * `file`. Returns the number of lines read. Used by verifyStream and by tools that verify several
 * files as one log. Memory and time stay bounded on hostile input: a line is kept as its chunks
 * (joined once, when its newline arrives), and a line over `maxLineBytes` is counted and skipped
 * (an `unparseable` break), never held, so a gigabyte without a newline costs one pass.
 */
export async function feedStream(
  verifier: Verifier,
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: FeedOptions = {},
): Promise<number> {
  assertIterable(chunks, true);
  const max = options.maxLineBytes ?? MAX_LINE_BYTES;
  const share = options.workerShare;
  if (share !== undefined && !(typeof share === 'number' && share > 0 && share <= 1))
    throw new AuditConfigError('feedStream: workerShare must be a number in (0, 1]', { path: 'workerShare' });
  if (options.lineWorker !== true) return feedSequential(verifier, chunks, options, max);
  const o = {
    ...(options.file !== undefined ? { file: options.file } : {}),
    max,
    onLine: options.onLine,
    workerShare: options.workerShare,
  };
  return feedWithWorker(verifier, bytesOf(chunks), o, options.stats);
}

async function feedSequential(
  verifier: Verifier,
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: FeedOptions,
  max: number,
): Promise<number> {
  const at = (line: number): Position => (options.file !== undefined ? { file: options.file, line } : { line });
  let parts: Uint8Array[] = [];
  let partsLen = 0;
  /** Bytes of the current line once it is over the limit (then nothing of it is kept). */
  let overlong = -1;
  let lineNo = 0;
  const endLine = (buf: Uint8Array, start: number, end: number) => {
    lineNo++;
    if (overlong >= 0) verifier.pushOverlong(overlong + (end - start), max, at(lineNo));
    else if (partsLen === 0) {
      if (end > start) verifier.pushBytes(buf, start, end, at(lineNo));
      if (end > start) options.onLine?.(buf, start, end, lineNo);
    } else {
      const joined = new Uint8Array(partsLen + (end - start));
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.length;
      }
      joined.set(buf.subarray(start, end), o);
      verifier.pushBytes(joined, 0, joined.length, at(lineNo));
      options.onLine?.(joined, 0, joined.length, lineNo);
    }
    parts = [];
    partsLen = 0;
    overlong = -1;
  };
  for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) {
    const buf = toBytes(chunk);
    let start = 0;
    let nl = buf.indexOf(NEWLINE, start);
    while (nl >= 0) {
      if (overlong < 0 && partsLen + (nl - start) > max) overlong = partsLen;
      endLine(buf, start, nl);
      start = nl + 1;
      nl = buf.indexOf(NEWLINE, start);
    }
    if (start >= buf.length) continue;
    const rest = buf.length - start;
    if (overlong >= 0) overlong += rest;
    else if (partsLen + rest > max) {
      overlong = partsLen + rest;
      parts = [];
      partsLen = 0;
    } else {
      parts.push(buf.subarray(start));
      partsLen += rest;
    }
  }
  if (partsLen > 0 || overlong >= 0) endLine(new Uint8Array(0), 0, 0);
  return lineNo;
}

/** Verifies a whole iterable or async iterable (lines, entries, or { line | entry, file, lineNo }). */
export async function verify(source: Iterable<VerifyItem> | AsyncIterable<VerifyItem>, options: VerifyOptions = {}): Promise<VerifyReport> {
  assertIterable(source, true);
  const v = new Verifier({ parallel: true, ...options });
  for await (const item of source as AsyncIterable<VerifyItem>) v.push(item);
  return v.finishAsync();
}

/** Synchronous form for arrays and other iterables. */
export function verifySync(source: Iterable<VerifyItem>, options: VerifyOptions = {}): VerifyReport {
  assertIterable(source, false);
  const v = new Verifier(options);
  for (const item of source) v.push(item);
  return v.finish();
}

/**
 * Splits a stream of text or byte chunks (a Node Readable, a web ReadableStream, any async
 * iterable of string | Uint8Array) into lines, decoding UTF-8 across chunk boundaries.
 */
export async function* splitLines(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let rest = '';
  for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) {
    if (typeof chunk === 'string') rest += chunk;
    else if (chunk instanceof Uint8Array) rest += decoder.decode(chunk, { stream: true });
    else throw new AuditInputError('verifyStream: chunks must be strings or bytes (Uint8Array / Buffer)');
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

/**
 * Verifies a byte or text stream of NDJSON (e.g. fs.createReadStream('audit.log', { highWaterMark:
 * 1 << 20 })), in constant memory apart from the per-chain window. Positions are 1-based lines of
 * `file`. Large chunks read faster: with createReadStream's default 64 KiB chunks, reading the file
 * costs Node's stream machinery about as much as a quarter of hashing it.
 */
export async function verifyStream(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: VerifyOptions & { file?: string } = {},
): Promise<VerifyReport> {
  assertIterable(chunks, true);
  const v = new Verifier({ parallel: true, ...options });
  await feedStream(v, chunks, { ...(options.file !== undefined ? { file: options.file } : {}), lineWorker: options.parallel !== false });
  return v.finishAsync();
}

/** Verifies NDJSON text (one entry per line), positions relative to `file` when given. */
export function verifyText(text: string, options: VerifyOptions & { file?: string } = {}): VerifyReport {
  if (typeof text !== 'string') throw new AuditInputError('verifyText: expected a string');
  const v = new Verifier(options);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    v.push(line, { ...(options.file !== undefined ? { file: options.file } : {}), line: i + 1 });
  });
  return v.finish();
}
