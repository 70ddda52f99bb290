// Same-run comparison of this tree with another checkout of the repository (a refactor must cost
// nothing): record(), and CPU per request of the Express and Nest servers with auditready, each
// measured in interleaved rounds (base, head, base, head ...) so drift hits both alike.
//   git worktree add /tmp/base <commit> && (cd /tmp/base && npm ci && npm run build)
//   npm run build && node bench/compare.mjs /tmp/base        (COMPARE_ROUNDS=5, COMPARE_SECONDS=5,
//   COMPARE_SERVERS=express,nest,fastify, COMPARE_RECORD=0)
// CPU per request: user + system time of the whole server process (all threads, /proc/<pid>/stat)
// over the measured window, divided by the requests answered in it. Linux only.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';

const baseRoot = resolve(process.argv[2] ?? '');
const headRoot = resolve(import.meta.dirname, '..');
if (!process.argv[2]) throw new Error('usage: node bench/compare.mjs <other checkout, built>');
const rounds = Number(process.env.COMPARE_ROUNDS ?? 5);
const seconds = Number(process.env.COMPARE_SECONDS ?? 5);
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const trees = [
  ['base', baseRoot],
  ['head', headRoot],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime (fields 14 and 15)
}

function recordOnce(root) {
  const out = execFileSync(process.execPath, [join(root, 'bench', 'record.bench.mjs')], { encoding: 'utf8', cwd: join(root, 'bench') });
  const us = (name) => Number(new RegExp(`^${name}.*?([0-9.]+) µs`, 'm').exec(out)?.[1]);
  return { record: us('record\\(\\)'), peer: us('peer:') };
}

async function serve(script, mode, path) {
  const dir = mkdtempSync(join(tmpdir(), `ar-compare-${mode}-`));
  const child = spawn(process.execPath, [script, mode, dir], { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(script, '..') });
  const port = await new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) res(Number(m[1]));
    });
    child.on('exit', (code) => rej(new Error(`${script} ${mode} exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}${path}`;
  await autocannon({ url, connections: 50, duration: 2 }); // warm-up
  const cpu0 = cpuSeconds(child.pid);
  const r = await autocannon({ url, connections: 50, duration: seconds });
  const cpu1 = cpuSeconds(child.pid);
  child.kill('SIGTERM');
  await new Promise((res) => child.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${mode}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, cpuUs: ((cpu1 - cpu0) / r.requests.total) * 1e6 };
}

console.log(`base ${baseRoot}, head ${headRoot}; ${rounds} interleaved rounds; node ${process.version}`);

const rec = { base: [], head: [] };
// COMPARE_RECORD=0 leaves record() out (the servers only).
const recordRounds = process.env.COMPARE_RECORD === '0' ? 0 : rounds;
for (let i = 0; i < recordRounds; i++) for (const [name, root] of trees) rec[name].push(recordOnce(root));
if (recordRounds > 0)
  console.log('\nrecord() on a realistic access entry, median µs per entry (ratio to the JSON.stringify + SHA-256 peer, same process)');
for (const [name] of recordRounds > 0 ? trees : []) {
  const xs = rec[name];
  console.log(
    `  ${name}: ${median(xs.map((x) => x.record)).toFixed(2)} µs, x${median(xs.map((x) => x.record / x.peer)).toFixed(2)} peer   rounds: ${xs.map((x) => x.record.toFixed(2)).join(' / ')}`,
  );
}

// COMPARE_SERVERS=nest,fastify (say) runs only those.
const only = process.env.COMPARE_SERVERS?.split(',');
const servers = [
  ['express', 'Express', 'express-server.mjs', '/invoices/inv_1001', ''],
  ['nest', 'Nest (Express platform)', 'nest-server.cjs', '/invoices/inv_1001', ''],
  ['fastify', 'Nest (Fastify platform)', 'nest-server.cjs', '/invoices/inv_1001', 'fastify-'],
].filter(([key]) => !only || only.includes(key));
for (const [, label, script, path, prefix] of servers) {
  const runs = { bare: [], base: [], head: [] };
  for (let i = 0; i < rounds; i++) {
    runs.bare.push(await serve(join(headRoot, 'bench', script), `${prefix}bare`, path));
    for (const [name, root] of trees) runs[name].push(await serve(join(root, 'bench', script), `${prefix}auditready`, path));
  }
  console.log(`\n${label}: CPU µs per request of the server process (median of ${rounds}); added = minus bare of the same round`);
  for (const name of ['bare', 'base', 'head']) {
    const xs = runs[name];
    const added = name === 'bare' ? '' : `  added ${median(xs.map((x, i) => x.cpuUs - runs.bare[i].cpuUs)).toFixed(1)} µs`;
    console.log(
      `  ${name.padEnd(5)} ${median(xs.map((x) => x.cpuUs)).toFixed(1)} µs/req, ${Math.round(median(xs.map((x) => x.rps)))} req/s${added}   rounds: ${xs.map((x) => x.cpuUs.toFixed(1)).join(' / ')}`,
    );
  }
  const ratio = median(runs.head.map((x, i) => (x.cpuUs - runs.bare[i].cpuUs) / (runs.base[i].cpuUs - runs.bare[i].cpuUs)));
  console.log(`  head's added CPU / base's added CPU, median of per-round ratios: ${ratio.toFixed(2)}`);
}
