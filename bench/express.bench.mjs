// Express with each logger, all in one run, under autocannon: req/s, p99 latency, ratio to bare.
// Targets (issue #4): @auditready/express keeps >= 80% of bare throughput and beats pino-http by
// >= 1.3x. auditready-worker: the same defaults with the logger in a worker thread
// (@auditready/core/worker). floor: the least any tamper-evident, durable access log does
// (bench/floor-audit.cjs: a JSON line, a SHA-256 chain, fdatasync'd appends), as a yardstick for
// the targets. Each server runs in its own process; the load generator in this one.
// The machine drifts by several percent within a minute, so the servers take turns: rounds of
// every server in order, and each server's median round is reported.
//   npm run bench   (EXPRESS_BENCH_ROUNDS=3 rounds of EXPRESS_BENCH_SECONDS=5 s by default)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const seconds = Number(process.env.EXPRESS_BENCH_SECONDS ?? 5);
const rounds = Number(process.env.EXPRESS_BENCH_ROUNDS ?? 3);
const connections = Number(process.env.EXPRESS_BENCH_CONNECTIONS ?? 50);
const modes = ['bare', 'auditready', 'auditready-worker', 'floor', 'pino-http', 'morgan', 'express-winston'];

async function run(mode) {
  const dir = mkdtempSync(join(tmpdir(), `ar-bench-${mode}-`));
  const child = spawn(process.execPath, [new URL('./express-server.mjs', import.meta.url).pathname, mode, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${mode} server exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/invoices/inv_1001`;
  await autocannon({ url, connections, duration: 2 }); // warm-up
  const r = await autocannon({ url, connections, duration: seconds });
  child.kill('SIGTERM');
  await new Promise((res) => child.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${mode}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { mode, rps: r.requests.average, p99: r.latency.p99, total: r.requests.total };
}

const byMode = new Map(modes.map((m) => [m, []]));
for (let round = 0; round < rounds; round++) for (const m of modes) byMode.get(m).push(await run(m));
const median = (xs, key) => [...xs].sort((a, b) => a[key] - b[key])[Math.floor(xs.length / 2)][key];
const results = modes.map((mode) => {
  const xs = byMode.get(mode);
  return { mode, rps: median(xs, 'rps'), p99: median(xs, 'p99'), all: xs.map((x) => Math.round(x.rps)) };
});
const bare = results[0].rps;
const pino = results.find((r) => r.mode === 'pino-http').rps;
console.log(
  `express ${(await import('express/package.json', { with: { type: 'json' } })).default.version}, autocannon ${connections} connections, ${rounds} rounds x ${seconds}s (median round), node ${process.version}`,
);
console.log(`${'server'.padEnd(18)} ${'req/s'.padStart(9)} ${'p99 ms'.padStart(7)}  vs bare  rounds`);
for (const r of results)
  console.log(
    `${r.mode.padEnd(18)} ${Math.round(r.rps).toLocaleString('en-US').padStart(9)} ${String(r.p99).padStart(7)}  ${`${((r.rps / bare) * 100).toFixed(0)}%`.padEnd(7)}  ${r.all.map((x) => x.toLocaleString('en-US')).join(' / ')}`,
  );
for (const mode of ['auditready', 'auditready-worker', 'floor']) {
  const ar = results.find((r) => r.mode === mode).rps;
  console.log(`${mode}: ${((ar / bare) * 100).toFixed(0)}% of bare (target >= 80%), ${(ar / pino).toFixed(2)}x pino-http (target >= 1.3x)`);
}
