/**
 * The redaction corpus (issue #14): secrets planted in every channel a request can carry them —
 * headers, user agent, query, path, URL userinfo, JSON / form / text / multipart bodies (small and
 * over the cap, with honest and misleading content-types), response bodies, error messages, actor
 * fields and details — and ordinary values that look similar planted the same way. A framework's
 * test serves the corpus app (routes below), sends `corpus.requests`, and checks the raw log
 * with `leaks()` (every secret, plain, JSON-escaped, base64 and URL-encoded: none may appear) and
 * `missing()` (every ordinary value: all must appear unchanged).
 *
 * The corpus app: `POST|PUT /echo` keeps request and response bodies (policy `bodies`, maxBodyBytes
 * 1024) and answers with `x-respond` (its body) as `x-respond-type`; `GET /items/:id` answers
 * 200; `GET /fail` throws `new Error(x-error-message)`; every request's actor comes from
 * `x-user-id` / `x-user-name`; `x-details` (JSON) is added to the entry's details.
 */
import { Buffer } from 'node:buffer';
import { assertNoSecrets } from '@auditready/core/testing';
import { expect } from 'vitest';
import { waitFor } from './wait.js';

/** A deterministic generator, so a failure names the same values on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

export interface CorpusRequest {
  /** What the planted secret stands for, for failure messages. */
  label: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Corpus {
  requests: CorpusRequest[];
  /** Every planted secret, labelled. */
  secrets: { label: string; value: string }[];
  /** Ordinary values planted beside them (ids, hashes, UUIDs, timestamps ...): they must survive. */
  benign: string[];
}

function card(r: () => number, prefix: string, length: number): string {
  const d = [...prefix].map(Number);
  while (d.length < length - 1) d.push(Math.floor(r() * 10));
  for (let check = 0; check < 10; check++) {
    const all = [...d, check];
    let sum = 0;
    all
      .slice()
      .reverse()
      .forEach((x, i) => {
        let y = x;
        if (i % 2 === 1) {
          y *= 2;
          if (y > 9) y -= 9;
        }
        sum += y;
      });
    if (sum % 10 === 0) return all.join('');
  }
  throw new Error('unreachable');
}

/** Token families a value detector must catch wherever they appear. */
function tokenFamilies(r: () => number): (() => string)[] {
  const s = (n: number, cs = ALNUM) => Array.from({ length: n }, () => cs[Math.floor(r() * cs.length)]).join('');
  const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const awsSecret = () => {
    for (;;) {
      const v = `${s(20)}/${s(19)}`;
      if (/[A-Z].*[A-Z]/.test(v) && /[a-z].*[a-z]/.test(v) && /\d.*\d/.test(v)) return v;
    }
  };
  return [
    () => `ghp_${s(36)}`,
    () => `github_pat_${s(22)}_${s(59)}`,
    () => `glpat-${s(20)}`,
    () => `xoxb-${s(11, HEX)}-${s(13, HEX)}-${s(24)}`,
    () => `https://hooks.slack.com/services/T${s(8)}/B${s(8)}/${s(24)}`,
    () => `sk_live_${s(24)}`,
    () => `whsec_${s(32)}`,
    () => `npm_${s(36)}`,
    () => `AIza${s(35)}`,
    () => `ya29.${s(60)}`,
    () => `AKIA${s(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
    awsSecret,
    () => `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u({ sub: s(8), iat: 1733475600 })}.${s(43)}`,
    () => `sk-proj-${s(64)}`,
    () => `SG.${s(22)}.${s(43)}`,
    () => `hf_${s(34)}`,
    () => `shpat_${s(32, HEX)}`,
    () => `dop_v1_${s(64, HEX)}`,
    () => `pypi-AgEIcHlwaS5vcmc${s(60)}`,
    () => card(r, '4', 16),
    () => `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${s(64)}\n${s(64)}\n-----END RSA PRIVATE KEY-----`,
  ];
}

/** What a secret's value is, for the leak check: the part a reader must never see. */
function secretPart(v: string): string {
  const pem = /-----BEGIN [A-Z ]+-----\n([\s\S]+?)\n-----END/.exec(v);
  if (pem) return pem[1] as string;
  const hook = /hooks\.slack\.com\/services\/(.+)$/.exec(v);
  return hook ? (hook[1] as string) : v;
}

export function buildCorpus(seed = 14): Corpus {
  const r = rng(seed);
  const s = (n: number, cs = ALNUM) => Array.from({ length: n }, () => cs[Math.floor(r() * cs.length)]).join('');
  const families = tokenFamilies(r);
  const requests: CorpusRequest[] = [];
  const secrets: Corpus['secrets'] = [];
  const plant = (label: string, value: string) => {
    secrets.push({ label, value: secretPart(value) });
    return value;
  };
  const echo = (label: string, body: string, contentType: string, extra: Record<string, string> = {}) =>
    requests.push({ label, method: 'POST', path: '/echo', headers: { 'content-type': contentType, ...extra }, body });
  const get = (label: string, path: string, headers: Record<string, string> = {}) => requests.push({ label, method: 'GET', path, headers });

  // Value detectors: every token family in every free-text channel.
  families.forEach((make, i) => {
    const f = `family ${i}`;
    // A header holds one line: multi-line secrets (PEM blocks) travel in bodies, query and details.
    const oneLine = !make().includes('\n');
    if (oneLine) {
      get(`${f}: user agent`, '/items/1', { 'user-agent': `curl/8.5 ${plant(`${f} ua`, make())}` });
      get(`${f}: path segment`, `/items/${encodeURIComponent(plant(`${f} path`, make()))}`);
      get(`${f}: error message`, '/fail', { 'x-error-message': `upstream rejected ${plant(`${f} error`, make())} (retry later)` });
      echo(`${f}: response text`, '{}', 'application/json', {
        'x-respond': `ok ${plant(`${f} response`, make())}`,
        'x-respond-type': 'text/plain',
      });
      get(`${f}: actor name`, '/items/4', { 'x-user-id': 'u-1', 'x-user-name': `svc ${plant(`${f} actor`, make())}` });
    }
    get(`${f}: query value under a neutral name`, `/items/2?ref=${encodeURIComponent(plant(`${f} query`, make()))}`);
    echo(`${f}: JSON body under a neutral key`, JSON.stringify({ note: `see ${plant(`${f} json`, make())}` }), 'application/json');
    get(`${f}: details`, '/items/3', { 'x-details': JSON.stringify({ note: plant(`${f} details`, make()) }) });
  });

  // Request headers: credentials in the headers that carry them, and a token in a custom header.
  get('header Authorization: Bearer', '/items/11', { authorization: `Bearer ${plant('bearer header', s(40))}` });
  get('header Authorization: Basic', '/items/11', {
    authorization: `Basic ${plant('basic header', Buffer.from(`svc:${s(16)}`).toString('base64'))}`,
  });
  get('header Cookie', '/items/11', { cookie: `sid=${plant('cookie header', s(32))}; theme=dark` });
  get('header X-Api-Key', '/items/11', { 'x-api-key': plant('api key header', s(32)) });
  get('header X-Debug with a token', '/items/11', { 'x-debug': plant('debug header', `ghp_${s(36)}`) });

  // Key names: random values only their name gives away.
  const pw = () => `${s(10)}-${s(6)}`;
  for (const key of [
    'password',
    'newPassword',
    'client_secret',
    'aws_secret_access_key',
    'apiKey',
    'access_key',
    'privkey',
    'pin',
    'cvv',
    'otp',
    'signingKey',
    'x-functions-key',
    'Ocp-Apim-Subscription-Key',
    'refresh_token',
    'passphrase',
  ]) {
    echo(`key ${key}: JSON body`, JSON.stringify({ user: 'alice', [key]: plant(`json ${key}`, pw()) }), 'application/json');
    echo(
      `key ${key}: form body`,
      `user=alice&${encodeURIComponent(key)}=${encodeURIComponent(plant(`form ${key}`, pw()))}`,
      'application/x-www-form-urlencoded',
    );
  }
  for (const key of ['password', 'passcode', 'key', 'auth_key', 'token', 'X-Amz-Signature', 'api_key', 'secret']) {
    get(`query ${key}`, `/items/5?page=2&${key}=${encodeURIComponent(plant(`query ${key}`, pw()))}&sort=asc`);
  }
  get('query value with ;', `/items/6?password=${plant('query ;', `${s(6)};${s(6)}`)}&x=1`);
  get('query after ;', `/items/6?a=1;passcode=${plant('query after ;', s(12))}`);
  get('presigned URL', `/download?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${plant('presigned', s(64, HEX))}`);
  get('userinfo in a query value', `/items/7?next=${encodeURIComponent(`https://bob:${plant('userinfo', pw())}@db.example.com/x`)}`);
  get('scheme-less userinfo in details', '/items/8', {
    'x-details': JSON.stringify({ target: `//svc:${plant('//user:pass@', pw())}@cache.internal:6379` }),
  });
  get('password-only userinfo in details', '/items/8', {
    'x-details': JSON.stringify({ target: `redis://:${plant('//:pass@', pw())}@cache:6379/0` }),
  });
  get('details key aws_secret_access_key', '/items/9', {
    'x-details': JSON.stringify({ aws_secret_access_key: plant('details key', pw()) }),
  });
  get('error with password=', '/fail', { 'x-error-message': `db down: password=${plant('error kv', pw())}` });
  get('error with JSON', '/fail', { 'x-error-message': `bad config {"client_secret":"${plant('error json', pw())}"}` });

  // Bodies by content, not label; over the cap; multipart.
  echo('JSON as text/plain', JSON.stringify({ user: 'alice', password: plant('json as text', pw()) }), 'text/plain');
  echo('form as text/plain', `user=alice&password=${plant('form as text', pw())}`, 'text/plain');
  const pad = 'x'.repeat(1500);
  echo('JSON over the cap, secret first', JSON.stringify({ password: plant('over cap first', pw()), padding: pad }), 'application/json');
  echo(
    'JSON over the cap, secret last',
    JSON.stringify({ padding: pad, user: { password: plant('over cap last', pw()) } }),
    'application/json',
  );
  echo('JSON text over the cap as text/plain', JSON.stringify({ padding: pad, client_secret: plant('over cap text', pw()) }), 'text/plain');
  echo('card as a JSON number', `{"amount":12.5,"card":${plant('card number', card(r, '5', 16))}}`, 'application/json');
  echo(
    'card with dots',
    JSON.stringify({ ref: plant('card dots', card(r, '4', 16).replace(/(\d{4})(?=\d)/g, '$1.')) }),
    'application/json',
  );
  const boundary = `----corpus${s(8)}`;
  echo(
    'multipart',
    `--${boundary}\r\nContent-Disposition: form-data; name="user"\r\n\r\nalice\r\n--${boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n${plant('multipart', pw())}\r\n--${boundary}--\r\n`,
    `multipart/form-data; boundary=${boundary}`,
  );
  echo('response JSON as text/html', '{}', 'application/json', {
    'x-respond': JSON.stringify({ id: 'u-1', access_token: plant('response html', pw()) }),
    'x-respond-type': 'text/html',
  });
  echo('response JSON over the cap', '{}', 'application/json', {
    'x-respond': JSON.stringify({ padding: pad, session: { token: plant('response over cap', pw()) } }),
    'x-respond-type': 'application/json',
  });

  // Ordinary values, in the same channels: they must stay readable.
  const benign = BENIGN;
  benign.forEach((v, i) => {
    if (i % 2 === 0) echo(`benign ${i}: JSON body`, JSON.stringify({ ref: v }), 'application/json');
    else get(`benign ${i}: details`, '/items/10', { 'x-details': JSON.stringify({ ref: v }) });
  });
  return { requests, secrets, benign };
}

/** What the corpus test reads of a test logger. */
interface CapturedLog {
  entries(): { kind: string }[];
  lines(): string[];
  assertValid(): void;
}

/**
 * Sends every corpus request to the app at `url`, waits for their access entries, and checks the
 * raw log: no planted secret in any form, every ordinary value kept, the test kit's own check
 * clean, the chain valid.
 */
export async function expectCorpusClean(url: string, audit: CapturedLog, corpus: Corpus): Promise<void> {
  expect(corpus.secrets.length).toBeGreaterThanOrEqual(150);
  expect(corpus.benign.length).toBeGreaterThanOrEqual(100);
  for (const r of corpus.requests) {
    const res = await fetch(`${url}${r.path}`, { method: r.method, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) });
    await res.arrayBuffer();
  }
  const count = corpus.requests.length;
  await waitFor(() => (audit.entries().filter((e) => e.kind === 'access').length >= count ? true : undefined), 10_000);
  const raw = audit.lines().join('\n');
  expect(leaks(raw, corpus)).toEqual([]);
  expect(missing(raw, corpus)).toEqual([]);
  assertNoSecrets(audit.lines());
  audit.assertValid();
}

/** The forms a secret may take in a log: as is, JSON-escaped, base64 (std, url), URL-encoded. */
function forms(secret: string): string[] {
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
  ].filter((f) => f.length >= 6);
}

/** Planted secrets found in the raw log text, by label. */
export function leaks(raw: string, corpus: Corpus): string[] {
  return corpus.secrets.filter(({ value }) => forms(value).some((f) => raw.includes(f))).map((x) => `${x.label}: ${x.value.slice(0, 6)}…`);
}

/** Ordinary values that did not reach the log unchanged (redacted by mistake). */
export function missing(raw: string, corpus: Corpus): string[] {
  return corpus.benign.filter((v) => !raw.includes(JSON.stringify(v).slice(1, -1)));
}

/** Ordinary values that look like secrets to a careless detector (as in core's rules.json). */
const BENIGN: string[] = [
  'inv_8f3k2m1q9x7z',
  'ord_4Jk29sLq0pX7vB',
  'cus_Qw8eR2tY6uI0oP',
  'usr_a1b2c3d4e5',
  'req-9f8e7d6c5b4a3921',
  '2026-12-06T07:17:52.123456Z',
  '1733475600',
  '1733475600000',
  'Sun, 06 Dec 2026 07:17:52 GMT',
  '550e8400-e29b-41d4-a716-446655440000',
  'c56a4180-65aa-42ec-a945-5fd21dec0538',
  '9b74c9897bac770ffc029102a200c5de',
  'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'W/"5e15153d-120f"',
  '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  '4bf92f3577b34da6a3ce929d0e0e4736',
  'ORD-2026-000123',
  'INV-20261206-0042',
  'PO 4500012345',
  'SKU-7HX2K9QZ',
  '+1 415 555 0100',
  '+44 20 7946 0958',
  '415-555-0100',
  '94107',
  'SW1A 1AA',
  '192.168.1.10',
  '2001:db8::1',
  '10.0.0.5:5432',
  '203.0.113.9',
  'alice@example.com',
  'Bob Smith',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'curl/8.5.0',
  'application/json; charset=utf-8',
  'gzip, deflate, br',
  '/invoices/inv_123/lines/7',
  '/api/v2/users/42/orders?page=3&sort=created_at',
  '/search?q=how+to+reset+password',
  'GET /invoices/:id',
  'invoice.read',
  'admin.users.delete',
  'order.refund',
  'v1.2.3',
  '1.0.0-beta.2',
  'node-20.19.0',
  'linux-x64',
  '12.50',
  '1999.99',
  '0.0001',
  '-42',
  '3.14159265358979',
  'N/A',
  'pending',
  'succeeded',
  'denied',
  'The quick brown fox jumps over the lazy dog',
  'Please reset your password using the link we sent',
  'Your session expired, please sign in again',
  'Invalid token format',
  'Key rotation completed for 3 services',
  'sk-learn is a library',
  'Basic plan',
  'Bearer of good news',
  'pk_live_51HqLyjWDarjtT1zdp7dc',
  'pk_test_TYooMQauvdEDq54NiTphI7jx',
  'idempotency-2f9c1e7a-77b1',
  'idem_9f86d081884c7d659a2feaa0c55ad015',
  'etag-33a64df551425fcc',
  'k2026',
  'hmac-sha256',
  'RS256',
  'AES-256-GCM',
  'Documents/Projects/app/src/main.ts',
  'C:\\Users\\alice\\AppData',
  '/var/log/billing-api/audit',
  'en-US,en;q=0.9',
  'max-age=31536000; includeSubDomains',
  'no-cache',
  'dGhpcyBpcyBqdXN0IGJhc2U2NA==',
  'SGVsbG8gV29ybGQ=',
  '00000000000000000000',
  '1234',
  '98765',
  '12:30:45',
  'Tracking 1Z999AA10123456784',
  'order 4500012345 shipped',
  'build #1733475600',
  'commit 2b766eb6b1c0e7f0a3d4c9e8f7a6b5c4d3e2f1a0',
  'docker.io/library/node:20-alpine@sha256:4c5f3b2a1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
  'arn:aws:s3:::my-bucket/reports/2026-12.csv',
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-creds-AbCdEf',
  'projects/my-project/locations/global/keyRings/ring/cryptoKeys/key',
  'https://example.com/path?utm_source=newsletter&utm_medium=email',
  'https://user@example.com/profile',
  'mailto:support@example.com',
  'SELECT * FROM invoices WHERE id = $1',
  'feature_flag_new_checkout',
  'checkout-v2',
  'cache_key=inv-2026-12',
  'idempotency_key=7c4a8d09ca3762af',
  'password reset requested',
  'token expired',
  'keyId=k2026',
  'password_changed_at=2026-12-01',
];
