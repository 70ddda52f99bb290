/**
 * The verifier's byte fast path reads a line without decoding or parsing it, so it must accept
 * exactly the lines the full path (decode, JSON.parse, the entry schema, the canonical-form check)
 * accepts: a matching hash proves nothing on a plain SHA-256 chain, anyone can compute it over any
 * bytes. scanEntry() checks, in one pass over the bytes, that the line is valid UTF-8, JSON in
 * canonical form and a valid entry of a plain kind (entry-scan.ts, compiled into code by
 * entry-scan-gen.ts), and finds where the members the chain needs are. A "no" is always safe (the
 * full path then decides); a "yes" must be exact.
 */

import { numAt, PLAIN, R, release, strAt, TOP, topAt, valueAt } from './entry-scan.js';
import { compileScanner, type TopScanner } from './entry-scan-gen.js';
import type { LineScan } from './scan.js';
import { compiledEntrySchema } from './schema-bytes.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const DIGIT_0 = 0x30;

/** Kinds whose records carry nothing the verifier must read (genesis, recovered, gap, retention, checkpoint, epoch, erasure do). */
const PLAIN_KINDS = ['access', 'event', 'clock', 'rejected', 'notice', 'heartbeat'].map((k) => new TextEncoder().encode(k));

/** Property indexes of the top-level members scanEntry reports. */
let IDX: { chain: number; seq: number; prev: number; hash: number; kid: number; kind: number; enc: number; pii: number } | undefined;

function indexes(names: string[]): NonNullable<typeof IDX> {
  const ix = (n: string) => names.indexOf(n);
  return {
    chain: ix('chain'),
    seq: ix('seq'),
    prev: ix('prev'),
    hash: ix('hash'),
    kid: ix('kid'),
    kind: ix('kind'),
    enc: ix('enc'),
    pii: ix('pii'),
  };
}

function isOneOf(values: Uint8Array[], b: Uint8Array, s: number, e: number): boolean {
  next: for (const v of values) {
    if (v.length !== e - s) continue;
    for (let i = 0; i < v.length; i++) if (v[i] !== b[s + i]) continue next;
    return true;
  }
  return false;
}

/** The top-level allOf (schema-bytes.ts compiles it): each rule that applies holds. */
function rulesHold(present: number, b: Uint8Array, kindStart: number, kindEnd: number): boolean {
  for (const r of compiledEntrySchema().rules) {
    if ((present & r.absent) !== 0 || (present & r.present) !== r.present) continue;
    if (r.kinds !== undefined && !isOneOf(r.kinds, b, kindStart, kindEnd)) continue;
    if ((present & r.required) !== r.required || (present & r.forbidden) !== 0) return false;
  }
  return true;
}

/** The compiled scanner (null: code generation refused, or turned off), made on first use. */
let scanner: TopScanner | null | undefined;

/** Tests: read lines with the schema walk (false) or the compiled code (true, the default where allowed). */
export function useCompiledScan(on: boolean): void {
  scanner = on ? undefined : null;
}

function readTop(b: Uint8Array, start: number, end: number): boolean {
  const top = compiledEntrySchema().top;
  scanner ??= compileScanner(top, { PLAIN, TOP, R, strAt, numAt, valueAt }) ?? null;
  return scanner === null ? topAt(top, b, start, end) : scanner(b, start, end) === end;
}

/**
 * Checks line `b[start, end)` (see the module comment) and fills `out` with where its chain
 * members are. False for anything but a valid canonical entry of a plain kind.
 */
export function scanEntry(b: Uint8Array, start: number, end: number, out: LineScan): boolean {
  if (end - start < 2 || b[start] !== OPEN_BRACE || b[end - 1] !== CLOSE_BRACE) return false;
  IDX ??= indexes(compiledEntrySchema().top.names as string[]);
  try {
    if (!readTop(b, start, end)) return false;
    const present = R[3] as number;
    const x = IDX;
    const kindStart = (TOP[3 * x.kind + 1] as number) + 1;
    const kindEnd = (TOP[3 * x.kind + 2] as number) - 1;
    if (!isOneOf(PLAIN_KINDS, b, kindStart, kindEnd) || !rulesHold(present, b, kindStart, kindEnd)) return false;
    out.chainStart = (TOP[3 * x.chain + 1] as number) + 1;
    out.chainEnd = (TOP[3 * x.chain + 2] as number) - 1;
    let seq = 0;
    for (let i = TOP[3 * x.seq + 1] as number; i < (TOP[3 * x.seq + 2] as number); i++) seq = seq * 10 + ((b[i] as number) - DIGIT_0);
    out.seq = seq;
    out.prevStart = (TOP[3 * x.prev + 1] as number) + 1;
    out.prevEnd = (TOP[3 * x.prev + 2] as number) - 1;
    out.hashStart = TOP[3 * x.hash] as number;
    out.hashValStart = (TOP[3 * x.hash + 1] as number) + 1;
    out.hashValEnd = (TOP[3 * x.hash + 2] as number) - 1;
    out.hashEnd = out.hashValEnd + 2; // the closing quote and the comma (ts and v always follow)
    const kid = (present & (1 << x.kid)) !== 0;
    out.kidStart = kid ? (TOP[3 * x.kid + 1] as number) + 1 : -1;
    out.kidEnd = kid ? (TOP[3 * x.kid + 2] as number) - 1 : -1;
    out.sealed = ((present >> x.enc) & 1) | (((present >> x.pii) & 1) << 1);
    return true;
  } finally {
    release(); // hold no reader's buffer
  }
}
