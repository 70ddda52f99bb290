/**
 * The detectors that have no literal to search for, found in one shared pass over a string's
 * characters (no regex start at every position): AWS secret access keys (40-character base64
 * runs of mixed classes) and payment card numbers (13+ digits, issuer prefix, Luhn). And the
 * redaction marker test every detector shares.
 */
import type { DetectorName } from './detectors.js';

/** Luhn checksum over the digits of `s` (spaces, dots and dashes ignored). */
export function luhnValid(s: string): boolean {
  if (typeof s !== 'string') return false;
  const digits = s.replace(/[ .-]/g, '');
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of payment cards (Visa, Mastercard, Amex, Diners, JCB, Discover, UnionPay, Maestro). */
const CARD_PREFIX = /^(?:4|5[0-9]|2[2-7]|3[0-9]|6)/;

/** A payment card number: 13-19 digits with a card issuer's prefix and a valid Luhn check digit. */
export function isCardNumber(s: string): boolean {
  const digits = s.replace(/[ .-]/g, '');
  return CARD_PREFIX.test(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits);
}

/** An AWS secret access key: 40 base64 characters, mixed case and digits, at most a few `/` or `+`. */
function looksLikeAwsSecret(s: string): boolean {
  let upper = 0;
  let lower = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
    else if (c >= 48 && c <= 57) digit++;
    else other++;
  }
  return upper >= 2 && lower >= 2 && digit >= 1 && other <= 3 && !/^[0-9a-fA-F]+$/.test(s);
}

/** Per ASCII code: 1 base64 character (A-Z a-z 0-9 / +), 2 `-` or `_` (continue a run), 0 other. */
const RUN = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  RUN[c] = /[A-Za-z0-9/+]/.test(ch) ? 1 : ch === '-' || ch === '_' ? 2 : 0;
}

/**
 * AWS secret access keys: runs of exactly 40 base64 characters (bounded by anything else but
 * `-` `_`), of mixed classes. One pass over the characters: no regex start at every position.
 */
/**
 * One pass over a string for the two detectors that have no literal to search for: the starts of
 * pure 40-character base64 runs (AWS secret keys; `-` `_` continue a run but spoil it, a run
 * followed by `=` is padded base64 of something else) and whether 13 digits occur with at most
 * single separators between them (cards). Memoized for the string last asked about.
 */
function shapeOf(s: string): Shape {
  if (s === lastShaped) return lastShape;
  const n = s.length;
  let aws: number[] | undefined;
  let start = 0;
  let pure = true;
  let digits = 0;
  let sep = false;
  let card = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= 13) card = true;
      sep = false;
      continue; // a digit continues a base64 run too
    }
    if ((c === 32 || c === 46 || c === 45) && digits > 0 && !sep) sep = true;
    else {
      digits = 0;
      sep = false;
    }
    const k = c < 128 ? RUN[c] : 0;
    if (k === 1) continue;
    if (k === 2) {
      pure = false;
      continue;
    }
    if (pure && i - start === 40 && c !== 61) (aws ??= []).push(start);
    start = i + 1;
    pure = true;
  }
  if (pure && n - start === 40) (aws ??= []).push(start);
  lastShaped = s;
  lastShape = { aws, card };
  return lastShape;
}
interface Shape {
  aws: number[] | undefined;
  card: boolean;
}
let lastShaped: string | undefined;
let lastShape: Shape = { aws: undefined, card: false };

export function scanAwsSecrets(
  s: string,
  replace: (secret: string, name: DetectorName) => string,
  fired: Set<DetectorName>,
): string | undefined {
  const candidates = shapeOf(s).aws;
  if (candidates === undefined) return undefined;
  let out = '';
  let copied = 0;
  for (const at of candidates) {
    const secret = s.slice(at, at + 40);
    if (!looksLikeAwsSecret(secret)) continue;
    out += s.slice(copied, at) + replace(secret, 'aws-secret');
    copied = at + 40;
    fired.add('aws-secret');
  }
  return copied === 0 ? undefined : out + s.slice(copied);
}

/** 13 digits, single spaces, dots or dashes between them allowed (from the shared one-pass shape). */
export function cardHint(s: string): boolean {
  return shapeOf(s).card;
}

/** What redaction writes in place of a secret: never redacted again. */
export function isMarker(s: string): boolean {
  return s.startsWith('[REDACTED') || s.startsWith('hmac-sha256:');
}
