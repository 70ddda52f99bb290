/**
 * findSecrets / assertNoSecrets: the test kit's check of audit output. Three lines, so that it
 * does not only repeat what the logger's own detectors already believe:
 *
 *   1. the logger's rules: value detectors on every string and key, credential key names;
 *   2. what the test planted (`secrets`), in every form a log may hold it: as is, JSON-escaped,
 *      base64 / base64url and URL-encoded;
 *   3. structure and entropy (on by default): any alphanumeric run of 20+ characters that looks
 *      random (upper case, lower case and digits, Shannon entropy >= 3.7 bits per character) and
 *      is not of a known-safe shape — hex digests and ids, UUIDs, the chain's own fields,
 *      redaction markers, digests named by their algorithm, Stripe publishable keys, base64 of
 *      readable text. Turn it off with `entropy: false`, or allow known values with `allow`.
 */
import { DETECTORS, isCredentialKey, scrubString } from './detectors.js';
import { AuditAssertionError, AuditInputError } from './errors.js';
import type { SealedRecord } from './hash-chain.js';
import type { MemoryTransport } from './transport.js';
import type { AuditEntry } from './types.js';

export interface SecretFinding {
  /** 1-based line (or item) number. */
  line: number;
  /** Detector name, `credential-key:<key>`, `literal`, or `high-entropy`. */
  kind: string;
  /** Where inside the entry, when known. */
  path?: string;
  /** The finding with the middle of the secret elided (never the whole secret). */
  excerpt: string;
}

export interface FindSecretsOptions {
  /** Values the test planted: found in any of their encoded forms. */
  secrets?: string[];
  /** The structure and entropy check (line 3). Default true. */
  entropy?: boolean;
  /** Values (strings) or patterns the entropy check must accept (your own random ids, say). */
  allow?: (string | RegExp)[];
}

export type Scannable = string | string[] | AuditEntry[] | SealedRecord[] | { lines(): string[] } | MemoryTransport;

export function toLines(input: Scannable): string[] {
  if (input === null || input === undefined) throw new AuditInputError('assertNoSecrets: nothing to scan');
  if (typeof input === 'string') return input.split('\n').filter((l) => l !== '');
  if (Array.isArray(input)) {
    return input.map((x: unknown) => {
      if (typeof x === 'string') return x;
      if (x !== null && typeof x === 'object' && 'line' in x && typeof x.line === 'string') return x.line;
      try {
        return JSON.stringify(x) ?? String(x);
      } catch {
        throw new AuditInputError('assertNoSecrets: items must be lines, entries or sealed records');
      }
    });
  }
  if (typeof input === 'object' && 'lines' in input && typeof input.lines === 'function') return input.lines();
  throw new AuditInputError('assertNoSecrets: expected text, lines, entries, records, a test logger or a memory transport');
}

function elide(s: string): string {
  if (s.length <= 8) return `${s.slice(0, 2)}…`;
  return `${s.slice(0, 4)}…${s.slice(-2)} (${s.length} chars)`;
}

const MARKER = /^(\[REDACTED(:[a-z-]+)?\]|hmac-sha256:[A-Za-z0-9._:-]+:[0-9a-f]{64})$/;

/** The forms a planted value may take in a log. */
function encodings(secret: string): string[] {
  const b64 = Buffer.from(secret).toString('base64');
  return [
    ...new Set([
      secret,
      JSON.stringify(secret).slice(1, -1),
      b64.replace(/=+$/, ''),
      Buffer.from(secret).toString('base64url'),
      encodeURIComponent(secret),
    ]),
  ].filter((f) => f.length >= Math.min(6, secret.length));
}

/** Fields that hold the chain's own digests and ids: random by design. */
const CHAIN_FIELDS = new Set(['hash', 'prev', 'chain', 'kid', 'requestId', 'traceId', 'spanId', 'parentSpanId']);

/** Shapes of random-looking values that are not secrets. */
const SAFE_TOKEN = [
  /^[0-9a-f]+$/i, // digests, trace and span ids, hex ids
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUIDs
  /^(?:sha(?:1|224|256|384|512)|md5|blake2b?|hmac-sha256)[-:]/i, // digests with their algorithm named
  /^pk_(?:live|test)_/, // Stripe publishable keys: public by design
  /^\d{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, // traceparent
  /^…?\[truncated/,
];

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** How many of upper case, lower case and digits `s` uses. */
function classes(s: string): number {
  return (/[A-Z]/.test(s) ? 1 : 0) + (/[a-z]/.test(s) ? 1 : 0) + (/[0-9]/.test(s) ? 1 : 0);
}

/** Labels of random ids (followed by a separator): what follows them is an id, not a secret. */
const ID_LABEL =
  /(?:^|[^A-Za-z0-9])(?:idempotency|idem|etag|req|request|trace|span|corr|correlation|order|ord|inv|invoice|cus|customer|usr|user|evt|event|msg|message|tx|txn|ref|sku|build|job|run|batch|session-?ref)[-_.:]$/i;

/** Base64 of readable text (an encoded message, not a key): mostly printable ASCII once decoded. */
function encodesText(token: string): boolean {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(token)) return false;
  const bytes = Buffer.from(token, 'base64');
  if (bytes.length < 12) return false;
  let printable = 0;
  for (const b of bytes) if ((b >= 32 && b < 127) || b === 10 || b === 13 || b === 9) printable++;
  return printable / bytes.length >= 0.95;
}

/**
 * Parts of a string that look random (see the module comment): words (split at whitespace and
 * punctuation other than `+/=_.-`) not of a safe shape, then their alphanumeric runs of 20+
 * characters with high entropy over upper case, lower case and digits.
 */
function randomTokens(s: string, allow: (string | RegExp)[]): string[] {
  const out: string[] = [];
  for (const word of s.replace(/W\/"[^"]{0,256}"/g, ' ').split(/[^A-Za-z0-9+/=_.-]+/)) {
    if (word.length < 20 || MARKER.test(word) || SAFE_TOKEN.some((r) => r.test(word)) || encodesText(word)) continue;
    if (allow.some((a) => (typeof a === 'string' ? a === word : a.test(word)))) continue;
    const runs = word.split(/([^A-Za-z0-9]+)/);
    for (let i = 0; i < runs.length; i += 2) {
      const run = runs[i] as string;
      if (run.length < 20 || /^[0-9a-f]+$/i.test(run) || classes(run) < 3) continue;
      // A random id named as one (`idempotency-…`, `req_…`, `order-…`) is an id, not a key.
      if (i >= 2 && ID_LABEL.test(`${runs[i - 2]}${runs[i - 1]}`)) continue;
      if (entropy(run) >= 3.7) out.push(run);
    }
  }
  return out;
}

/**
 * A `checkpoint` record's signed note, roots, tree state and rotation statement are the library's
 * own public proof material (base64 signatures and hashes: random by design, secret by no one):
 * not scanned, as `hash` and `prev` are not. Everything else in the record is.
 */
function withoutProofMaterial(parsed: unknown): unknown {
  const e = parsed as { kind?: unknown; details?: Record<string, unknown> } | null;
  if (e === null || typeof e !== 'object' || e.kind !== 'checkpoint' || e.details === null || typeof e.details !== 'object') return parsed;
  const { note: _n, root: _r, tree: _t, rotation, ...rest } = e.details;
  const r = rotation as { statement?: unknown; to?: unknown } | undefined;
  const keep = r !== null && typeof r === 'object' ? (({ statement: _s, to: _to, ...x }) => x)(r) : rotation;
  return { ...e, details: { ...rest, ...(rotation !== undefined ? { rotation: keep } : {}) } };
}

/** Finds secrets in audit output (see the module comment for the three lines of defence). */
export function findSecrets(input: Scannable, options: FindSecretsOptions = {}): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const literals = (options.secrets ?? []).filter((s) => typeof s === 'string' && s.length > 0);
  const forms = literals.map((lit) => [lit, encodings(lit)] as const);
  const allow = options.allow ?? [];
  const checkEntropy = options.entropy !== false;
  toLines(input).forEach((line, i) => {
    const n = i + 1;
    for (const [lit, fs] of forms) if (fs.some((f) => line.includes(f))) findings.push({ line: n, kind: 'literal', excerpt: elide(lit) });
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = line;
    }
    const walk = (v: unknown, path: string, key: string) => {
      if (typeof v === 'string') {
        if (MARKER.test(v)) return;
        // One pass: each detected secret is a finding, and leaves a space for the entropy line.
        const clean =
          scrubString(v, DETECTORS, (secret, name) => {
            findings.push({ line: n, kind: name, path, excerpt: elide(secret) });
            return ' ';
          })?.value ?? v;
        if (checkEntropy && !CHAIN_FIELDS.has(key))
          for (const t of randomTokens(clean, allow)) findings.push({ line: n, kind: 'high-entropy', path, excerpt: elide(t) });
      } else if (Array.isArray(v)) {
        for (const [j, x] of v.entries()) walk(x, `${path}[${j}]`, key);
      } else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          const p = path === '' ? k : `${path}.${k}`;
          scrubString(k, DETECTORS, (secret, name) => {
            findings.push({ line: n, kind: `${name} (in a key)`, path: p, excerpt: elide(secret) });
            return '';
          });
          if (isCredentialKey(k) && !(typeof x === 'string' && MARKER.test(x)) && typeof x !== 'boolean' && x !== null) {
            findings.push({
              line: n,
              kind: `credential-key:${k}`,
              path: p,
              excerpt: elide(typeof x === 'string' ? x : (JSON.stringify(x) ?? '')),
            });
          } else walk(x, p, k);
        }
      } else if (typeof v === 'number' && v >= 1e12 && Number.isInteger(v)) {
        scrubString(String(v), DETECTORS, (secret, name) => {
          findings.push({ line: n, kind: name, path, excerpt: elide(secret) });
          return '';
        });
      }
    };
    walk(withoutProofMaterial(parsed), '', '');
  });
  return findings;
}

/** Throws AuditAssertionError listing every secret found (elided) with its line and path. */
export function assertNoSecrets(input: Scannable, options: FindSecretsOptions = {}): void {
  const f = findSecrets(input, options);
  if (f.length > 0) {
    throw new AuditAssertionError(
      `audit output contains ${f.length} secret(s):\n${f.map((x) => `  line ${x.line}${x.path ? ` ${x.path}` : ''}: ${x.kind} ${x.excerpt}`).join('\n')}`,
    );
  }
}
