/**
 * Credentials written as key-value pairs inside text: `password=hunter2` in an error message,
 * `?auth_key=…` or `;passcode=…` in a URL, `"client_secret":"…"` in a JSON body cut at its size
 * cap, `Authorization: Basic …` or `Cookie: a=b; c=d` in a dumped header block. The key decides
 * (isCredentialKey: the same token rules as object keys); the value is what follows the separator:
 * a quoted string up to its closing quote (or the end of a cut text), the rest of the line for
 * header-like keys (cookie, authorization), else up to whitespace, `&`, a quote or `<>`.
 *
 * Linear time: separators are found with one search, each one's key read backwards (at most 128
 * characters); a value is read once and scanning resumes after it; the value of a key that is
 * not a credential is not skipped, so a credential inside it is still found.
 */
import { isCredentialKey, safeDecode } from './credential-keys.js';
import type { DetectorName } from './detectors.js';
import { isMarker } from './shape-scans.js';

/** Where a key-value pair can be: every `=` and `:`. */
const SEPARATOR = /[=:]/g;

/** Necessary for a match: a separator and a credential-ish word. */
export const KEY_VALUE_HINT =
  /(?:pass|pw|secret|token|key|auth|cookie|sig|pin|cvv|cvc|otp|cred|session|jwt|bearer|dsn|mnemonic)[^=:]{0,140}[=:]/i;

/** Keys whose value runs to the end of the line (header-like). */
const LINE_KEYS = /^(?:(?:proxy[-_])?authori[sz]ation|(?:set[-_])?cookie|x[-_]api[-_]key)$/i;

const MAX_VALUE = 4096;

/** Where the value starting at `i` ends, and where its secret part starts and ends. */
function readValue(s: string, i: number, key: string): [start: number, end: number, next: number] {
  const limit = Math.min(s.length, i + MAX_VALUE);
  const c = s[i];
  if (c === '\\' && (s[i + 1] === '"' || s[i + 1] === "'")) {
    const close = s.indexOf(`\\${s[i + 1]}`, i + 2);
    const end = close === -1 || close > limit ? limit : close;
    return [i + 2, end, end];
  }
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (j < limit && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
    const end = Math.min(j, limit);
    return [i + 1, end, end];
  }
  let j = i;
  if (LINE_KEYS.test(key)) {
    while (j < limit && s[j] !== '\n' && s[j] !== '\r') j++;
    return [i, j, j];
  }
  while (j < limit) {
    const ch = s.charCodeAt(j);
    // whitespace, " & ' < > `
    if (ch <= 32 || ch === 34 || ch === 38 || ch === 39 || ch === 60 || ch === 62 || ch === 96) break;
    j++;
  }
  return [i, j, j];
}

/** Per ASCII code: 1 for a key character (A-Z a-z 0-9 _ . % [ ] -). */
const KEY_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) KEY_CHAR[c] = /[A-Za-z0-9_.%[\]-]/.test(String.fromCharCode(c)) ? 1 : 0;
const isKeyChar = (c: number) => c < 128 && KEY_CHAR[c] === 1;

/**
 * The key before the separator at `sep`: [start, end), or undefined. Spaces (at most 8) and one
 * closing quote (or an escaped one) may stand between them; the key is a whole run of key
 * characters of at most 128, starting with a letter, `_` or `%`.
 */
function keyBefore(s: string, sep: number): [number, number] | undefined {
  let j = sep - 1;
  for (let k = 0; k < 8 && (s[j] === ' ' || s[j] === '\t'); k++) j--;
  if (s[j] === '"' || s[j] === "'") {
    j--;
    if (s[j] === '\\') j--;
  }
  const end = j + 1;
  while (j >= 0 && end - j <= 129 && isKeyChar(s.charCodeAt(j))) j--;
  const start = j + 1;
  if (start === end || end - start > 128 || (j >= 0 && isKeyChar(s.charCodeAt(j)))) return undefined;
  return /[A-Za-z_%]/.test(s[start] as string) ? [start, end] : undefined;
}

/**
 * Finds separators (one fast search), then reads each one's key backwards: no regex attempt at
 * every position of the text.
 */
export function scanKeyValues(
  s: string,
  replace: (secret: string, name: DetectorName) => string,
  fired: Set<DetectorName>,
): string | undefined {
  SEPARATOR.lastIndex = 0;
  let out = '';
  let copied = 0;
  for (let m = SEPARATOR.exec(s); m !== null; m = SEPARATOR.exec(s)) {
    const sep = m.index;
    if (sep < copied) continue; // inside a value already replaced
    const k = keyBefore(s, sep);
    if (k === undefined) continue;
    const key = s.slice(k[0], k[1]);
    const before = k[0] > 0 ? s[k[0] - 1] : '';
    // arn:aws:secretsmanager:…:secret:name — a colon-separated name, not `secret: value`.
    if (before === ':' && s[sep] === ':' && s[sep + 1] !== ' ') continue;
    if (!isCredentialKey(key.includes('%') ? safeDecode(key) : key)) continue; // scanning goes on after the separator
    let v = sep + 1;
    for (let n = 0; n < 8 && (s[v] === ' ' || s[v] === '\t'); n++) v++;
    const [start, end, next] = readValue(s, v, key);
    const secret = s.slice(start, end);
    if (secret === '' || isMarker(secret)) continue;
    const name: DetectorName = before === '?' || before === '&' || before === ';' ? 'query-secret' : 'key-value';
    out += s.slice(copied, start) + replace(secret, name);
    copied = end;
    fired.add(name);
    SEPARATOR.lastIndex = Math.max(next, sep + 1);
  }
  return copied === 0 ? undefined : out + s.slice(copied);
}
