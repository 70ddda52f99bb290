// Express with each logger, all in one run, under autocannon. Primary figure (issue #20): the CPU
// time per request of the server process (all threads, from /proc/<pid>/stat), and of its main
// thread (/proc/<pid>/task/<pid>/stat: what the worker mode leaves on the request thread); the
// logger's ADDED CPU is the mode's minus bare's in the same round, and each ratio to pino-http's
// added CPU is taken per round, then the median and spread over the rounds. All servers run for the
// whole benchmark and take short turns (2 s), each round starting at a different server. req/s and p99 are
// secondary: a co-located load generator on a shared machine moves them by 2x.
// Modes: bare; observer (a middleware that only sees the response finish: what observing a
// request costs any logger); auditready (default: fsync per batch, beside the floor); auditready-none
// (durability 'none': the same durability as the peers, which never fsync); auditready-worker (the
// logger in a worker thread); floor (bench/floor-audit.cjs: a JSON line, a SHA-256 chain, fdatasync'd
// appends); pino-http; morgan; express-winston. Each server runs in its own process; the servers
// take turns, round after round.
//   npm run bench   (EXPRESS_BENCH_ROUNDS=15 rounds of EXPRESS_BENCH_SECONDS=2 s per server by default)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { inTurns, median, middleHalf as spread } from './round-stats.mjs';

const seconds = Number(process.env.EXPRESS_BENCH_SECONDS ?? 2);
const rounds = Number(process.env.EXPRESS_BENCH_ROUNDS ?? 15);
// EXPRESS_BENCH_TOGETHER=1: in each round every server is under load at the same time (each from
// its own autocannon; EXPRESS_BENCH_RATE=<req/s> per server for a light, fixed load), so the
// ratios of a round share the machine's state of that moment; each server has part of a core.
const together = process.env.EXPRESS_BENCH_TOGETHER === '1';
const rate = process.env.EXPRESS_BENCH_RATE ? { overallRate: Number(process.env.EXPRESS_BENCH_RATE) } : {};
const connections = Number(process.env.EXPRESS_BENCH_CONNECTIONS ?? (together ? 10 : 50));
const modes = (
  process.env.EXPRESS_BENCH_MODES ?? 'bare,observer,auditready,auditready-none,auditready-worker,floor,pino-http,morgan,express-winston'
).split(',');
const TICK_MS = 1000 / 100; // USER_HZ: 100 on Linux

/** utime + stime of a process (or one of its threads), in ms. */
function cpuMs(statFile) {
  const text = readFileSync(statFile, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** Starts one server (its own process and log directory) and warms it up. */
async function start(mode) {
  const dir = mkdtempSync(join(tmpdir(), `ar-bench-${mode}-`));
  const server = mode === 'auditready-none' ? 'auditready' : mode;
  const env = mode === 'auditready-none' ? { ...process.env, BENCH_DURABILITY: 'none' } : process.env;
  const child = spawn(process.execPath, [new URL('./express-server.mjs', import.meta.url).pathname, server, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
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
  return { mode, child, dir, url };
}

/** CPU so far of a server's process and of its main thread, in ms. */
const cpuOf = (child) => [cpuMs(`/proc/${child.pid}/stat`), cpuMs(`/proc/${child.pid}/task/${child.pid}/stat`)];

function perRequest(mode, r, [p0, m0], [p1, m1]) {
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${mode}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  const n = r.requests.total;
  return { mode, rps: r.requests.average, p99: r.latency.p99, cpuUs: ((p1 - p0) * 1000) / n, mainUs: ((m1 - m0) * 1000) / n };
}

/** One slice of load on one server: CPU per request of its process and of its main thread. */
async function measure({ mode, child, url }) {
  const before = cpuOf(child);
  const r = await autocannon({ url, connections, duration: seconds, ...rate });
  return perRequest(mode, r, before, cpuOf(child));
}

/** One slice of load on every server at once (EXPRESS_BENCH_TOGETHER=1). */
async function measureTogether(all) {
  const before = all.map((s) => cpuOf(s.child));
  const rs = await Promise.all(all.map((s) => autocannon({ url: s.url, connections, duration: seconds, ...rate })));
  const after = all.map((s) => cpuOf(s.child));
  return all.map((s, i) => perRequest(s.mode, rs[i], before[i], after[i]));
}

// Every server runs for the whole benchmark (idle while another is measured); the rounds are short
// and many, and each starts at a different server, so that what is compared was measured close
// together in time on this shared machine.
const servers = [];
for (const m of modes) servers.push(await start(m));
const perRound = [];
try {
  for (let round = 0; round < rounds; round++) {
    if (!together) perRound.push(await inTurns(servers, round, measure));
    else perRound.push(Object.fromEntries((await measureTogether(servers)).map((m) => [m.mode, m])));
  }
} finally {
  for (const s of servers) {
    s.child.kill('SIGTERM');
    await new Promise((res) => (s.child.exitCode !== null ? res() : s.child.on('exit', res)));
    rmSync(s.dir, { recursive: true, force: true });
  }
}
const added = (mode, key = 'cpuUs') => perRound.map((r) => r[mode][key] - r.bare[key]);
console.log(
  `express ${(await import('express/package.json', { with: { type: 'json' } })).default.version}, autocannon ${connections} connections${rate.overallRate ? ` at ${rate.overallRate} req/s` : ''}, ${rounds} ${together ? 'rounds with all servers loaded together' : 'interleaved rounds'} x ${seconds}s per server, node ${process.version}`,
);
console.log(
  `${'server'.padEnd(18)} ${'CPU µs/req'.padStart(10)} ${'added'.padStart(7)} ${'main thr'.padStart(9)} ${'added'.padStart(7)} ${'req/s'.padStart(8)} ${'p99 ms'.padStart(7)}`,
);
for (const m of modes) {
  const xs = perRound.map((r) => r[m]);
  console.log(
    `${m.padEnd(18)} ${median(xs.map((x) => x.cpuUs))
      .toFixed(1)
      .padStart(10)} ${m === 'bare' ? ''.padStart(7) : median(added(m)).toFixed(1).padStart(7)} ${median(xs.map((x) => x.mainUs))
      .toFixed(1)
      .padStart(9)} ${m === 'bare' ? ''.padStart(7) : median(added(m, 'mainUs')).toFixed(1).padStart(7)} ${Math.round(
      median(xs.map((x) => x.rps)),
    )
      .toLocaleString('en-US')
      .padStart(8)} ${String(median(xs.map((x) => x.p99))).padStart(7)}`,
  );
}
if (modes.includes('pino-http') && modes.includes('bare')) {
  const pino = added('pino-http');
  const ratio = (mode) => perRound.map((r, i) => (r[mode].cpuUs - r.bare.cpuUs) / (pino[i] ?? Number.NaN));
  for (const [mode, target] of [
    ['auditready-none', 0.6],
    ['auditready', 0.8],
    ['floor', undefined],
    ['morgan', undefined],
    ['express-winston', undefined],
  ]) {
    if (!modes.includes(mode)) continue;
    const rs = ratio(mode);
    console.log(
      `${mode}: added CPU ${median(rs).toFixed(2)}x pino-http's (middle half of rounds ${spread(rs)})${target !== undefined ? ` — target <= ${target}x` : ''}`,
    );
  }
}
if (modes.includes('auditready-worker'))
  console.log(
    `auditready-worker: request thread added CPU ${median(added('auditready-worker', 'mainUs')).toFixed(1)} µs per request (middle half of rounds ${spread(added('auditready-worker', 'mainUs'))}) — target <= 10 µs`,
  );
if (modes.includes('observer'))
  console.log(
    `observer (only sees the response finish): request thread added CPU ${median(added('observer', 'mainUs')).toFixed(1)} µs per request (middle half of rounds ${spread(added('observer', 'mainUs'))})`,
  );
