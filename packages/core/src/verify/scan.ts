/**
 * Byte-level JSON scanning for the verifier's fast path, and torn-write detection. Nothing here
 * parses a whole entry: it finds where the top-level members the chain needs start and end.
 */

// ASCII bytes, named.
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const COLON = 0x3a; // :
const COMMA = 0x2c; // ,
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;

/** Kinds whose records carry nothing the verifier must read (genesis, recovered, gap, retention, checkpoint, epoch do). */
const PLAIN_KINDS = ['access', 'event', 'clock', 'rejected', 'notice', 'heartbeat'];

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

/** The index after the string that opens at `i`, or -1. */
function skipString(b: Uint8Array, i: number, end: number): number {
  // A plain loop: TypedArray#indexOf is slower than this for the short strings of an entry.
  for (let j = i + 1; j < end; j++) {
    const c = b[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/** The index after the value that starts at `i` (string, object, array or scalar), or -1. */
function skipValue(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const d = b[j];
      if (d === QUOTE) {
        j = skipString(b, j, end) - 1;
        if (j < 0) return -1;
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < end) {
    const d = b[j];
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET) break;
    j++;
  }
  return j > i ? j : -1;
}

/** Positions of the top-level members the byte fast path needs (see scanLine). */
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
};

/** Is the key at `b[i]` (its opening quote) exactly `name`? */
function keyIs(b: Uint8Array, i: number, keyLen: number, name: string): boolean {
  return keyLen === name.length && bytesEqual(b, i + 1, i + 1 + keyLen, name);
}

/** Reads a non-negative decimal integer (at most 2^53 - 1), or -1. */
function readUint(b: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let j = start; j < end; j++) {
    const d = (b[j] as number) - DIGIT_0;
    if (d < 0 || d > 9 || n > 900719925474099) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Reads the top-level members of a line that looks canonical, without parsing nested content,
 * recording positions only (no strings are made). Returns the shared scan object, or undefined
 * for anything unusual (a non-plain kind, a member out of shape): the caller then takes the full
 * path.
 */
export function scanLine(b: Uint8Array, start: number, end: number): LineScan | undefined {
  if (end - start < 2 || b[start] !== OPEN_BRACE || b[end - 1] !== CLOSE_BRACE) return undefined;
  const r = SCAN;
  r.chainStart = -1;
  r.seq = -1;
  r.prevStart = -1;
  r.hashValStart = -1;
  r.kidStart = -1;
  r.kidEnd = -1;
  let kindOk = false;
  let v = false;
  let i = start + 1;
  while (i < end - 1) {
    if (b[i] !== QUOTE) return undefined;
    const keyEnd = skipString(b, i, end);
    if (keyEnd < 0 || b[keyEnd] !== COLON) return undefined;
    const keyLen = keyEnd - i - 2;
    const vStart = keyEnd + 1;
    const vEnd = skipValue(b, vStart, end);
    if (vEnd < 0) return undefined;
    if (keyIs(b, i, keyLen, 'chain')) {
      r.chainStart = vStart + 1;
      r.chainEnd = vEnd - 1;
    } else if (keyIs(b, i, keyLen, 'seq')) {
      r.seq = readUint(b, vStart, vEnd);
      if (r.seq < 0) return undefined;
    } else if (keyIs(b, i, keyLen, 'prev')) {
      r.prevStart = vStart + 1;
      r.prevEnd = vEnd - 1;
    } else if (keyIs(b, i, keyLen, 'hash')) {
      r.hashValStart = vStart + 1;
      r.hashValEnd = vEnd - 1;
      r.hashStart = i;
      r.hashEnd = vEnd + 1;
    } else if (keyIs(b, i, keyLen, 'kid')) {
      r.kidStart = vStart + 1;
      r.kidEnd = vEnd - 1;
    } else if (keyIs(b, i, keyLen, 'kind')) {
      for (const k of PLAIN_KINDS) if (bytesEqual(b, vStart + 1, vEnd - 1, k)) kindOk = true;
    } else if (keyIs(b, i, keyLen, 'v')) v = vEnd - vStart === 1 && b[vStart] === DIGIT_1;
    const sep = b[vEnd];
    if (sep === COMMA) i = vEnd + 1;
    else if (vEnd === end - 1) break;
    else return undefined;
  }
  if (
    !v ||
    !kindOk ||
    r.chainStart < 0 ||
    r.seq < 0 ||
    r.prevStart < 0 ||
    r.hashValStart < 0 ||
    r.hashValEnd - r.hashValStart !== 64 ||
    r.hashEnd > end - 1
  )
    return undefined;
  return r;
}

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
export const LINE_WIDTH = 12;
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
  return r;
}
