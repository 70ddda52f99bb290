/**
 * Pieces of a JSON string in bytes, for the verifier's byte check (entry-scan.ts): a well-formed
 * UTF-8 sequence, and an escape as JSON.stringify writes it (the canonical form's escaping).
 */

function byteAt(b: Uint8Array, i: number, end: number): number {
  return i < end ? (b[i] as number) : -1;
}

function cont(b: Uint8Array, i: number, end: number): boolean {
  return i < end && ((b[i] as number) & 0xc0) === 0x80;
}

/** Length of the well-formed UTF-8 sequence at `i` (lead byte >= 0x80), or -1 (a control or continuation byte, overlong, surrogate, over U+10FFFF, cut). */
export function utf8Length(b: Uint8Array, i: number, end: number): number {
  const c = b[i] as number;
  const c1 = byteAt(b, i + 1, end);
  if (c < 0xc2) return -1;
  if (c < 0xe0) return cont(b, i + 1, end) ? 2 : -1;
  if (c < 0xf0) {
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return -1;
    return cont(b, i + 1, end) && cont(b, i + 2, end) ? 3 : -1;
  }
  if (c > 0xf4 || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return -1;
  return cont(b, i + 1, end) && cont(b, i + 2, end) && cont(b, i + 3, end) ? 4 : -1;
}

function lowerHex(c: number): number {
  return c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
}

/** Length of the escape at `i` (its backslash) as JSON.stringify writes it (\" \\ \b \f \n \r \t, \u00xx for other controls), or -1. */
export function escapeLength(b: Uint8Array, i: number, end: number): number {
  const c = byteAt(b, i + 1, end);
  if (c === 0x22 || c === 0x5c || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) return 2;
  if (c !== 0x75 || byteAt(b, i + 2, end) !== 0x30 || byteAt(b, i + 3, end) !== 0x30) return -1;
  const hi = lowerHex(byteAt(b, i + 4, end));
  const lo = lowerHex(byteAt(b, i + 5, end));
  if (hi < 0 || hi > 1 || lo < 0) return -1;
  const v = hi * 16 + lo;
  return v === 8 || v === 9 || v === 10 || v === 12 || v === 13 ? -1 : 6;
}

/** The index after the decimal digits from `i` (before `end`). */
export function digitsEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end && (b[i] as number) >= 0x30 && (b[i] as number) <= 0x39) i++;
  return i;
}

/** Bytes as a string of the same code units (ASCII text). */
export function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i] as number);
  return out;
}

/** Powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The number `b[s, e)` (JSON grammar already checked; `dot` its decimal point or -1; no exponent)
 * when it is a decimal of at most 15 significant digits without a trailing zero in its fraction,
 * 1e-6 or more: it then has one canonical form (ECMAScript's shortest round trip), these very
 * digits, and its value is `digits / 10^fraction`, one correctly rounded division, as Number()
 * reads it. NaN: not that case (the caller compares String(Number(text)) with the text).
 */
export function plainDecimal(b: Uint8Array, s: number, e: number, dot: number): number {
  const neg = b[s] === 0x2d;
  const fd = dot < 0 ? 0 : e - dot - 1;
  if (fd > 22 || (fd > 0 && b[e - 1] === 0x30)) return Number.NaN;
  let m = 0;
  let sig = 0;
  for (let j = neg ? s + 1 : s; j < e; j++) {
    if (j === dot) continue;
    const d = (b[j] as number) - 0x30;
    if (d !== 0 || sig > 0) sig++;
    m = m * 10 + d;
  }
  const v = m / (POW10[fd] as number);
  if (sig > 15 || (fd > 0 && v < 1e-6) || (neg && v === 0)) return Number.NaN;
  return neg ? -v : v;
}
