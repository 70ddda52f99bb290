// Redaction throughput on bodies (issue #14 target: >= 100 MB/s of text scanned), beside SHA-256
// of the same bytes in the same run (node:crypto, the floor every entry pays anyway):
//   - a 64 KB text body of ordinary content (log lines, prose, ids, URLs, JSON fragments), the
//     shape a text/plain or cut JSON body has: every detector's prefilter and hints run on it;
//   - the same text with a secret every ~4 KB (what a leak-prone body looks like);
//   - a 64 KB JSON body parsed to fields (many short strings, numbers, nested objects).
// Medians of 7 interleaved rounds of ~200 ms each.
//   npm run build && node bench/redact.bench.mjs
import { createHash } from 'node:crypto';
import { compileRedaction, redactBody } from '@auditready/core';

const redaction = compileRedaction({ maxStringLength: 1 << 20, maxFieldChars: 1 << 22 });

const LINES = [
  '2026-12-06T07:17:52.123Z INFO request GET /invoices/inv_417 200 12.4ms user=usr_8f14e45f',
  'The quick brown fox jumps over the lazy dog; order ORD-2026-000123 shipped to SW1A 1AA.',
  'trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 sampled=1',
  'Fetched https://api.example.com/v2/customers/cus_Qw8eR2tY6uI0oP?expand=invoices&limit=20',
  '{"id":"inv_417","amount":1999.99,"currency":"EUR","status":"paid","lines":[{"sku":"SKU-7HX2K9QZ","qty":2}]}',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'retrying in 250 ms (attempt 3 of 5): upstream responded 503 Service Unavailable',
  'commit 2b766eb6b1c0e7f0a3d4c9e8f7a6b5c4d3e2f1a0 by alice@example.com on 2026-12-05',
];
function text(bytes, secrets, variant = 0) {
  let out = `variant ${variant}\n`;
  let i = 0;
  while (out.length < bytes) {
    out += `${LINES[i % LINES.length]}\n`;
    if (secrets && i % 48 === 47) out += `config dump: password=hunter2-${i} token ghp_${'A1b2C3d4'.repeat(4)}abcd\n`;
    i++;
  }
  // As a body arrives: decoded from a Buffer (a flat string, not one built by concatenation).
  return Buffer.from(out.slice(0, bytes)).toString('utf8');
}
function jsonBody(bytes, variant = 0) {
  const items = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const item = {
      id: `inv_${variant}_${i}`,
      customer: { id: `cus_${variant}_${i.toString(36)}`, name: `Alice Example ${variant}`, email: `alice${variant}@example.com` },
      amount: 1999.99 + i,
      currency: 'EUR',
      status: i % 3 ? 'paid' : 'open',
      note: `${LINES[i % LINES.length]} #${variant}`,
      createdAt: '2026-12-06T07:17:52.123Z',
    };
    items.push(item);
    size += JSON.stringify(item).length;
  }
  return { items, page: 1, more: true };
}

const SIZE = 64 * 1024;
// 64 distinct bodies per case, used in turn: no cache inside the library sees the same body twice
// in a row, and short values repeat only as often as they do across these bodies.
const VARIANTS = 64;
const variants = (make) => Array.from({ length: VARIANTS }, (_, v) => make(v));
const redactIt = (b) => redactBody({ http: { requestBody: b } }, redaction);
const cases = [
  ['text body, ordinary content', variants((v) => text(SIZE, false, v)), redactIt],
  ['text body, a secret every ~4 KB', variants((v) => text(SIZE, true, v)), redactIt],
  ['JSON body, parsed fields', variants((v) => jsonBody(SIZE, v)), redactIt],
];

function rate(fn, bodies, bytes) {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 200) {
    fn(bodies[n % bodies.length]);
    n++;
  }
  return (bytes * n) / ((performance.now() - t0) / 1000) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const size = (b) => (typeof b === 'string' ? b.length : JSON.stringify(b).length);
const rows = cases.map(([name, bodies]) => ({ name, bytes: size(bodies[0]), redact: [], sha: [] }));
for (let round = 0; round < 7; round++) {
  cases.forEach(([, bodies, fn], i) => {
    const row = rows[i];
    const raws = bodies.map((b) => (typeof b === 'string' ? b : JSON.stringify(b)));
    row.redact.push(rate(fn, bodies, row.bytes));
    row.sha.push(rate((s) => createHash('sha256').update(s).digest(), raws, row.bytes));
  });
}
console.log('redaction of bodies: MB/s of text scanned (median of 7 interleaved rounds), SHA-256 of the same bytes');
for (const r of rows) {
  const red = median(r.redact);
  const sha = median(r.sha);
  console.log(
    `${r.name.padEnd(34)} ${red.toFixed(0).padStart(6)} MB/s   sha256 ${sha.toFixed(0).padStart(5)} MB/s   ratio ${(red / sha).toFixed(2)}`,
  );
}
