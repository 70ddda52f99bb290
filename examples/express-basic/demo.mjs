// `npm run demo`: the invoice API on a free port, scripted traffic through it, a clean shutdown,
// `auditready verify` on the audit log, then a tampered copy caught with the exact line; signed
// checkpoints kept in a second directory prove one entry to an auditor and catch an insider who
// rewrites the whole log and recomputes every hash.
// Prints the story; exits non-zero if anything was not as expected.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { computeEntryHash, createAuditLogger, serializeEntry } from '@auditready/core';
import { findSecrets } from '@auditready/core/testing';
import { createFileTransport } from '@auditready/transport-file';
import express from 'express';
import { createApp } from './app.mjs';

const here = import.meta.dirname;
const out = join(here, 'demo-output');
const logDir = join(out, 'audit');
const cli = join(here, '..', '..', 'node_modules', '.bin', 'auditready');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const cliEnv = { ...process.env, AUDITREADY_READER_LOG: join(out, 'reads') };
const checkpointDir = join(out, 'checkpoints'); // in production: another volume, host or bucket
// The checkpoint key pair, as `auditready keygen` makes it: the signer key stays with the app (a
// secret store; here a 0600 file), the verifier key goes to auditors.
const keyFile = join(out, 'checkpoint-signer.key');
const keygen = spawnSync(cli, ['keygen', '--name', 'invoice-api.example/audit', '--out', keyFile], { encoding: 'utf8', env: cliEnv });
const verifierKey = keygen.stdout.trim();

let failures = 0;
const check = (ok, text) => {
  console.log(`  ${ok ? '✔' : '✘'} ${text}`);
  if (!ok) failures++;
};

// ---- 1. start ---------------------------------------------------------------------------------
const errors = [];
const logger = createAuditLogger({
  service: { name: 'invoice-api', version: '1.0.0', env: 'demo' },
  transports: [createFileTransport({ dir: logDir, durability: 'fsync' })],
  onError: (e) => errors.push(e),
  // A signed checkpoint (C2SP) every 10 entries and at close, sealed into the log and kept apart.
  checkpoints: {
    signer: readFileSync(keyFile, 'utf8').trim(),
    everyEntries: 10,
    destinations: [createFileTransport({ dir: checkpointDir, name: 'checkpoints' })],
  },
});
const server = createApp({ express, logger }).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${server.address().port}`;
console.log(`\n1. The invoice API is up on ${base}, audited into ${logDir}`);

// ---- 2. traffic -------------------------------------------------------------------------------
const SECRETS = {
  alicePassword: 'correct-horse-battery-staple',
  rootPassword: 'admin-password-do-not-log',
  cookie: 'sid=8c1f0aa1e2b34c5d9e77',
  apiKey: 'ak_live_51H8demoKeyValue9',
  queryToken: 'qtok-5f2a9c7e1b3d',
  card: '4111 1111 1111 1111',
};
const go = async (method, path, { token, headers = {}, json, raw } = {}) => {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (json !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers: h, body: json !== undefined ? JSON.stringify(json) : raw });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
};
console.log('\n2. Scripted traffic');
const alice = (await go('POST', '/login', { json: { username: 'alice', password: SECRETS.alicePassword } })).json.token;
const bob = (await go('POST', '/login', { json: { username: 'bob', password: 'hunter2-but-longer' } })).json.token;
const root = (await go('POST', '/login', { json: { username: 'root', password: SECRETS.rootPassword } })).json.token;
const results = [
  ['alice lists her invoices', await go('GET', '/invoices', { token: alice }), 200],
  ['alice reads inv_1001', await go('GET', '/invoices/inv_1001', { token: alice }), 200],
  [
    'alice updates inv_1001 (card number in the body)',
    await go('PUT', '/invoices/inv_1001', { token: alice, json: { amount: 130, note: `paid with ${SECRETS.card}` } }),
    200,
  ],
  [
    'alice uploads an attachment',
    await go('POST', '/invoices/inv_1001/attachments', {
      token: alice,
      headers: { 'content-type': 'application/pdf' },
      raw: Buffer.alloc(4096, 1),
    }),
    201,
  ],
  ["bob tries alice's invoice", await go('GET', '/invoices/inv_1001', { token: bob }), 404],
  ['bob tries the admin route', await go('GET', '/admin/users', { token: bob }), 403],
  ['root deletes inv_1002', await go('DELETE', '/invoices/inv_1002', { token: root }), 204],
  [
    'a request carrying secrets in headers and query',
    await go('GET', `/invoices?access_token=${SECRETS.queryToken}`, {
      token: alice,
      headers: { cookie: SECRETS.cookie, 'x-api-key': SECRETS.apiKey },
    }),
    200,
  ],
  ['a wrong password', await go('POST', '/login', { json: { username: 'alice', password: 'guess-123' } }), 401],
  ['a nested router', await go('GET', '/orgs/acme/invoices/inv_1001', { token: alice }), 200],
  ['a route that crashes', await go('GET', '/boom', { token: alice }), 500],
];
await new Promise((resolve) => {
  const req = request(`${base}/slow`, { headers: { 'x-request-id': 'demo-client-gives-up' } });
  req.on('error', () => resolve());
  req.end();
  setTimeout(() => {
    req.destroy();
    resolve();
  }, 50);
});
results.push(['a client that gives up before the answer', { status: 'aborted' }, 'aborted']);
for (const [what, r, want] of results) check(r.status === want, `${what}: ${r.status}`);

// ---- 3. shut down -----------------------------------------------------------------------------
await new Promise((r) => setTimeout(r, 400)); // let /slow finish on the server side
await new Promise((r) => server.close(r));
const closed = await logger.close();
console.log('\n3. Clean shutdown');
check(closed.ok && errors.length === 0, `every entry durable on close (${closed.pending} pending, ${errors.length} audit errors)`);

// ---- 4. verify --------------------------------------------------------------------------------
console.log('\n4. `auditready verify` on the log');
const v = spawnSync(cli, ['verify', logDir, '--trust', verifierKey, '--checkpoints', checkpointDir], { encoding: 'utf8', env: cliEnv });
for (const line of v.stdout
  .trim()
  .split('\n')
  .filter((l) => /checkpoint \d|COMPLETE|complete through/.test(l)))
  console.log(`     ${line.trim()}`);
check(v.status === 0, `exit ${v.status}: the log is complete and untampered, through a checkpoint signed by ${verifierKey.split('+')[0]}`);

const lines = readdirSync(logDir)
  .filter((f) => f.endsWith('.log'))
  .flatMap((f) => readFileSync(join(logDir, f), 'utf8').trim().split('\n'));
const entries = lines.map((l) => JSON.parse(l));
const access = entries.filter((e) => e.kind === 'access');
check(access.length === results.length + 3, `${access.length} access entries: one per request (3 logins + ${results.length} more)`);
const q = spawnSync(cli, ['query', logDir, '--outcome', 'denied,error,aborted', '--format', 'table'], { encoding: 'utf8', env: cliEnv });
console.log('     What an auditor sees first (`auditready query --outcome denied,error,aborted --format table`):');
for (const line of q.stdout.trim().split('\n')) console.log(`       ${line.slice(0, 150)}`);
check(
  access.some(
    (e) => e.action === 'GET /admin/users' && e.outcome === 'denied' && e.actor.id === 'u-bob' && e.reason === 'requires role admin',
  ),
  "bob's denied admin attempt is on record, with the reason",
);
check(
  access.some((e) => e.outcome === 'aborted' && e.http.requestId === 'demo-client-gives-up' && e.http.status === undefined),
  'the client that gave up is recorded as aborted, without a status it never got',
);

// ---- 5. secrets -------------------------------------------------------------------------------
console.log('\n5. Secrets the traffic carried are not in the log');
const found = findSecrets(lines, { secrets: [...Object.values(SECRETS), alice, bob, root] });
check(
  found.length === 0,
  found.length === 0
    ? 'no passwords, bearer tokens, cookies, API keys, query tokens or card numbers'
    : found.map((f) => `${f.kind} line ${f.line}`).join(', '),
);
const cut = [...new Set(entries.flatMap((e) => (e.redacted ?? []).map((r) => r.path.replace(/\[\d+\]/g, '[*]'))))];
check(cut.length > 0, `and the entries say what was cut: ${cut.join(', ')}`);

// ---- 6. tamper --------------------------------------------------------------------------------
console.log('\n6. Someone edits the log to hide the denied admin attempt');
const tampered = join(out, 'tampered');
cpSync(logDir, tampered, { recursive: true });
rmSync(join(tampered, 'audit.lock'), { force: true });
const file = join(tampered, 'audit.log');
const tlines = readFileSync(file, 'utf8').split('\n');
const idx = tlines.findIndex((l) => l.includes('"GET /admin/users"') && l.includes('"denied"'));
tlines[idx] = tlines[idx].replace('"outcome":"denied"', '"outcome":"success"');
writeFileSync(file, tlines.join('\n'));
const t = spawnSync(cli, ['verify', tampered], { encoding: 'utf8', env: cliEnv });
const hit = t.stdout.split('\n').find((l) => l.includes('modified'));
console.log(`     ${hit?.trim()}`);
check(t.status === 1 && hit?.includes(`line ${idx + 1},`), `verify exits ${t.status} and names the exact line (${idx + 1})`);

// ---- 7. one entry, proven to an auditor --------------------------------------------------------
console.log("\n7. An auditor asks for bob's denied admin attempt, and checks it without the log");
const denied = entries.find((e) => e.action === 'GET /admin/users' && e.outcome === 'denied');
const proofFile = join(out, `seq-${denied.seq}.proof`);
spawnSync(cli, ['prove', logDir, '--seq', String(denied.seq), '--trust', verifierKey, '--out', proofFile], {
  encoding: 'utf8',
  env: cliEnv,
});
const vp = spawnSync(cli, ['verify-proof', proofFile, '--trust', verifierKey], { encoding: 'utf8', env: cliEnv });
console.log(`     ${vp.stdout.split('\n')[0]}`);
check(vp.status === 0, `\`auditready verify-proof\` exits ${vp.status}: the proof file and the verifier key are all it needs`);

// ---- 8. an insider rewrites history -----------------------------------------------------------
console.log('\n8. An insider with write access rewrites the log: the denied attempt becomes a success,');
console.log('   every hash after it recomputed, the head file rewritten to match');
const forged = join(out, 'forged');
cpSync(logDir, forged, { recursive: true });
rmSync(join(forged, 'audit.lock'), { force: true });
let prev;
const rewritten = entries.map((e) => {
  const x = { ...e, ...(e.seq === denied.seq ? { outcome: 'success', reason: undefined } : {}), ...(prev ? { prev } : {}) };
  delete x.hash;
  x.hash = computeEntryHash(x);
  prev = x.hash;
  return x;
});
writeFileSync(join(forged, 'audit.log'), `${rewritten.map(serializeEntry).join('\n')}\n`);
const head = JSON.parse(readFileSync(join(forged, 'audit.head.json'), 'utf8'));
writeFileSync(join(forged, 'audit.head.json'), JSON.stringify({ ...head, hash: rewritten.at(-1).hash }));
const plainVerify = spawnSync(cli, ['verify', forged], { encoding: 'utf8', env: cliEnv });
check(plainVerify.status === 0, `a plain hash chain cannot tell: \`auditready verify\` exits ${plainVerify.status}`);
const trusted = spawnSync(cli, ['verify', forged, '--trust', verifierKey, '--checkpoints', checkpointDir], {
  encoding: 'utf8',
  env: cliEnv,
});
const caught = trusted.stdout.split('\n').find((l) => /checkpoint-root|destination-mismatch/.test(l));
console.log(`     ${caught?.trim().slice(0, 160)}`);
check(trusted.status === 1 && caught !== undefined, `with the checkpoints kept apart it can: exit ${trusted.status}`);

// ---- 9. evidence for an auditor -----------------------------------------------------------------
console.log("\n9. The auditor asks for all of bob's activity: an evidence pack, checked offline");
const exKey = join(out, 'extraction.key');
const exPub = spawnSync(cli, ['keygen', '--name', 'audit-team.example/evidence', '--out', exKey], {
  encoding: 'utf8',
  env: cliEnv,
}).stdout.trim();
const pack = join(out, 'evidence-bob');
const ev = spawnSync(
  cli,
  ['evidence', logDir, '--actor', 'u-bob', '--trust', verifierKey, '--sign-key', exKey, '--out', pack, '--sample', '3'],
  {
    encoding: 'utf8',
    env: cliEnv,
  },
);
console.log(`     ${ev.stdout.trim()}`);
const evv = spawnSync(cli, ['evidence', 'verify', pack, '--trust', verifierKey, '--trust', exPub], { encoding: 'utf8', env: cliEnv });
console.log(`     ${evv.stdout.trim()}`);
check(ev.status === 0 && evv.status === 0, `\`auditready evidence verify\` exits ${evv.status}: the pack checks without the log`);

console.log(
  failures === 0
    ? '\nDemo complete: every request is on record, provably, and without secrets.\n'
    : `\nDemo FAILED: ${failures} check(s) did not hold.\n`,
);
process.exit(failures === 0 ? 0 : 1);
