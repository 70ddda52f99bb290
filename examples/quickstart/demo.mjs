// The demo behind `npm run demo`: a small invoice API's accesses are recorded into an append-only
// audit log, the log is verified, secrets are checked absent, and then copies of the log are
// tampered with to show the verifier pinpointing each edit. Exits non-zero if anything is not as
// expected. (The Express example replaces the hand-written requests once @auditready/express lands.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { findSecrets } from '@auditready/core/testing';
import { verifyText } from '@auditready/core/verify';
import { createFileTransport } from '@auditready/transport-file';

const out = join(import.meta.dirname, 'output');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const logPath = join(out, 'audit.log');
const cliBin = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'auditready');

let failures = 0;
const check = (ok, text) => {
  console.log(`  ${ok ? '✔' : '✘'} ${text}`);
  if (!ok) failures++;
};

const errors = [];
const audit = createAuditLogger({
  service: { name: 'invoice-api', version: '1.4.2', env: 'demo' },
  transports: [createFileTransport({ dir: out, durability: 'fsync' })],
  onError: (e) => errors.push(e),
});

// Secrets that travel with the traffic below; none may reach the log.
const SECRETS = {
  password: 'correct-horse-battery-staple',
  bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.ZmFrZS1zaWduYXR1cmUtZm9yLWRlbW8',
  cookie: 'sid=8c1f0aa1e2b34c5d',
  apiKey: 'ak_live_51H8demoKeyValue',
  card: '4111 1111 1111 1111',
};

console.log('\n1. An invoice API records who accessed what, how, and with what result');
const alice = { type: 'user', id: 'alice', ip: '203.0.113.10' };
const bob = { type: 'user', id: 'bob', ip: '198.51.100.7' };
const http = (method, route, path, status, extra = {}) => ({ method, route, path, status, durationMs: 3.2, ...extra });
audit.record({
  kind: 'access',
  action: 'session.create',
  actor: alice,
  http: http('POST', '/login', '/login', 200, {
    headers: { authorization: `Bearer ${SECRETS.bearer}`, cookie: SECRETS.cookie, 'x-api-key': SECRETS.apiKey, 'user-agent': 'demo' },
    requestBody: { user: 'alice', password: SECRETS.password },
  }),
});
audit.record({
  kind: 'access',
  action: 'invoice.read',
  actor: alice,
  resource: { type: 'invoice', id: 'inv_1001' },
  http: http('GET', '/invoices/:id', '/invoices/inv_1001', 200),
});
audit.record({
  kind: 'access',
  action: 'admin.users.delete',
  actor: bob,
  outcome: 'denied',
  reason: 'requires role admin',
  resource: { type: 'user', id: 'carol' },
  http: http('DELETE', '/admin/users/:id', '/admin/users/carol', 403),
});
audit.record({
  kind: 'access',
  action: 'invoice.pay',
  actor: alice,
  resource: { type: 'invoice', id: 'inv_1001' },
  http: http('POST', '/invoices/:id/pay', '/invoices/inv_1001/pay?token=abc123def', 200, { requestBody: { card: SECRETS.card } }),
});
audit.record({
  kind: 'access',
  action: 'invoice.export',
  actor: bob,
  outcome: 'error',
  reason: 'upstream timeout',
  http: http('GET', '/invoices/export', '/invoices/export', 500),
});
const nightlyReport = audit.wrap(async (day) => ({ day, invoices: 2 }), {
  action: 'job.nightly-report',
  actor: { type: 'service', id: 'scheduler' },
});
await nightlyReport('2026-11-26');
const consume = audit.wrap(
  async (msg) => {
    if (msg.amount < 0) throw Object.assign(new Error('negative amount'), { code: 'EINVAL' });
  },
  { action: 'queue.refund', actor: { type: 'service', id: 'refund-worker' }, resource: (m) => ({ type: 'refund', id: m.id }) },
);
await consume({ id: 'rf_1', amount: 5 });
await consume({ id: 'rf_2', amount: -5 }).catch(() => {});
const closed = await audit.close();
check(closed.ok && errors.length === 0, `recorded 8 events; every entry durable on close (${logPath})`);

console.log('\n2. Verify the log, as an auditor would');
const text = readFileSync(logPath, 'utf8');
const report = verifyText(text, { file: 'audit.log' });
const chain = report.chains[0];
check(
  report.valid,
  `chain ${chain?.chain.slice(0, 8)}…: ${chain?.count} entries, seq ${chain?.firstSeq}..${chain?.lastSeq}, head ${chain?.headHash.slice(0, 16)}… — ${report.valid ? 'VALID' : 'INVALID'}`,
);
const lines = text.trimEnd().split('\n');
const entries = lines.map((l) => JSON.parse(l));
check(
  entries.some((e) => e.action === 'admin.users.delete' && e.outcome === 'denied' && e.actor.id === 'bob'),
  "bob's denied admin attempt is on record",
);
check(
  entries.some((e) => e.action === 'queue.refund' && e.outcome === 'failure'),
  'the failed refund job is on record with its reason',
);

const cli = spawnSync(cliBin, ['verify', out], { encoding: 'utf8', env: { ...process.env, AUDITREADY_READER_LOG: join(out, 'reads') } });
const verdict = cli.stdout
  .trim()
  .split('\n')
  .find((l) => /^(COMPLETE|CONSISTENT|INCOMPLETE|INVALID)/.test(l));
check(cli.status === 0 && verdict?.startsWith('COMPLETE'), `\`auditready verify ${out}\` says: ${verdict} (exit ${cli.status})`);

console.log('\n3. Secrets that travelled with the requests are not in the log');
const found = findSecrets(lines, { secrets: Object.values(SECRETS).concat('abc123def') });
check(
  found.length === 0,
  found.length === 0
    ? 'no tokens, cookies, passwords, API keys or card numbers'
    : `found: ${found.map((f) => `${f.kind} at line ${f.line}`).join(', ')}`,
);
const login = entries.find((e) => e.action === 'session.create');
check(login.redacted.length >= 4, `the log says what was cut: ${login.redacted.map((r) => `${r.path} (${r.how})`).join(', ')}`);

console.log('\n4. Tampering is caught, with the exact line');
const bobLine = lines.findIndex((l) => l.includes('"admin.users.delete"'));
const edited = [...lines];
edited[bobLine] = edited[bobLine].replace('"id":"bob"', '"id":"alice"');
writeFileSync(join(out, 'audit.edited.log'), `${edited.join('\n')}\n`);
const r1 = verifyText(readFileSync(join(out, 'audit.edited.log'), 'utf8'), { file: 'audit.edited.log' });
const cliEdited = spawnSync(cliBin, ['verify', join(out, 'audit.edited.log')], {
  encoding: 'utf8',
  env: { ...process.env, AUDITREADY_READER_LOG: join(out, 'reads') },
});
check(
  cliEdited.status === 1,
  `\`auditready verify audit.edited.log\` exits ${cliEdited.status}: ${cliEdited.stdout
    .split('\n')
    .find((l) => l.includes('modified'))
    ?.trim()}`,
);
const b1 = r1.breaks[0];
check(
  !r1.valid && b1?.kind === 'modified' && b1.line === bobLine + 1,
  `someone rewrote who was denied: ${b1?.kind} at ${b1?.file}:${b1?.line} (seq ${b1?.seq}) — ${b1?.message}`,
);
const deleted = lines.filter((_, i) => i !== bobLine);
const r2 = verifyText(`${deleted.join('\n')}\n`, { file: 'audit.deleted.log' });
const b2 = r2.breaks[0];
check(
  !r2.valid && b2?.kind === 'deleted' && b2.seq === bobLine,
  `someone deleted the entry instead: ${b2?.kind} seq ${b2?.seq} — ${b2?.message}`,
);

console.log(
  failures === 0
    ? '\nDemo complete: the log proves itself complete and untampered, and catches edits.\n'
    : `\nDemo FAILED: ${failures} check(s) did not hold.\n`,
);
process.exit(failures === 0 ? 0 : 1);
