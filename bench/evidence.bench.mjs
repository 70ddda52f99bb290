// An evidence pack for one actor over one month, beside `auditready query` of the same scope, on
// the same page-cached log: 1,000,000 entries of 50 actors spread over November 2026, written
// once by a real logger (signed checkpoint every 1,000 entries) into $EVIDENCE_BENCH_DIR (default
// <tmpdir>/auditready-bench-evidence-1m). Both run as the CLI does (child processes); wall time
// and CPU time (user + system, from /usr/bin/time) per command, medians of 3 interleaved rounds,
// and the median of the per-round ratios.
//   npm run build && node bench/evidence.bench.mjs    (EVIDENCE_BENCH_ENTRIES=1000000 by default)
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { accessInput } from './access-input.mjs';

const entries = Number(process.env.EVIDENCE_BENCH_ENTRIES ?? 1_000_000);
const dir = process.env.EVIDENCE_BENCH_DIR ?? join(tmpdir(), `auditready-bench-evidence-${entries / 1e6}m`);
const bin = join(import.meta.dirname, '..', 'node_modules', '.bin', 'auditready');
const logDir = join(dir, 'log');
const logFile = join(logDir, 'audit.log');
const keyFile = join(dir, 'log.key');
const exKeyFile = join(dir, 'extraction.key');
const start = Date.parse('2026-11-01T00:00:00Z');
const month = 30 * 86400e3;

if (!existsSync(join(dir, 'done'))) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  writeFileSync(join(dir, 'log.pub'), execFileSync(bin, ['keygen', '--name', 'billing-api.example/audit', '--out', keyFile]));
  execFileSync(bin, ['keygen', '--name', 'audit-team.example/evidence', '--out', exKeyFile]);
  let i = 0;
  // Time advances evenly through the month, one entry at a time.
  const clock = { nowMicros: () => Math.floor((start + (i * month) / entries) * 1000) };
  const fd = openSync(logFile, 'w', 0o600);
  let pending = [];
  const logger = createAuditLogger({
    service: { name: 'billing-api', version: '3.14.0', env: 'production' },
    transports: [{ name: 'null', async write() {} }],
    queue: { maxEntries: 1_000_000, batchSize: 4096 },
    handleSignals: false,
    processInfo: false,
    heartbeatMs: 0,
    clock,
    checkpoints: { signer: readFileSync(keyFile, 'utf8').trim(), everyEntries: 1000, intervalMs: 0 },
    onSealed: (r) => {
      pending.push(r.line);
      if (pending.length >= 4096) {
        writeSync(fd, `${pending.join('\n')}\n`);
        pending = [];
      }
    },
  });
  for (; i < entries; i++) {
    const a = i % 50;
    logger.record({
      ...accessInput,
      outcome: i % 13 === 0 ? 'denied' : 'success',
      actor: { ...accessInput.actor, id: `usr_${String(a).padStart(4, '0')}` },
      resource: { type: 'invoice', id: `inv_${i % 5000}` },
    });
    if (i % 1000 === 999) await logger.flush();
  }
  await logger.close();
  if (pending.length > 0) writeSync(fd, `${pending.join('\n')}\n`);
  closeSync(fd);
  writeFileSync(join(dir, 'done'), '');
}

if (process.env.EVIDENCE_BENCH_ONLY_GENERATE) process.exit(0);
const verifier = readFileSync(join(dir, 'log.pub'), 'utf8').trim();
const scope = ['--actor', 'usr_0007', '--since', '2026-11-01T00:00:00Z', '--until', '2026-12-01T00:00:00Z'];
const env = { ...process.env, AUDITREADY_READER_LOG: 'off' };

function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', bin, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${args[0]} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const [wall, user, sys] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  return { wall, cpu: user + sys, stdout: r.stdout };
}

const evidence = () => {
  const out = join(dir, 'pack');
  rmSync(out, { recursive: true, force: true });
  rmSync(`${out}.tar.gz`, { force: true });
  return timed(['evidence', logDir, ...scope, '--trust', verifier, '--sign-key', exKeyFile, '--out', out, '--seed', 'bench']);
};
const query = () => timed(['query', logDir, ...scope]);

query(); // warm the page cache
const q = [];
const ev = [];
const ratios = [];
let population = '';
for (let round = 0; round < 3; round++) {
  const a = query();
  const b = evidence();
  q.push(a);
  ev.push(b);
  ratios.push(b.wall / a.wall);
  population = b.stdout.trim();
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const mb = statSync(logFile).size / 1e6;
console.log(
  `evidence pack vs query, same scope (one actor, one month): ${entries.toLocaleString('en-US')} entries, ${mb.toFixed(0)} MB; node ${process.version}`,
);
console.log(`  ${population}`);
console.log(
  `${'auditready query'.padEnd(22)} wall ${median(q.map((x) => x.wall)).toFixed(2)} s  cpu ${median(q.map((x) => x.cpu)).toFixed(2)} s`,
);
console.log(
  `${'auditready evidence'.padEnd(22)} wall ${median(ev.map((x) => x.wall)).toFixed(2)} s  cpu ${median(ev.map((x) => x.cpu)).toFixed(2)} s`,
);
console.log(`evidence / query wall time: median ${median(ratios).toFixed(2)}x (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
