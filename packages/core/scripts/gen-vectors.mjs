// Regenerates test/vectors/{entries,redaction}.json from the built package. Run only when the
// format changes on purpose (and bump the format version); the tests then pin these bytes, and
// check the hashes independently with node:crypto.
import { writeFileSync } from 'node:fs';
import { canonicalUnhashed, compileRedaction, computeEntryHash, redactBody, serializeEntry } from '../dist/index.js';

const KEY = { id: 'k2026', secret: 'hex:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' };
const base = { v: 1, chain: 'vec-chain', prev: '0'.repeat(64), ts: '2026-01-01T00:00:00.000000Z', service: { name: 'vectors' } };
const entryCases = [
  { name: 'genesis', entry: { ...base, kind: 'genesis', seq: 0, details: { library: 'auditready/0.1.0', hash: 'sha256' } } },
  {
    name: 'access-entry',
    entry: {
      ...base,
      kind: 'access',
      seq: 7,
      prev: 'a'.repeat(64),
      ts: '2026-11-27T03:52:31.123456Z',
      actor: { type: 'user', id: 'u-42', ip: '203.0.113.9', userAgent: 'curl/8.5.0' },
      action: 'invoice.read',
      resource: { type: 'invoice', id: 'inv_123' },
      http: {
        method: 'GET',
        route: '/invoices/:id',
        path: '/invoices/inv_123',
        status: 200,
        durationMs: 3.25,
        bytesIn: 0,
        bytesOut: 512,
        requestId: 'req-1',
      },
      trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' },
      outcome: 'success',
      details: { note: 'Grüße, 世界 😀', amounts: [1, 2.5, -0, 1e21] },
    },
  },
  {
    name: 'access-entry-hmac',
    key: KEY,
    entry: {
      ...base,
      kind: 'event',
      seq: 1,
      kid: KEY.id,
      actor: { type: 'service', id: 'billing' },
      action: 'payout.create',
      outcome: 'denied',
      reason: 'limit exceeded',
    },
  },
  {
    name: 'redacted-entry',
    entry: {
      ...base,
      kind: 'event',
      seq: 2,
      actor: { type: 'anonymous' },
      action: 'login',
      outcome: 'failure',
      redacted: [{ path: 'details.password', how: 'remove', rule: 'default:credential-key' }],
    },
  },
];

function resolved(k) {
  return k ? { id: k.id, bytes: Buffer.from(k.secret.slice(4), 'hex') } : undefined;
}

const entries = entryCases.map((c) => {
  const hash = computeEntryHash(c.entry, resolved(c.key));
  return {
    name: c.name,
    ...(c.key ? { key: c.key } : {}),
    entry: c.entry,
    canonical: canonicalUnhashed(c.entry),
    hash,
    line: serializeEntry({ ...c.entry, hash }),
  };
});
writeFileSync(
  new URL('../test/vectors/entries.json', import.meta.url),
  `${JSON.stringify({ domainTag: 'auditready/entry/v1\\u0000', vectors: entries }, null, 2)}\n`,
);

const redactionCases = [
  {
    name: 'default credential keys and detectors',
    options: {},
    input: {
      http: {
        method: 'POST',
        path: '/login?next=/home&access_token=abc123',
        headers: { Authorization: 'Bearer abc.def.ghi', Cookie: 'sid=1', 'X-Api-Key': 'k', accept: 'application/json' },
      },
      details: {
        user: 'ann',
        password: 'hunter2',
        nested: [{ client_secret: 's' }, { note: 'card 4111 1111 1111 1111' }],
        aws: 'AKIAIOSFODNN7EXAMPLE',
      },
    },
  },
  {
    name: 'paths with wildcards, arrays and a recursive form; mask and hash modes',
    options: {
      defaults: false,
      hashKey: { id: 'r1', secret: 'hex:0f0e0d0c0b0a09080706050403020100' },
      paths: [{ path: 'details.items[*].ssn', mode: 'mask' }, { path: 'details.**.email', mode: 'hash' }, 'details.drop'],
    },
    input: {
      details: {
        items: [{ ssn: '078-05-1120', n: 1 }, { ssn: '219-09-9999' }],
        deep: { a: { email: 'a@example.com' } },
        email: 'b@example.com',
        drop: { x: 1 },
        keep: true,
      },
    },
  },
  {
    name: 'size caps with truncation markers',
    options: { maxStringLength: 8, maxArrayLength: 2, maxDepth: 3 },
    input: { details: { long: 'abcdefghijklmnop', list: [1, 2, 3, 4], deep: { a: { b: { c: 1 } } } } },
  },
];
const redaction = redactionCases.map((c) => {
  const r = redactBody(structuredClone(c.input), compileRedaction(c.options));
  return { name: c.name, options: c.options, input: c.input, output: r.value, notes: r.notes };
});
writeFileSync(new URL('../test/vectors/redaction.json', import.meta.url), `${JSON.stringify({ vectors: redaction }, null, 2)}\n`);
console.log(`wrote ${entries.length} entry vectors, ${redaction.length} redaction vectors`);
