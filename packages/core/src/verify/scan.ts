/**
 * Byte-level reading for the verifier's fast path (entry-scan.ts checks and scans a line), what
 * the line worker answers per line, and torn-write detection.
 */
import { scanEntry } from './entry-check.js';

// ASCII bytes, named.
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]

const NodeBuffer = (globalThis as { Buffer?: { isBuffer(b: unknown): boolean } }).Buffer;

/** ASCII bytes to a string (chain ids, hex hashes, kinds). */
export function ascii(buf: Uint8Array, s: number, e: number): string {
  if (NodeBuffer?.isBuffer(buf)) return (buf as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e);
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i] as number);
  return out;
}

/** Does `b[start, end)` hold exactly the ASCII string `s`? */
export function bytesEqual(b: Uint8Array, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Positions of the top-level members the byte fast path needs (see scanEntry). */
export interface LineScan {
  chainStart: number;
  chainEnd: number;
  seq: number;
  prevStart: number;
  prevEnd: number;
  hashValStart: number;
  hashValEnd: number;
  kidStart: number;
  kidEnd: number;
  /** The `"hash":"…",` member, cut out for hashing. */
  hashStart: number;
  hashEnd: number;
  /** Encrypted content: 1 (enc), 2 (pii), both, or 0. */
  sealed: number;
}

/**
 * The line's chain members when it is a valid canonical entry of a plain kind (entry-scan.ts), in
 * the shared scan object; undefined for anything else: the caller then takes the full path.
 */
export function scanLine(b: Uint8Array, start: number, end: number): LineScan | undefined {
  return scanEntry(b, start, end, SCAN) ? SCAN : undefined;
}

/** One result object, reused: the fast path runs once per line and must not allocate. */
const SCAN: LineScan = {
  chainStart: 0,
  chainEnd: 0,
  seq: 0,
  prevStart: 0,
  prevEnd: 0,
  hashValStart: 0,
  hashValEnd: 0,
  kidStart: -1,
  kidEnd: -1,
  hashStart: 0,
  hashEnd: 0,
  sealed: 0,
};

/**
 * True when `line` is the beginning of a JSON object cut short (a torn write): it opens with `{`
 * and ends inside a string or with an object or array still open. A torn write can end right after
 * a nested value (`..."details":{"i":1}`), so the last character alone does not tell.
 */
export function isJsonPrefix(line: string): boolean {
  const t = line.trimStart();
  if (!t.startsWith('{')) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return inString || depth > 0;
}

const TS_KEY = [0x22, 0x74, 0x73, 0x22, 0x3a, 0x22]; // "ts":"

/**
 * The top-level `ts` of a canonical line from its bytes: members are sorted, so after `ts` comes
 * only `v`, and a quote inside a string value is escaped: the last `"ts":"` is the top-level one.
 */
export function tsOf(buf: Uint8Array, start: number, end: number): string | undefined {
  for (let i = end - TS_KEY.length; i >= start; i--) {
    let k = 0;
    while (k < TS_KEY.length && buf[i + k] === TS_KEY[k]) k++;
    if (k < TS_KEY.length) continue;
    const from = i + TS_KEY.length;
    let to = from;
    while (to < end && buf[to] !== 0x22) to++;
    return ascii(buf, from, to);
  }
  return undefined;
}

/** Numbers per line in a line worker's answer (verify/line-feed.ts): a status, then LineScan's positions. */
export const LINE_WIDTH = 13;
/** Statuses: not a fast-path line; scanned, keyed (the hash is checked by the verifying thread); scanned, hash matches; scanned, hash differs. */
export const LINE_NO_SCAN = 0;
export const LINE_KEYED = 1;
export const LINE_HASH_OK = 2;
export const LINE_HASH_BAD = 3;

/** Writes one line's status and scan at `o`. */
export function writeScan(out: Float64Array, o: number, status: number, r: LineScan | undefined): void {
  out[o] = status;
  if (r === undefined) return;
  out[o + 1] = r.chainStart;
  out[o + 2] = r.chainEnd;
  out[o + 3] = r.seq;
  out[o + 4] = r.prevStart;
  out[o + 5] = r.prevEnd;
  out[o + 6] = r.hashValStart;
  out[o + 7] = r.hashValEnd;
  out[o + 8] = r.kidStart;
  out[o + 9] = r.kidEnd;
  out[o + 10] = r.hashStart;
  out[o + 11] = r.hashEnd;
  out[o + 12] = r.sealed;
}

/** The scan written at `o`, in the shared scan object (undefined for LINE_NO_SCAN). */
export function readScan(res: Float64Array, o: number): LineScan | undefined {
  if (res[o] === LINE_NO_SCAN) return undefined;
  const r = SCAN;
  r.chainStart = res[o + 1] as number;
  r.chainEnd = res[o + 2] as number;
  r.seq = res[o + 3] as number;
  r.prevStart = res[o + 4] as number;
  r.prevEnd = res[o + 5] as number;
  r.hashValStart = res[o + 6] as number;
  r.hashValEnd = res[o + 7] as number;
  r.kidStart = res[o + 8] as number;
  r.kidEnd = res[o + 9] as number;
  r.hashStart = res[o + 10] as number;
  r.hashEnd = res[o + 11] as number;
  r.sealed = res[o + 12] as number;
  return r;
}
