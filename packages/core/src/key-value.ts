/**
 * Credentials written as key-value pairs inside text: `password=hunter2` in an error message,
 * `?auth_key=…` or `;passcode=…` in a URL, `"client_secret":"…"` in a JSON body cut at its size
 * cap, `Authorization: Basic …` or `Cookie: a=b; c=d` in a dumped header block. The key decides
 * (isCredentialKey: the same token rules as object keys); the value is what follows the separator:
 * a quoted string up to its closing quote (or the end of a cut text), the rest of the line for
 * header-like keys (cookie, authorization), else up to whitespace, `&`, a quote or `<>`.
 *
 * Linear time: candidate keys are found with one regex whose matches start only where a run of
 * key characters starts; a value is read once and scanning resumes after it; the value of a key
 * that is not a credential is not skipped, so a credential inside it is still found.
 */
import { isCredentialKey, safeDecode } from './credential-keys.js';
import type { DetectorName } from './detectors.js';

/** A key, an optional closing quote (or an escaped one), spaces, `=` or `:`, spaces. */
const CANDIDATE = /(?<![A-Za-z0-9_.%[\]-])([A-Za-z_%][A-Za-z0-9_.%[\]-]{0,127})(\\?["']?)[ \t]{0,8}[=:][ \t]{0,8}/g;

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

export function scanKeyValues(
  s: string,
  replace: (secret: string, name: DetectorName) => string,
  fired: Set<DetectorName>,
): string | undefined {
  CANDIDATE.lastIndex = 0;
  let out = '';
  let copied = 0;
  for (let m = CANDIDATE.exec(s); m !== null; m = CANDIDATE.exec(s)) {
    const key = m[1] as string;
    // arn:aws:secretsmanager:…:secret:name — a colon-separated name, not `secret: value`.
    if (m.index > 0 && s[m.index - 1] === ':' && s[CANDIDATE.lastIndex - 1] === ':' && m[0].endsWith(':')) continue;
    if (!isCredentialKey(key.includes('%') ? safeDecode(key) : key)) continue; // scanning goes on after the separator
    const [start, end, next] = readValue(s, CANDIDATE.lastIndex, key);
    const secret = s.slice(start, end);
    if (secret === '' || secret.startsWith('[REDACTED') || secret.startsWith('hmac-sha256:')) continue;
    const before = m.index > 0 ? s[m.index - 1] : '';
    const name: DetectorName = before === '?' || before === '&' || before === ';' ? 'query-secret' : 'key-value';
    out += s.slice(copied, start) + replace(secret, name);
    copied = end;
    fired.add(name);
    CANDIDATE.lastIndex = Math.max(next, CANDIDATE.lastIndex);
  }
  return copied === 0 ? undefined : out + s.slice(copied);
}
