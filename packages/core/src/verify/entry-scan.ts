/**
 * The byte check of a line (entry-check.ts says what it must accept), read by walking the
 * compiled schema (schema-bytes.ts): valid UTF-8, JSON in canonical form (no whitespace, keys
 * sorted and unique, numbers as ECMAScript writes them, strings escaped as JSON.stringify escapes
 * them) and the entry schema, in one pass, noting where each top-level member is. Anything it is
 * unsure of (escaped keys, keys that sort differently in UTF-8 and UTF-16, deep nesting) makes it
 * answer no. This walk is the reference; entry-scan-gen.ts compiles the same checks into code for
 * the schema's own objects and calls back here for everything else.
 */

import { digitsEnd, escapeLength, latin1, plainDecimal, utf8Length } from './json-bytes.js';
import {
  K_ANY,
  K_ARRAY,
  K_CONST,
  K_ENUM,
  K_INTEGER,
  K_NEVER,
  K_NUMBER,
  K_OBJECT,
  K_STRING,
  type PatternStep,
  type SchemaNode,
} from './schema-bytes.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;

/** Nesting deeper than this is left to the full path (the canonical form refuses more than 100 levels). */
const MAX_DEPTH = 64;
const LITERALS = ['true', 'false', 'null'].map((k) => new TextEncoder().encode(k));
const UTF8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

// The line being read: its bytes, where reading is, where it ends. Module state: no allocation per value.
let B: Uint8Array = new Uint8Array(0);

let P = 0;
let E = 0;
/** The last string read: its closing quote; no escapes; ASCII only. */
let strEnd = 0;
let strPlain = true;
let strAscii = true;
/** Top-level members: key quote, value start, value end (three numbers per property index). */
export const TOP = new Float64Array(3 * 32);
let topPresent = 0;

/**
 * The byte at `i`, for a one-byte look at what comes next; unchecked against E on purpose (every
 * loop is bounded by E): a look past E either fails or takes the byte, moving P past E, and a line
 * is taken only when reading ends exactly at E. Past the buffer, undefined fails every comparison.
 */
function at(i: number): number {
  return B[i] as number;
}

/** 1 for bytes that stand for themselves in a canonical JSON string: printable ASCII but `"` and `\\`. */
export const PLAIN = new Uint8Array(256).map((_, c) => ((c >= 0x20 && c < 0x7f && c !== QUOTE && c !== BACKSLASH) || c === 0x7f ? 1 : 0));

/** Reads the string at P (its opening quote). Returns its length in code points (as the schema counts), or -1. */
function str(): number {
  const b = B;
  const e = E;
  const s = P + 1;
  let i = s;
  let extra = 0;
  let plain = true;
  let asc = true;
  for (;;) {
    while (i < e && PLAIN[b[i] as number] === 1) i++;
    if (i >= e) return -1;
    const c = b[i] as number;
    if (c === QUOTE) break;
    // An escape, or UTF-8 (utf8() refuses control characters, which JSON wants escaped).
    const l = c === BACKSLASH ? escapeLength(b, i, e) : utf8Length(b, i, e);
    if (l < 0) return -1;
    if (c === BACKSLASH) plain = false;
    else asc = false;
    extra += l - 1;
    i += l;
  }
  strEnd = i;
  strPlain = plain;
  strAscii = asc;
  P = i + 1;
  return i - s - extra;
}

/** Reads the number at P; NaN unless it is JSON written as ECMAScript writes it (the canonical form). */
function num(): number {
  const s = P;
  let i = s;
  if (at(i) === MINUS) i++;
  const c = at(i);
  if (c === DIGIT_0) i++;
  else if (c >= DIGIT_1 && c <= DIGIT_9) i = digitsEnd(B, i + 1, E);
  else return Number.NaN;
  const dot = at(i) === 0x2e ? i : -1;
  if (dot >= 0) {
    i = digitsEnd(B, i + 1, E);
    if (i === dot + 1) return Number.NaN;
  }
  const x = at(i);
  const exp = x === 0x65 || x === 0x45;
  if (exp) {
    const sign = at(i + 1) === 0x2b || at(i + 1) === MINUS ? 1 : 0;
    const d = digitsEnd(B, i + 1 + sign, E);
    if (d === i + 1 + sign) return Number.NaN;
    i = d;
  }
  P = i;
  const plain = exp ? Number.NaN : plainDecimal(B, s, i, dot);
  if (!Number.isNaN(plain)) return plain;
  const text = latin1(B, s, i);
  const v = Number(text);
  return String(v) === text ? v : Number.NaN;
}

function literal(): boolean {
  for (const l of LITERALS) {
    let k = 0;
    while (k < l.length && at(P + k) === l[k]) k++;
    if (k === l.length) {
      P += k;
      return true;
    }
  }
  return false;
}

function anyValue(depth: number): boolean {
  const c = at(P);
  if (c === QUOTE) return str() >= 0;
  if (c === OPEN_BRACE) return openObject(depth + 1);
  if (c === OPEN_BRACKET) return array(depth + 1, undefined, Number.POSITIVE_INFINITY);
  if (c === 0x74 || c === 0x66 || c === 0x6e) return literal();
  return !Number.isNaN(num());
}

/** Is key `[ks, ke)` after key `[ps, pe)` in canonical order (UTF-16 code units)? Keys whose UTF-8 order may differ (U+E000 and up) are left to the full path. */
function keyAfter(ps: number, pe: number, ks: number, ke: number): boolean {
  if (!strAscii) for (let i = ks; i < ke; i++) if ((B[i] as number) >= 0xee) return false;
  if (ps < 0) return true;
  for (let i = 0; ; i++) {
    if (ks + i === ke) return false; // a prefix of the previous key (or equal): not after it
    if (ps + i === pe) return true;
    const a = B[ps + i] as number;
    const b = B[ks + i] as number;
    if (a !== b) return b > a;
  }
}

/** An object of any members (details, headers, ...). */
function openObject(depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  let i = P + 1;
  if (at(i) === CLOSE_BRACE) {
    P = i + 1;
    return true;
  }
  let ps = -1;
  let pe = -1;
  for (;;) {
    if (at(i) !== QUOTE) return false;
    P = i;
    if (str() < 0 || !strPlain || !keyAfter(ps, pe, i + 1, strEnd)) return false;
    ps = i + 1;
    pe = strEnd;
    if (at(P) !== COLON) return false;
    P++;
    if (!anyValue(depth)) return false;
    const c = at(P);
    if (c === COMMA) i = P + 1;
    else if (c === CLOSE_BRACE) {
      P++;
      return true;
    } else return false;
  }
}

function array(depth: number, items: SchemaNode | undefined, maxItems: number): boolean {
  if (depth > MAX_DEPTH) return false;
  let i = P + 1;
  if (at(i) === CLOSE_BRACKET) {
    P = i + 1;
    return true;
  }
  for (let n = 1; ; n++) {
    P = i;
    if (n > maxItems || !(items === undefined ? anyValue(depth) : value(items, depth))) return false;
    const c = at(P);
    if (c === COMMA) i = P + 1;
    else if (c === CLOSE_BRACKET) {
      P++;
      return true;
    } else return false;
  }
}

/** Compares a property name with key `[ks, ke)`: negative when the name sorts first, 0 when equal. */
function compareName(name: Uint8Array, ks: number, ke: number): number {
  const n = Math.min(name.length, ke - ks);
  for (let i = 0; i < n; i++) {
    const d = (name[i] as number) - (B[ks + i] as number);
    if (d !== 0) return d;
  }
  return name.length - (ke - ks);
}

/** Do the bytes at `k` hold `name`, then a closing quote? */
function keyAt(name: Uint8Array, k: number): boolean {
  const b = B;
  const n = name.length;
  if (k + n >= E || b[k + n] !== QUOTE) return false;
  for (let x = 0; x < n; x++) if (b[k + x] !== name[x]) return false;
  return true;
}

/** An object with listed properties and no others; at the top level, notes where each member is. */
function closedObject(n: SchemaNode, depth: number, top: boolean): boolean {
  if (depth > MAX_DEPTH) return false;
  const names = n.nameBytes as Uint8Array[];
  const kids = n.kids as SchemaNode[];
  const first = n.first as Int16Array;
  const next = n.next as Int16Array;
  let idx = 0;
  let present = 0;
  let i = P + 1;
  let c = at(i);
  if (c === CLOSE_BRACE) P = i + 1;
  while (c !== CLOSE_BRACE) {
    if (at(i) !== QUOTE) return false;
    // The key: one of the names (looked up by its first byte; a name has no quote or escape, so its
    // bytes then a quote are exactly that key), in the names' order, once each.
    let j = (first[at(i + 1) & 0xff] as number) - 1;
    while (j >= 0 && !keyAt(names[j] as Uint8Array, i + 1)) j = (next[j] as number) - 1;
    if (j < idx) return false;
    idx = j;
    P = i + 2 + (names[j] as Uint8Array).length;
    if (at(P) !== COLON) return false;
    const vs = ++P;
    const kid = kids[idx] as SchemaNode;
    if (kid.k === K_STRING && kid.steps === undefined && kid.re === undefined && at(P) === QUOTE) {
      // Most members are strings with only a length limit: read here, without value()'s dispatch.
      const len = str();
      if (len < 0 || len < kid.minLength || len > kid.maxLength) return false;
    } else if (!value(kid, depth)) return false;
    present |= 1 << idx;
    if (top) {
      TOP[3 * idx] = i;
      TOP[3 * idx + 1] = vs;
      TOP[3 * idx + 2] = P;
    }
    idx++;
    c = at(P);
    if (c === COMMA) i = P + 1;
    else if (c === CLOSE_BRACE) P++;
    else return false;
  }
  if ((present & (n.required as number)) !== n.required) return false;
  if (top) topPresent = present;
  return true;
}

/** Where the steps' greedy match from `s` ends (before E), or -1. */
function stepsEnd(steps: PatternStep[], s: number): number {
  const b = B;
  let i = s;
  for (const st of steps) {
    const ok = st.ok;
    if (st.min === st.max) {
      // A fixed count (hex digests, the parts of a timestamp): exactly that many bytes of the class.
      const stop = i + st.min;
      if (stop > E) return -1;
      while (i < stop) if (ok[b[i++] as number] !== 1) return -1;
      continue;
    }
    const stop = Math.min(E, st.max === Number.POSITIVE_INFINITY ? E : i + st.max);
    const from = i;
    while (i < stop && ok[b[i] as number] === 1) i++;
    if (i - from < st.min) return -1;
  }
  return i;
}

function stringValue(n: SchemaNode): boolean {
  const s = P + 1;
  if (n.stepsPlain === true) {
    // The pattern's classes hold only bytes that stand for themselves: matching it reads the string.
    const e = stepsEnd(n.steps as PatternStep[], s);
    if (e < 0 || B[e] !== QUOTE || e - s < (n.minLength as number) || e - s > (n.maxLength as number)) return false;
    P = e + 1;
    return true;
  }
  const len = str();
  if (len < 0 || len < (n.minLength as number) || len > (n.maxLength as number)) return false;
  if (n.steps !== undefined) return strPlain && strAscii && stepsEnd(n.steps, s) === strEnd;
  if (n.re !== undefined) return strPlain && n.re.test(strAscii ? latin1(B, s, strEnd) : UTF8.decode(B.subarray(s, strEnd)));
  return true;
}

function isOneOf(values: Uint8Array[], s: number, e: number): boolean {
  for (const v of values) if (v.length === e - s && compareName(v, s, e) === 0) return true;
  return false;
}

/** Reads the value at P as `n` says; false when it is not one. */
function value(n: SchemaNode, depth: number): boolean {
  const c = at(P);
  switch (n.k) {
    case K_ANY:
      return anyValue(depth);
    case K_OBJECT:
      return c === OPEN_BRACE && (n.names === undefined ? openObject(depth + 1) : closedObject(n, depth + 1, false));
    case K_STRING:
      return c === QUOTE && stringValue(n);
    case K_NUMBER:
    case K_INTEGER: {
      const x = num();
      return x >= (n.minimum as number) && x <= (n.maximum as number) && (n.k === K_NUMBER || Number.isInteger(x));
    }
    case K_ARRAY:
      return c === OPEN_BRACKET && array(depth + 1, n.items, n.maxItems as number);
    case K_ENUM: {
      const s = P + 1;
      return c === QUOTE && str() >= 0 && strPlain && isOneOf(n.values as Uint8Array[], s, strEnd);
    }
    case K_CONST:
      return num() === n.value;
    case K_NEVER:
      return false;
    default:
      return false;
  }
}

/** Code point length, plain (no escape), ASCII, of the string strAt read; a number numAt read; the top-level members present. */
export const R = new Float64Array(4);

/** The string at `p` (its opening quote) in `b[…, e)`: the index after its closing quote, or -1 (R[0] length, R[1] plain, R[2] ASCII). */
export function strAt(b: Uint8Array, p: number, e: number): number {
  B = b;
  P = p;
  E = e;
  const len = str();
  if (len < 0) return -1;
  R[0] = len;
  R[1] = strPlain ? 1 : 0;
  R[2] = strAscii ? 1 : 0;
  return P;
}

/** The number at `p`: the index after it, or -1 when it is not written as ECMAScript writes it (R[0] its value). */
export function numAt(b: Uint8Array, p: number, e: number): number {
  B = b;
  P = p;
  E = e;
  const x = num();
  if (Number.isNaN(x)) return -1;
  R[0] = x;
  return P;
}

/** The value at `p` as `n` says (in an object at `depth`): the index after it, or -1. */
export function valueAt(b: Uint8Array, p: number, e: number, n: SchemaNode, depth: number): number {
  B = b;
  P = p;
  E = e;
  return value(n, depth) ? P : -1;
}

/** The whole line as the top-level object (TOP, R[3] the members present): true when it is one and ends at `end`. */
export function topAt(top: SchemaNode, b: Uint8Array, start: number, end: number): boolean {
  B = b;
  P = start;
  E = end;
  if (!closedObject(top, 1, true) || P !== end) return false;
  R[3] = topPresent;
  return true;
}

/** Holds no reader's buffer once a line is read. */
export function release(): void {
  B = EMPTY;
}
const EMPTY = new Uint8Array(0);
