// Encryption at rest (docs/encryption.md): the logger + file transport with and without
// `encryption`, the same entries, in interleaved rounds; the ratio of entries/s per round (median
// and spread), CPU per entry, and what gzip makes of each file (compression comes before encryption
// only inside the data key's reach: a sealed entry's ciphertext does not compress).
//   npm run bench   (or: node bench/encryption.bench.mjs after a build)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createAuditLogger } from '@auditready/core';
import { ageGenerateIdentity, ageRecipientOf, ageRecipients, createFileTransport, fileKeyStore } from '@auditready/transport-file';

const N = Number(process.env.ENC_BENCH_ENTRIES ?? 50_000);
const ROUNDS = Number(process.env.ENC_BENCH_ROUNDS ?? 5);
const recipient = await ageRecipientOf(await ageGenerateIdentity());

function input(i) {
  return {
    kind: 'access',
    action: 'invoice.read',
    outcome: 'success',
    actor: { type: 'user', id: `usr_${i % 1000}`, ip: '203.0.113.42' },
    resource: { type: 'invoice', id: `inv_${i}` },
    http: { method: 'GET', route: '/invoices/:id', path: `/invoices/inv_${i}`, status: 200, durationMs: 12.4, requestId: `req_${i}` },
  };
}

async function run(encrypted, durability) {
  const dir = mkdtempSync(join(tmpdir(), 'ar-enc-bench-'));
  const log = createAuditLogger({
    service: { name: 'billing-api', version: '3.14.0', env: 'production' },
    transports: [createFileTransport({ dir, durability })],
    handleSignals: false,
    heartbeatMs: 0,
    ...(encrypted ? { encryption: { recipients: [ageRecipients([recipient])], keyStore: fileKeyStore(join(dir, 'keys')) } } : {}),
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    log.record(input(i));
    if (i % 2000 === 1999) await log.flush(); // within the queue: nothing dropped, both pay for every entry
  }
  const closed = await log.close();
  if (!closed.ok) throw new Error(`bench: ${closed.pending} entries not written`);
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const text = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => readFileSync(join(dir, f)))
    .reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0));
  const bytes = text.length;
  const gz = gzipSync(text).length;
  rmSync(dir, { recursive: true, force: true });
  return { rate: N / s, cpuUs: (c.user + c.system) / N, bytes, gz };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`encryption at rest: ${N.toLocaleString('en-US')} entries per run, ${ROUNDS} interleaved rounds; node ${process.version}`);
for (const durability of ['none', 'fsync']) {
  await run(false, durability); // warm-up
  await run(true, durability);
  const plain = [];
  const enc = [];
  for (let r = 0; r < ROUNDS; r++) {
    plain.push(await run(false, durability));
    enc.push(await run(true, durability));
  }
  const ratios = plain.map((p, i) => enc[i].rate / p.rate);
  const row = (name, rs) =>
    `  ${name.padEnd(28)} ${Math.round(median(rs.map((x) => x.rate)))
      .toLocaleString('en-US')
      .padStart(9)} entries/s  ${median(rs.map((x) => x.cpuUs))
      .toFixed(1)
      .padStart(6)} µs CPU/entry  ${Math.round(rs[0].bytes / N)} B/entry, gzip ${(rs[0].gz / rs[0].bytes).toFixed(2)}`;
  console.log(`durability '${durability}':`);
  console.log(row('plaintext', plain));
  console.log(row('encrypted (AES-256-GCM)', enc));
  console.log(
    `  encrypted / plaintext entries/s: median ${(median(ratios) * 100).toFixed(0)}% (rounds ${ratios.map((x) => `${(x * 100).toFixed(0)}%`).join(', ')})`,
  );
}
