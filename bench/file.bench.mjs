// File transport throughput per durability mode, beside raw writes of the same bytes in the same
// run: fs.appendFile per batch, a write stream, and raw write + fdatasync per batch (the fair peer
// of 'fsync' mode). Batches of 256 entries, as the logger sends them.
//   npm run bench   (or: node bench/file.bench.mjs after a build)
import { appendFile, closeSync, createWriteStream, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HashChain } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';

const N = Number(process.env.FILE_BENCH_ENTRIES ?? 100_000);
const BATCH = 256;
const chain = new HashChain({ id: 'bench-file' });
const records = [];
for (let i = 0; i < N; i++) {
  records.push(
    chain.seal({
      kind: 'access',
      ts: '2026-11-27T03:52:31.123456Z',
      action: 'invoice.read',
      outcome: 'success',
      actor: { type: 'user', id: `usr_${i % 1000}`, ip: '203.0.113.42' },
      resource: { type: 'invoice', id: `inv_${i}` },
      http: { method: 'GET', route: '/invoices/:id', path: `/invoices/inv_${i}`, status: 200, durationMs: 12.4, requestId: `req_${i}` },
      service: { env: 'production', name: 'billing-api', version: '3.14.0' },
    }),
  );
}
const batches = [];
for (let i = 0; i < N; i += BATCH) batches.push(records.slice(i, i + BATCH));
const bytesOf = (b) => Buffer.byteLength(`${b.map((r) => r.line).join('\n')}\n`);
const totalBytes = batches.reduce((s, b) => s + bytesOf(b), 0);
// Peers get the same batches and build the same bytes, as a transport must.
const bufferOf = (b) => Buffer.from(`${b.map((r) => r.line).join('\n')}\n`);

/** Best of three runs, each into a fresh directory. `n`: entries written (default all). */
async function time(name, fn, n = N) {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'ar-bench-'));
    const t0 = performance.now();
    await fn(dir);
    best = Math.min(best, (performance.now() - t0) / 1000);
    rmSync(dir, { recursive: true, force: true });
  }
  return { name, s: best, n };
}

const transportRun =
  (durability, extra = {}, list = batches) =>
  async (dir) => {
    const t = createFileTransport({ dir, durability, ...extra });
    for (const b of list) await t.write(b);
    await t.flush();
    await t.close();
  };
// The head commitment is refreshed after every batch (so it covers every acknowledged entry); its
// price shows most with small batches, as a lightly loaded server sends: batches of 8 here.
const small = [];
for (let i = 0; i < N / 4; i += 8) small.push(records.slice(i, i + 8));

const appendFileAsync = promisify(appendFile);
const results = [];
results.push(await time("transport-file, durability 'fsync' (fdatasync per batch)", transportRun('fsync')));
results.push(
  await time('peer: write + fdatasync per batch (raw fd)', async (dir) => {
    const fd = openSync(join(dir, 'raw.log'), 'a', 0o600);
    for (const b of batches) {
      writeSync(fd, bufferOf(b));
      fdatasyncSync(fd);
    }
    closeSync(fd);
  }),
);
results.push(await time('transport-file, durability { groupCommitMs: 10 }', transportRun({ groupCommitMs: 10 })));
results.push(await time("transport-file, durability 'none'", transportRun('none')));
results.push(await time("  batches of 8, 'none', head after every batch (default)", transportRun('none', {}, small), N / 4));
results.push(
  await time("  batches of 8, 'none', head at most every 1 s (before)", transportRun('none', { headIntervalMs: 1000 }, small), N / 4),
);
results.push(await time("  batches of 8, 'fsync', head after every batch (default)", transportRun('fsync', {}, small), N / 4));
results.push(
  await time("  batches of 8, 'fsync', head at most every 1 s (before)", transportRun('fsync', { headIntervalMs: 1000 }, small), N / 4),
);
results.push(
  await time('peer: fs.appendFile per batch', async (dir) => {
    for (const b of batches) await appendFileAsync(join(dir, 'raw.log'), bufferOf(b));
  }),
);
results.push(
  await time('peer: fs.createWriteStream', async (dir) => {
    const ws = createWriteStream(join(dir, 'raw.log'), { flags: 'a' });
    for (const b of batches) if (!ws.write(bufferOf(b))) await new Promise((r) => ws.once('drain', r));
    await new Promise((r) => ws.end(r));
  }),
);

console.log(
  `file transport: ${N.toLocaleString('en-US')} entries in batches of ${BATCH}, ${(totalBytes / 1e6).toFixed(1)} MB (${Math.round(totalBytes / N)} bytes/entry); node ${process.version}`,
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(62)} ${Math.round(r.n / r.s)
      .toLocaleString('en-US')
      .padStart(10)} entries/s  ${((totalBytes * (r.n / N)) / 1e6 / r.s).toFixed(1).padStart(7)} MB/s`,
  );
}
