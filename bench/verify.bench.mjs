// Verify throughput on a large log (default 1 GB), beside sha256sum of the same file in the same
// run. Target (issue #3): at least 50% of sha256sum's speed. The log is generated once into
// $VERIFY_BENCH_FILE (default: <tmpdir>/auditready-bench-1g.log) and reused.
//   npm run bench   (VERIFY_BENCH_MB=1024 by default)
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashChain } from '@auditready/core';
import { feedStream, Verifier, verifyStream } from '@auditready/core/verify';

const targetMB = Number(process.env.VERIFY_BENCH_MB ?? 1024);
const file = process.env.VERIFY_BENCH_FILE ?? join(tmpdir(), `auditready-bench-${targetMB}m.log`);

if (!existsSync(file) || statSync(file).size < targetMB * 1e6 * 0.99) {
  const t0 = performance.now();
  const chain = new HashChain({ id: 'bench-verify' });
  const fd = openSync(file, 'w', 0o600);
  let bytes = 0;
  let i = 0;
  const users = Array.from({ length: 500 }, (_, k) => `usr_${k.toString(16).padStart(8, '0')}`);
  while (bytes < targetMB * 1e6) {
    const lines = [];
    for (let k = 0; k < 2000; k++, i++) {
      lines.push(
        chain.sealSorted({
          action: i % 10 === 3 ? 'admin.users.delete' : 'invoice.read',
          actor: { id: users[i % 500], ip: '203.0.113.42', type: 'user' },
          http: { durationMs: 12.4, method: 'GET', path: `/invoices/inv_${i}`, requestId: `req_${i}`, route: '/invoices/:id', status: 200 },
          kind: 'access',
          outcome: 'success',
          resource: { id: `inv_${i}`, type: 'invoice' },
          service: { env: 'production', name: 'billing-api', version: '3.14.0' },
          trace: { spanId: '00f067aa0ba902b7', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' },
          ts: '2026-11-27T03:52:31.123456Z',
        }).line,
      );
    }
    const buf = Buffer.from(`${lines.join('\n')}\n`);
    writeSync(fd, buf);
    bytes += buf.length;
  }
  closeSync(fd);
  console.log(
    `generated ${file}: ${(bytes / 1e6).toFixed(0)} MB, ${i.toLocaleString('en-US')} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

const size = statSync(file).size;
const mb = size / 1e6;
const ROUNDS = Number(process.env.VERIFY_BENCH_ROUNDS ?? 5);
// Warm the page cache so every reader reads from memory.
spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] });

const cliBin = new URL('../node_modules/.bin/auditready', import.meta.url).pathname;
const timed = async (fn) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};
const readers = {
  sha256sum: () => {
    const sha = spawnSync('sha256sum', [file], { encoding: 'utf8' });
    if (sha.status !== 0) throw new Error(`sha256sum failed: ${sha.stderr}`);
  },
  // One thread (the line worker off), then verifyStream as it is (the line worker on: a second core scans and hashes part of each block).
  'verifyStream, one thread': async () => {
    const v = new Verifier({ parallel: true });
    await feedStream(v, createReadStream(file, { highWaterMark: 1 << 20 }), { file });
    if (!(await v.finishAsync()).valid) throw new Error('the benchmark log does not verify');
  },
  verifyStream: async () => {
    const report = await verifyStream(createReadStream(file, { highWaterMark: 1 << 20 }), { file });
    if (!report.valid) throw new Error('the benchmark log does not verify');
  },
  // createReadStream's default 64 KiB chunks (gathered into larger blocks for the worker): reading
  // them costs Node's stream machinery about 4x more than 1 MiB chunks.
  'verifyStream, 64 KiB chunks': async () => {
    const report = await verifyStream(createReadStream(file), { file });
    if (!report.valid) throw new Error('the benchmark log does not verify');
  },
  'auditready verify (CLI)': () => {
    const cli = spawnSync(cliBin, ['verify', file], { encoding: 'utf8', env: { ...process.env, AUDITREADY_READER_LOG: 'off' } });
    // A lone file is CONSISTENT (exit 3): nothing commits to its head; anything else is a failure here.
    if (cli.status !== 0 && !(cli.status === 3 && cli.stdout.includes('0 INVALID')))
      throw new Error(`auditready verify failed: ${cli.stdout}${cli.stderr}`);
  },
};
const times = Object.fromEntries(Object.keys(readers).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(readers)) times[name].push(await timed(fn));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const entries = (await verifyStream(createReadStream(file, { highWaterMark: 1 << 20 }), { file })).entries;
console.log(
  `verify: ${mb.toFixed(0)} MB, ${entries.toLocaleString('en-US')} entries (${Math.round(size / entries)} bytes/entry); ${ROUNDS} interleaved rounds, medians; node ${process.version}`,
);
for (const name of Object.keys(readers)) {
  const t = median(times[name]);
  const ratios = times[name].map((x, i) => times.sha256sum[i] / x);
  const vs =
    name === 'sha256sum'
      ? ''
      : `  = ${(median(ratios) * 100).toFixed(0)}% of sha256sum (rounds ${ratios.map((x) => (x * 100).toFixed(0)).join(', ')})`;
  console.log(`${name.padEnd(30)} ${t.toFixed(2).padStart(6)} s  ${(mb / t).toFixed(0).padStart(5)} MB/s${vs}`);
}
// One more read, for where the time goes: each thread's cost per line as the split measured it.
{
  const stats = { workerLines: 0 };
  const v = new Verifier({ parallel: true });
  await feedStream(v, createReadStream(file, { highWaterMark: 1 << 20 }), { file, lineWorker: true, stats });
  await v.finishAsync();
  const us = (ms) => (ms === undefined ? '?' : `${(ms * 1000).toFixed(2)} µs`);
  console.log(
    `per line, as the split measured them: worker ${us(stats.costs?.worker)} (scan + hash), reading thread ${us(stats.costs?.scan)} (its part) + ${us(stats.costs?.link)} (cutting and linking every line); worker share ${stats.share?.toFixed(2)}`,
  );
}
console.log('target (issue #20): verifyStream >= 80% of sha256sum');
