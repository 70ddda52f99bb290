// Per-request CPU time of a Nest app (Express platform): bare, with @auditready/nestjs (file
// transport, defaults: fsync per batch; auditready-none: durability 'none', nestjs-pino's own
// durability), and with nestjs-pino (to a file), all in one run; floor: the least any
// tamper-evident, durable access log does (bench/floor-audit.cjs), as a yardstick. CPU is read from
// /proc/<pid>/stat (utime + stime, all threads) and /proc/<pid>/task/<pid>/stat (the main thread)
// over a fixed number of requests sent by autocannon. Target (issue #20): the adapter's added CPU
// per request <= 0.5x nestjs-pino's, taken per round against bare in the same round; the median of
// NEST_BENCH_ROUNDS=15 short interleaved rounds (each starting at a different server) and the
// middle half of them.
//   npm run bench   (NEST_BENCH_REQUESTS=10000 per server and round by default)
// NEST_BENCH_TOGETHER=1 loads all servers at the same time in each round (see measureTogether);
// NEST_BENCH_JSON=<file> saves every round's figures; NEST_SERVER=<file> runs another server script.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { median as mid, middleHalf as quartiles } from './round-stats.mjs';

const requests = Number(process.env.NEST_BENCH_REQUESTS ?? 10000);
const ticksPerSecond = 100; // USER_HZ on Linux
const rounds = Number(process.env.NEST_BENCH_ROUNDS ?? 15);
const cpuTicks = (file) => {
  const text = readFileSync(file, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function start(mode) {
  const dir = mkdtempSync(join(tmpdir(), `ar-nest-${mode}-`));
  const child = spawn(process.execPath, [new URL(process.env.NEST_SERVER ?? './nest-server.cjs', import.meta.url).pathname, mode, dir], {
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
  return { mode, dir, child, url, runs: [], main: [], rps: [], at: [] };
}

async function measure(s) {
  const [proc, main] = [`/proc/${s.child.pid}/stat`, `/proc/${s.child.pid}/task/${s.child.pid}/stat`];
  const [a, am] = [cpuTicks(proc), cpuTicks(main)];
  const r = await autocannon({ url: s.url, connections: 50, amount: requests });
  const [b, bm] = [cpuTicks(proc), cpuTicks(main)];
  note(s, r, b - a, bm - am);
}

function note(s, r, ticks, mainTicks) {
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${s.mode}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  const n = r.requests.total;
  s.runs.push((ticks / ticksPerSecond / n) * 1e6);
  s.main.push((mainTicks / ticksPerSecond / n) * 1e6);
  s.rps.push(r.requests.average);
  s.at.push(performance.now());
}

// NEST_BENCH_TOGETHER=1: in each round every server is under load at the same time (each from its
// own autocannon: NEST_BENCH_CONNECTIONS=10, NEST_BENCH_SECONDS=3; NEST_BENCH_RATE=<req/s> per
// server for a light, fixed load), so all of them share the machine's state of that moment and
// the ratios of a round compare like with like; each server has part of a core, so batches are
// smaller than when it runs alone.
const together = process.env.NEST_BENCH_TOGETHER === '1';
async function measureTogether(all) {
  const stat = (s) => [cpuTicks(`/proc/${s.child.pid}/stat`), cpuTicks(`/proc/${s.child.pid}/task/${s.child.pid}/stat`)];
  const before = all.map(stat);
  const rate = process.env.NEST_BENCH_RATE ? { overallRate: Number(process.env.NEST_BENCH_RATE) } : {};
  const connections = Number(process.env.NEST_BENCH_CONNECTIONS ?? 10);
  const duration = Number(process.env.NEST_BENCH_SECONDS ?? 3);
  const rs = await Promise.all(all.map((s) => autocannon({ url: s.url, connections, duration, ...rate })));
  const after = all.map(stat);
  for (const [i, s] of all.entries()) note(s, rs[i], after[i][0] - before[i][0], after[i][1] - before[i][1]);
}

// All servers start (idle ones cost nothing), then take turns: the machine drifts within a minute.
const servers = [];
for (const m of (
  process.env.NEST_BENCH_MODES ??
  'bare,auditready,auditready-none,auditready-context,auditready-worker,floor,nestjs-pino,fastify-bare,fastify-auditready'
).split(','))
  servers.push(await start(m));
for (let round = 0; round < rounds; round++) {
  if (together) await measureTogether(servers);
  else for (let i = 0; i < servers.length; i++) await measure(servers[(i + round) % servers.length]);
}
const results = [];
for (const s of servers) {
  s.child.kill('SIGTERM');
  await new Promise((res) => s.child.on('exit', res));
  rmSync(s.dir, { recursive: true, force: true });
  results.push({ mode: s.mode, cpuUs: mid(s.runs), mainUs: mid(s.main), rps: mid(s.rps), runs: s.runs, at: s.at });
}
// NEST_BENCH_JSON=file: every round's figures, to compare estimators offline.
if (process.env.NEST_BENCH_JSON) writeFileSync(process.env.NEST_BENCH_JSON, JSON.stringify(results));
const bare = results[0].cpuUs;
const fastifyBare = results.find((r) => r.mode === 'fastify-bare')?.cpuUs;
const regime = together
  ? `all servers loaded together, ${process.env.NEST_BENCH_CONNECTIONS ?? 10} connections each${process.env.NEST_BENCH_RATE ? ` at ${process.env.NEST_BENCH_RATE} req/s` : ''}, ${process.env.NEST_BENCH_SECONDS ?? 3} s x ${rounds} rounds`
  : `${requests} requests x ${rounds} interleaved rounds`;
console.log(
  `Nest ${JSON.parse(readFileSync(new URL('../node_modules/@nestjs/core/package.json', import.meta.url), 'utf8')).version} (Express platform; fastify-*: Fastify platform, compared with fastify-bare), ${regime} (median), node ${process.version}`,
);
console.log(`${'server'.padEnd(18)} ${'CPU µs/req'.padStart(11)} ${'added'.padStart(7)} ${'main thr'.padStart(9)} ${'req/s'.padStart(8)}`);
for (const r of results) {
  const base = r.mode.startsWith('fastify-') && fastifyBare !== undefined ? fastifyBare : bare;
  console.log(
    `${r.mode.padEnd(18)} ${r.cpuUs.toFixed(0).padStart(11)} ${`${(((r.cpuUs - base) / base) * 100).toFixed(0)}%`.padStart(7)} ${r.mainUs.toFixed(0).padStart(9)} ${Math.round(r.rps).toLocaleString('en-US').padStart(8)}`,
  );
}
// Added CPU against nestjs-pino's, per round (each against bare in the same round), then the median.
const runsOf = (mode) => results.find((r) => r.mode === mode)?.runs;
const [bareRuns, pinoRuns] = [runsOf('bare'), runsOf('nestjs-pino')];
for (const mode of ['auditready', 'auditready-none', 'auditready-context', 'auditready-nocontext', 'auditready-worker', 'floor']) {
  const xs = runsOf(mode);
  if (!xs || !bareRuns || !pinoRuns) continue;
  const ratios = xs.map((x, i) => (x - bareRuns[i]) / (pinoRuns[i] - bareRuns[i]));
  console.log(
    `${mode}: added CPU ${mid(ratios).toFixed(2)}x nestjs-pino's (middle half of rounds ${quartiles(ratios)})${mode === 'auditready' ? ' — target <= 0.5x' : ''}`,
  );
}
const ar = results.find((r) => r.mode === 'auditready')?.cpuUs;
const np = results.find((r) => r.mode === 'nestjs-pino')?.cpuUs;
if (ar !== undefined && np !== undefined)
  console.log(
    `@auditready/nestjs adds ${(((ar - bare) / bare) * 100).toFixed(0)}% CPU per request (issue #5's target: <= 10%); nestjs-pino adds ${(((np - bare) / bare) * 100).toFixed(0)}%`,
  );
const fl = results.find((r) => r.mode === 'floor')?.cpuUs;
if (fl !== undefined)
  console.log(`floor (JSON line + SHA-256 chain + fdatasync'd append, nothing else) adds ${(((fl - bare) / bare) * 100).toFixed(0)}%`);
