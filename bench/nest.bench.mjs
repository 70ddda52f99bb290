// Per-request CPU time of a Nest app (Express platform): bare, with @auditready/nestjs (file
// transport, defaults), and with nestjs-pino (to a file), all in one run; floor: the least any
// tamper-evident, durable access log does (bench/floor-audit.cjs), as a yardstick for the target. Target (issue #5): the
// adapter adds no more than 10% to bare Nest's per-request CPU time. CPU is read from
// /proc/<pid>/stat (utime + stime) over a fixed number of requests sent by autocannon; three
// interleaved rounds, median.   npm run bench   (NEST_BENCH_REQUESTS=40000 by default)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const requests = Number(process.env.NEST_BENCH_REQUESTS ?? 40000);
const ticksPerSecond = 100; // USER_HZ on Linux
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function start(mode) {
  const dir = mkdtempSync(join(tmpdir(), `ar-nest-${mode}-`));
  const child = spawn(process.execPath, [new URL('./nest-server.cjs', import.meta.url).pathname, mode, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${mode} exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/invoices/inv_1001`;
  await autocannon({ url, connections: 50, amount: 20000 }); // warm-up
  return { mode, dir, child, url, runs: [], rps: [] };
}

async function measure(s) {
  const a = cpuTicks(s.child.pid);
  const r = await autocannon({ url: s.url, connections: 50, amount: requests });
  const b = cpuTicks(s.child.pid);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${s.mode}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  s.runs.push(((b - a) / ticksPerSecond / requests) * 1e6);
  s.rps.push(r.requests.average);
}

// All servers start (idle ones cost nothing), then take turns: the machine drifts within a minute.
const servers = [];
for (const m of (
  process.env.NEST_BENCH_MODES ?? 'bare,auditready,auditready-worker,floor,nestjs-pino,fastify-bare,fastify-auditready'
).split(','))
  servers.push(await start(m));
for (let round = 0; round < 3; round++) for (const s of servers) await measure(s);
const mid = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const results = [];
for (const s of servers) {
  s.child.kill('SIGTERM');
  await new Promise((res) => s.child.on('exit', res));
  rmSync(s.dir, { recursive: true, force: true });
  results.push({ mode: s.mode, cpuUs: mid(s.runs), rps: mid(s.rps) });
}
const bare = results[0].cpuUs;
const fastifyBare = results.find((r) => r.mode === 'fastify-bare')?.cpuUs;
console.log(
  `Nest ${JSON.parse(readFileSync(new URL('../node_modules/@nestjs/core/package.json', import.meta.url), 'utf8')).version} (Express platform; fastify-*: Fastify platform, compared with fastify-bare), ${requests} requests x 3 interleaved rounds (median), node ${process.version}`,
);
console.log(`${'server'.padEnd(18)} ${'CPU µs/req'.padStart(11)} ${'added'.padStart(7)} ${'req/s'.padStart(8)}`);
for (const r of results) {
  const base = r.mode.startsWith('fastify-') && fastifyBare !== undefined ? fastifyBare : bare;
  console.log(
    `${r.mode.padEnd(18)} ${r.cpuUs.toFixed(0).padStart(11)} ${`${(((r.cpuUs - base) / base) * 100).toFixed(0)}%`.padStart(7)} ${Math.round(r.rps).toLocaleString('en-US').padStart(8)}`,
  );
}
const ar = results.find((r) => r.mode === 'auditready')?.cpuUs;
const np = results.find((r) => r.mode === 'nestjs-pino')?.cpuUs;
if (ar !== undefined && np !== undefined)
  console.log(
    `@auditready/nestjs adds ${(((ar - bare) / bare) * 100).toFixed(0)}% CPU per request (target <= 10%); nestjs-pino adds ${(((np - bare) / bare) * 100).toFixed(0)}%`,
  );
const fl = results.find((r) => r.mode === 'floor')?.cpuUs;
if (fl !== undefined)
  console.log(`floor (JSON line + SHA-256 chain + fdatasync'd append, nothing else) adds ${(((fl - bare) / bare) * 100).toFixed(0)}%`);
