/**
 * Value detectors: secrets recognised by their shape wherever they appear inside a string
 * (docs/spec/entry-format.md §Redaction). Each match is replaced in place; the rest of the string
 * stays, so "Bearer eyJ…" in a log message keeps its message.
 */

export type DetectorName =
  | 'bearer'
  | 'basic-auth'
  | 'jwt'
  | 'card'
  | 'aws-key'
  | 'gcp-key'
  | 'github-token'
  | 'slack-token'
  | 'stripe-key'
  | 'private-key'
  | 'url-credentials'
  | 'query-secret';

export interface Detector {
  name: DetectorName;
  /** Global regex; group `secret` (when present) is the part replaced, else the whole match. */
  pattern: RegExp;
  /** Extra check on the matched secret (e.g. Luhn for card numbers). */
  accept?: (secret: string) => boolean;
  /** Cheap necessary condition, tested before the pattern (most strings fail it). */
  hint: (s: string) => boolean;
}

/** Luhn checksum over the digits of `s` (spaces and dashes ignored). */
export function luhnValid(s: string): boolean {
  if (typeof s !== 'string') return false;
  const digits = s.replace(/[ -]/g, '');
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

/**
 * Key names that hold credentials, matched case-insensitively after removing `-`, `_`, `.` and
 * spaces: Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, and token / password /
 * secret / api_key-like names (access_token, refreshToken, client_secret, newPassword, apiKey ...).
 */
export function isCredentialKey(key: string): boolean {
  if (typeof key !== 'string') return false;
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached;
  const k = key.toLowerCase().replace(/[-_. ]/g, '');
  const hit =
    k === 'authorization' ||
    k === 'proxyauthorization' ||
    k === 'cookie' ||
    k === 'setcookie' ||
    k === 'pwd' ||
    k === 'pass' ||
    k === 'auth' ||
    k.includes('password') ||
    k.includes('passwd') ||
    k.includes('passphrase') ||
    k.includes('apikey') ||
    k.includes('privatekey') ||
    k.includes('credential') ||
    /secrets?$|^secret(key|accesskey|token|value)s?$|secretkey$/.test(k) ||
    k.endsWith('token') ||
    k.endsWith('sessionid') ||
    k === 'signature' ||
    k === 'sig';
  if (keyCache.size > 4096) keyCache.clear();
  keyCache.set(key, hit);
  return hit;
}
const keyCache = new Map<string, boolean>();

const has = (needle: string) => (s: string) => s.includes(needle);

/**
 * Every pattern runs in linear time on any input (a client controls most of what is scanned): a
 * match may only start where a run of its characters starts (a lookbehind, not \b, which fires
 * inside runs like `-eyJ-eyJ…`), and every repetition is either bounded or cannot overlap the
 * next start. test/detectors-linear.test.ts feeds each an adversarial 64 KB string.
 */
export const DETECTORS: readonly Detector[] = [
  {
    name: 'private-key',
    hint: has('PRIVATE KEY'),
    pattern: /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]{0,40}PRIVATE KEY-----|$)/g,
  },
  { name: 'jwt', hint: has('eyJ'), pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g },
  { name: 'bearer', hint: (s) => /bearer/i.test(s), pattern: /\bBearer\s{1,16}(?<secret>[A-Za-z0-9\-._~+/]{8,}=*)/gi },
  { name: 'basic-auth', hint: has('Basic '), pattern: /\bBasic\s+(?<secret>[A-Za-z0-9+/]{8,}={0,2})/g },
  { name: 'aws-key', hint: (s) => /A(?:KI|SI|BI|CC|RO|ID)A/.test(s), pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b/g },
  { name: 'gcp-key', hint: has('AIza'), pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  {
    name: 'github-token',
    hint: (s) => /gh[pousr]_|github_pat_/.test(s),
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g,
  },
  { name: 'slack-token', hint: has('xox'), pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
  { name: 'stripe-key', hint: (s) => s.includes('k_live_') || s.includes('k_test_'), pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { name: 'card', hint: (s) => CARD_HINT.test(s), pattern: /(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w.])/g, accept: luhnValid },
  {
    name: 'url-credentials',
    hint: has('://'),
    pattern: /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/?#]{0,256}:(?<secret>[^\s@/?#]{1,1024})@/gi,
  },
  { name: 'query-secret', hint: has('='), pattern: /[?&;](?<key>[^=&#\s;?]+)=(?<secret>[^&#\s;]+)/g },
];

const CARD_HINT = /\d(?:[ -]?\d){12}/;

/** Cheap pre-test: a string that matches none of these cannot match any detector. */
const PREFILTER =
  /eyJ|[Bb][Ee][Aa][Rr][Ee][Rr]|Basic |A(?:KI|SI|BI|CC|RO|ID)A|AIza|gh[pousr]_|github_pat_|xox|k_live_|k_test_|PRIVATE KEY|\d(?:[ -]?\d){12}|:\/\/|=/;

export interface DetectorHit {
  detector: DetectorName;
}

/**
 * Replaces every detected secret in `s` using `replace(secret, detector)`. Returns the new string
 * and the detectors that fired, or undefined when nothing fired (the common case, kept cheap).
 */
export function scrubString(
  s: string,
  enabled: readonly Detector[],
  replace: (secret: string, detector: DetectorName) => string,
): { value: string; fired: DetectorName[] } | undefined {
  // The shortest thing a detector can find is a credential-named query parameter like `?pwd=x`.
  if (s.length < 6 || !PREFILTER.test(s)) return undefined;
  let out = s;
  let fired: DetectorName[] | undefined;
  for (const d of enabled) {
    if (!d.hint(out)) continue;
    d.pattern.lastIndex = 0;
    let hit = false;
    out = out.replace(d.pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args[args.length - 1] as Record<string, string | undefined> | undefined;
      const secret = groups && typeof groups === 'object' && groups.secret !== undefined ? groups.secret : match;
      if (d.name === 'query-secret' && !isCredentialKey(safeDecode(groups?.key ?? ''))) return match;
      if (d.accept && !d.accept(secret)) return match;
      if (secret.startsWith('[REDACTED') || secret.startsWith('hmac-sha256:')) return match;
      hit = true;
      const at = match.lastIndexOf(secret);
      return `${match.slice(0, at)}${replace(secret, d.name)}${match.slice(at + secret.length)}`;
    });
    if (hit) (fired ??= []).push(d.name);
  }
  return fired ? { value: out, fired } : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
