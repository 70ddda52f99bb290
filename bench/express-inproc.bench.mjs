// Express with each logger, driven in-process (issue #20): the same app as bench/express.bench.mjs,
// but each request is handed to Express directly (a node:http request and response on a socket
// that takes every write at once: bench/express-inproc-child.mjs), so what is measured is the app's
// and the logger's CPU time, without the kernel's TCP stack, the load generator's share of the two
// cores, or the timing of its connections. Each server is its own process (a logger's prototype
// hooks must not touch bare's responses); the rounds are interleaved, each starting at a different
// server, and each ratio to pino-http's added CPU is taken per round. CPU per request of the whole
// process (all threads), including the logger's deferred work for the round (its flush).
//   INPROC_ROUNDS=15 INPROC_REQUESTS=10000 INPROC_PER_TURN=10 node express-inproc.bench.mjs
//   INPROC_MODES=bare,auditready-g0,auditready,pino-http ...   (auditready-g<N>: fsync, gatherMs N)
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTurns, median, middleHalf as spread } from './round-stats.mjs';

const rounds = Number(process.env.INPROC_ROUNDS ?? 15);
const n = Number(process.env.INPROC_REQUESTS ?? 10_000);
const modes = (process.env.INPROC_MODES ?? 'bare,auditready,auditready-none,floor,pino-http,morgan').split(',');

async function start(mode) {
  const dir = mkdtempSync(join(tmpdir(), `ar-inproc-${mode}-`));
  const child = fork(new URL('./express-inproc-child.mjs', import.meta.url), [mode, dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  /** Sends a message and waits for the answer. */
  const ask = (m) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(m);
    });
  const s = { mode, dir, child, ask };
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${mode} exited ${code}`)));
  });
  await s.ask({ n }); // warm-up
  return s;
}

const servers = [];
for (const m of modes) servers.push(await start(m));
const perRound = [];
try {
  for (let round = 0; round < rounds; round++) {
    perRound.push(
      await inTurns(servers, round, async (s) => {
        const r = await s.ask({ n });
        if (r.failures > 0) throw new Error(`${s.mode}: ${r.failures} responses were not 200`);
        return r.cpuUs / n;
      }),
    );
  }
} finally {
  for (const s of servers) {
    s.child.send({ n: 0 });
    await new Promise((res) => (s.child.exitCode !== null ? res() : s.child.on('exit', res)));
    rmSync(s.dir, { recursive: true, force: true });
  }
}

const added = (mode) => perRound.map((r) => r[mode] - r.bare);
console.log(
  `express ${(await import('express/package.json', { with: { type: 'json' } })).default.version}, in-process, ${rounds} interleaved rounds of ${n} requests (${process.env.INPROC_PER_TURN ?? 10} per event-loop turn), node ${process.version}`,
);
console.log(`${'server'.padEnd(18)} ${'CPU µs/req'.padStart(10)} ${'added'.padStart(7)} ${'middle half'.padStart(13)}`);
for (const m of modes) {
  const a = m === 'bare' ? '' : median(added(m)).toFixed(1);
  console.log(
    `${m.padEnd(18)} ${median(perRound.map((r) => r[m]))
      .toFixed(1)
      .padStart(10)} ${a.padStart(7)} ${m === 'bare' ? '' : spread(added(m)).padStart(13)}`,
  );
}
if (modes.includes('pino-http') && modes.includes('bare')) {
  const pino = added('pino-http');
  const targets = { 'auditready-none': 0.6, auditready: 0.8 };
  for (const m of modes) {
    if (m === 'bare' || m === 'pino-http') continue;
    const ratios = perRound.map((r, i) => (r[m] - r.bare) / pino[i]);
    const t = targets[m] === undefined ? '' : ` — target <= ${targets[m]}x`;
    console.log(`${m}: added CPU ${median(ratios).toFixed(2)}x pino-http's (middle half of rounds ${spread(ratios)})${t}`);
  }
}
