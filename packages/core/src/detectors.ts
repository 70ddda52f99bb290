/**
 * Value detectors: secrets recognised by their shape wherever they appear inside a string
 * (docs/redaction.md). Each match is replaced in place; the rest of the string stays, so "Bearer
 * eyJ…" in a log message keeps its message. Token families are matched by their published prefixes
 * (the formats gitleaks and secretlint list; our own patterns, see docs/redaction.md), credentials
 * in text by their key names (key-value.ts), card numbers by issuer prefix and Luhn.
 *
 * Every pattern runs in linear time on any input (a client controls most of what is scanned): a
 * match may only start where a run of its characters starts (a lookbehind, not \b, which fires
 * inside runs like `-eyJ-eyJ…`), and every repetition is either bounded or cannot overlap the
 * next start. test/detectors-linear.test.ts feeds each an adversarial 64 KB string.
 */
import { safeDecode } from './credential-keys.js';
import { KEY_VALUE_HINT, scanKeyValues } from './key-value.js';
import { cardHint, isCardNumber, isMarker, scanAwsSecrets } from './shape-scans.js';

export { isCredentialKey } from './credential-keys.js';
export { isCardNumber, isMarker, luhnValid } from './shape-scans.js';

export type DetectorName =
  | 'private-key'
  | 'jwt'
  | 'bearer'
  | 'basic-auth'
  | 'aws-key'
  | 'aws-secret'
  | 'gcp-key'
  | 'google-oauth'
  | 'github-token'
  | 'gitlab-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'discord-webhook'
  | 'stripe-key'
  | 'stripe-webhook-secret'
  | 'npm-token'
  | 'pypi-token'
  | 'sk-api-key'
  | 'sendgrid-key'
  | 'shopify-token'
  | 'huggingface-token'
  | 'digitalocean-token'
  | 'card'
  | 'url-credentials'
  | 'query-secret'
  | 'key-value';

export interface Detector {
  name: DetectorName;
  /** Global regex; group `secret` (when present) is the part replaced, else the whole match. */
  pattern?: RegExp;
  /** Extra check on the matched secret (e.g. Luhn for card numbers). */
  accept?: (secret: string) => boolean;
  /** Cheap necessary condition, tested before the pattern (most strings fail it). */
  hint: (s: string) => boolean;
  /**
   * Literals one of which every match contains: for a long string, one combined search finds
   * which are present (instead of one `includes` per detector).
   */
  literals?: readonly string[];
  /** A detector that is not one pattern (key-value pairs): returns the new string, or undefined. */
  scan?: (s: string, replace: (secret: string, name: DetectorName) => string, fired: Set<DetectorName>) => string | undefined;
}

const has = (needle: string) => (s: string) => s.includes(needle);

export const DETECTORS: readonly Detector[] = [
  {
    name: 'private-key',
    literals: ['PRIVATE KEY'],
    hint: has('PRIVATE KEY'),
    pattern: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  {
    name: 'jwt',
    literals: ['eyJ'],
    hint: has('eyJ'),
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  },
  { name: 'bearer', hint: (s) => /bearer/i.test(s), pattern: /\bBearer\s{1,16}(?<secret>[A-Za-z0-9\-._~+/]{8,}=*)/gi },
  { name: 'basic-auth', hint: (s) => /basic\s/i.test(s), pattern: /\bBasic\s{1,16}(?<secret>[A-Za-z0-9+/]{8,}={0,2})/gi },
  {
    name: 'aws-key',
    literals: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AROA', 'AIDA', 'AGPA', 'ANPA', 'ANVA', 'APKA', 'AIPA'],
    hint: (s) => /A(?:KI|SI|BI|CC|RO|ID|GP|NP|NV|PK|IP)A/.test(s),
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA|AGPA|ANPA|ANVA|APKA|AIPA)[A-Z0-9]{16}\b/g,
  },
  { name: 'gcp-key', literals: ['AIza'], hint: has('AIza'), pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'google-oauth', literals: ['ya29.'], hint: has('ya29.'), pattern: /(?<![A-Za-z0-9_.-])ya29\.[0-9A-Za-z_-]{20,}/g },
  {
    name: 'github-token',
    literals: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    hint: (s) => /gh[pousr]_|github_pat_/.test(s),
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g,
  },
  {
    name: 'gitlab-token',
    literals: ['glpat-', 'glptt-', 'gldt-', 'glrt-', 'glft-', 'glcbt-', 'glsoat-', 'gloas-'],
    hint: has('gl'),
    pattern: /(?<![A-Za-z0-9_-])gl(?:pat|ptt|dt|rt|ft|cbt|soat|oas)-[0-9A-Za-z_-]{20,}/g,
  },
  {
    name: 'slack-token',
    literals: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxc-', 'xapp-'],
    hint: (s) => s.includes('xox') || s.includes('xapp-'),
    pattern: /\b(?:xox[abpresc]|xapp)-[A-Za-z0-9-]{10,}/g,
  },
  {
    name: 'slack-webhook',
    literals: ['hooks.slack.com/'],
    hint: has('hooks.slack.com/'),
    pattern: /hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<secret>[A-Za-z0-9_/-]{8,256})/g,
  },
  {
    name: 'discord-webhook',
    literals: ['/api/webhooks/'],
    hint: has('/api/webhooks/'),
    pattern: /discord(?:app)?\.com\/api\/webhooks\/\d{5,30}\/(?<secret>[A-Za-z0-9_-]{20,256})/g,
  },
  {
    name: 'stripe-key',
    literals: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
    hint: (s) => s.includes('k_live_') || s.includes('k_test_'),
    pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g,
  },
  { name: 'stripe-webhook-secret', literals: ['whsec_'], hint: has('whsec_'), pattern: /\bwhsec_[A-Za-z0-9+/=]{24,}/g },
  { name: 'npm-token', literals: ['npm_'], hint: has('npm_'), pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { name: 'pypi-token', literals: ['pypi-'], hint: has('pypi-'), pattern: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g },
  { name: 'sk-api-key', literals: ['sk-'], hint: has('sk-'), pattern: /(?<![A-Za-z0-9_-])sk-(?:[a-z]{2,8}-)?[A-Za-z0-9_-]{32,}/g },
  { name: 'sendgrid-key', literals: ['SG.'], hint: has('SG.'), pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g },
  {
    name: 'shopify-token',
    literals: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    hint: has('shp'),
    pattern: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g,
  },
  { name: 'huggingface-token', literals: ['hf_'], hint: has('hf_'), pattern: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { name: 'digitalocean-token', literals: ['dop_v1_', 'doo_v1_', 'dor_v1_'], hint: has('_v1_'), pattern: /\bdo[por]_v1_[a-f0-9]{64}\b/g },
  { name: 'aws-secret', hint: (s) => s.length >= 40, scan: scanAwsSecrets },
  {
    // 13-19 digits in a row, or in the groups cards are printed in (4-4-4-4[-3], Amex 4-6-5): a
    // separator never joins unrelated numbers ("curl/8.5 4111…" is not one 18-digit candidate).
    name: 'card',
    hint: cardHint,
    pattern: /(?<![\w.])(?:\d{13,19}|\d{4}(?:[ .-]\d{4}){2,3}(?:[ .-]\d{1,3})?|\d{4}[ .-]\d{6}[ .-]\d{4,5})(?!\w)/g,
    accept: isCardNumber,
  },
  {
    // scheme://user:pass@ and scheme-less //user:pass@ (and //:pass@)
    name: 'url-credentials',
    literals: ['//'],
    hint: has('//'),
    pattern: /\/\/(?<!\/\/\/)[^\s:@/?#]{0,256}:(?<secret>[^\s@/?#]{1,1024})@/g,
  },
  // Long strings: the separator-driven scan is cheaper than a keyword search first.
  { name: 'key-value', hint: (s) => (s.length >= 256 ? s.includes('=') || s.includes(':') : KEY_VALUE_HINT.test(s)), scan: scanKeyValues },
];

/**
 * Cheap pre-test: a string that passes none of these cannot match any detector. Case-sensitive
 * literals (one pass of V8's literal search), then the case-insensitive words of bearer / basic /
 * key-value only when the string has a separator they need. A string of 40+ characters always
 * goes on (an AWS secret key has no prefix to look for).
 */
const PREFILTER = new RegExp(
  [
    'eyJ',
    'AKIA|ASIA|ABIA|ACCA|AROA|AIDA|AGPA|ANPA|ANVA|APKA|AIPA',
    'AIza',
    'ya29\\.',
    'gh[pousr]_',
    'github_pat_',
    'gl(?:pat|ptt|dt|rt|ft|cbt|soat|oas)-',
    'xox',
    'xapp-',
    'k_live_',
    'k_test_',
    'whsec_',
    'npm_',
    'pypi-',
    'sk-',
    'SG\\.',
    'shp',
    'hf_',
    '_v1_',
    'PRIVATE KEY',
    '\\d(?:[ .-]?\\d){12}',
    '//',
    '%[0-9A-Fa-f]{2}',
  ].join('|'),
);
const WORDS = /[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]\s/;

/** Short strings every detector found clean (only for the full detector set). */
const CLEAN = new Set<string>();

/** Every detector literal, in one search. */
const LITERALS = new RegExp(
  [...new Set(DETECTORS.flatMap((d) => d.literals ?? []))].map((l) => l.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'),
  'g',
);

/** The detector literals present in `s` (one pass). */
function literalsIn(s: string): Set<string> {
  const found = new Set<string>();
  LITERALS.lastIndex = 0;
  for (let m = LITERALS.exec(s); m !== null; m = LITERALS.exec(s)) found.add(m[0]);
  return found;
}

function worthScanning(s: string): boolean {
  if (s.length >= 40 || PREFILTER.test(s) || WORDS.test(s)) return true;
  return (s.includes('=') || s.includes(':')) && KEY_VALUE_HINT.test(s);
}

/**
 * True when no detector can fire on `s`, proven from its characters alone: it is shorter than 40
 * (the AWS secret-key scan's length), it holds only 0-9 a-f . : - (every detector literal, the
 * bearer and basic words, every key-value keyword and percent-encoding need a character outside
 * that set), and no 13 digits are joined by single '.' or '-' (the card pattern's least). Trace and
 * span ids, IP addresses, hex digests, numbers and dates written this way pass; anything else is
 * scanned. record()'s compiled path skips the scan for such values; test/detectors-data.test.ts
 * checks the claim against every detector on random strings of that alphabet.
 */
export function cannotHoldSecret(s: string): boolean {
  if (s.length >= 40) return false;
  let digits = 0; // digits in the current run, which single '.' or '-' may join
  let joined = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= 13) return false;
      joined = false;
    } else if ((c === 46 || c === 45) && digits > 0 && !joined) joined = true;
    else if ((c >= 97 && c <= 102) || c === 58 || c === 46 || c === 45) {
      digits = 0;
      joined = false;
    } else return false;
  }
  return true;
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
  // The prefilter before the cache: most short values (paths, ids, names) are not worth scanning,
  // and a cache lookup hashes the whole string, a fresh one each request (~0.2 µs a value there).
  if (s.length < 6 || !worthScanning(s) || CLEAN.has(s)) return undefined;
  let out = s;
  let fired: Set<DetectorName> | undefined;
  let found: Set<string> | undefined;
  for (const d of enabled) {
    if (d.literals !== undefined && s.length >= 256) {
      found ??= literalsIn(s);
      if (!d.literals.some((l) => (found as Set<string>).has(l))) continue;
    }
    if (!d.hint(out)) continue;
    if (d.scan) {
      fired ??= new Set();
      const r = d.scan(out, replace, fired);
      if (r !== undefined) out = r;
      continue;
    }
    const pattern = d.pattern as RegExp;
    pattern.lastIndex = 0;
    let hit = false;
    out = out.replace(pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args[args.length - 1] as Record<string, string | undefined> | undefined;
      const secret = groups && typeof groups === 'object' && groups.secret !== undefined ? groups.secret : match;
      if (d.accept && !d.accept(secret)) return match;
      if (isMarker(secret)) return match;
      hit = true;
      const at = match.lastIndexOf(secret);
      return `${match.slice(0, at)}${replace(secret, d.name)}${match.slice(at + secret.length)}`;
    });
    if (hit) (fired ??= new Set()).add(d.name);
  }
  if (out.includes('%')) out = scrubEncoded(out, enabled, replace, (fired ??= new Set()));
  if (fired !== undefined && fired.size > 0) return { value: out, fired: [...fired] };
  if (s.length <= 256 && enabled === DETECTORS) {
    // Values repeat (names, statuses, URLs): a short string found clean once is not scanned again.
    if (CLEAN.size >= 8192) CLEAN.clear();
    CLEAN.add(s);
  }
  return undefined;
}

/** A URL component with percent-encoding: between delimiters of paths and query strings. */
const ENCODED = /(?<![^?&=/;\s#"'<>])[^?&=/;\s#"'<>]{0,4096}%[0-9A-Fa-f]{2}[^?&=/;\s#"'<>]{0,8192}/g;

/**
 * Secrets inside percent-encoded URL components (`?next=https%3A%2F%2Fbob%3Apw%40db`, a token with
 * `/` in a path segment): each such component is decoded and scanned; one that holds a secret is
 * written decoded, with the secret replaced.
 */
function scrubEncoded(
  s: string,
  enabled: readonly Detector[],
  replace: (secret: string, detector: DetectorName) => string,
  fired: Set<DetectorName>,
): string {
  return s.replace(ENCODED, (component) => {
    const decoded = safeDecode(component);
    if (decoded === component || !worthScanning(decoded)) return component;
    const r = scrubString(decoded, enabled, replace);
    if (r === undefined) return component;
    for (const f of r.fired) fired.add(f);
    return r.value;
  });
}
