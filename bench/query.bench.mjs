// `auditready query` beside `grep -F` and `zgrep` in the same run (issue #18), and the segment
// index on a generated year-long archive of gzipped segments.
//  1. plain log (the 1,000,000-entry log of evidence.bench.mjs, page-cached): a selective filter
//     (one actor of 50) vs `grep -F -c` of the same literal; a full-parse query (an actor pattern
//     every line passes the byte test for) in MB/s;
//  2. the same log gzipped: query vs `zgrep -F -c`;
//  3. archive: $QUERY_ARCHIVE_ENTRIES entries (default 1,500,000) of 5,000 actors over 2026, written
//     by the file transport (64 MB segments, gzip, index sidecars); one actor over one week, with
//     and without the index.
// Medians of 5 interleaved rounds (3 for the archive), wall time per command (child processes).
//   npm run build && node bench/evidence.bench.mjs (once, for the log) && node bench/query.bench.mjs
//   QUERY_BENCH_PARTS=archive QUERY_ARCHIVE_ENTRIES=167000000 node bench/query.bench.mjs (the 10 GB archive only)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';

const bin = join(import.meta.dirname, '..', 'node_modules', '.bin', 'auditready');
const logDir = join(process.env.EVIDENCE_BENCH_DIR ?? join(tmpdir(), 'auditready-bench-evidence-1m'), 'log');
const logFile = join(logDir, 'audit.log');
if (!existsSync(logFile) && (process.env.QUERY_BENCH_PARTS ?? 'plain').includes('plain')) {
  console.log('generating the log (bench/evidence.bench.mjs) ...');
  execFileSync(process.execPath, [join(import.meta.dirname, 'evidence.bench.mjs')], {
    stdio: 'inherit',
    env: { ...process.env, EVIDENCE_BENCH_ONLY_GENERATE: '1' },
  });
}
const env = { ...process.env, AUDITREADY_READER_LOG: 'off' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function wall(cmd, args) {
  const t0 = performance.now();
  // Output through a pipe: GNU grep stops at the first match when its output is /dev/null.
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status} ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}
function rounds(n, cases) {
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < n; i++) for (const [k, run] of Object.entries(cases)) times[k].push(run());
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { median: median(xs), all: xs }]));
}

const parts = (process.env.QUERY_BENCH_PARTS ?? 'plain,archive').split(',');
if (parts.includes('plain')) {
  const mb = statSync(logFile).size / 1e6;
  const gz = `${logFile}.gz.bench`;
  if (!existsSync(gz)) execFileSync('sh', ['-c', `gzip -c -6 '${logFile}' > '${gz}'`]);
  const gzDir = join(tmpdir(), 'auditready-bench-query-gz');
  mkdirSync(gzDir, { recursive: true });
  const gzLog = join(gzDir, 'audit.log.gz');
  if (!existsSync(gzLog)) execFileSync('cp', [gz, gzLog]);
  wall('cat', [logFile]); // page cache
  const plain = rounds(5, {
    grep: () => wall('grep', ['-F', '-c', '"usr_0007"', logFile]),
    query: () => wall(bin, ['query', logFile, '--actor', 'usr_0007']),
    fullParse: () => wall(bin, ['query', logFile, '--actor', 'usr*7']),
    zgrep: () => wall('zgrep', ['-F', '-c', '"usr_0007"', gzLog]),
    queryGz: () => wall(bin, ['query', gzLog, '--actor', 'usr_0007']),
  });
  console.log(`query vs grep -F on ${mb.toFixed(0)} MB (1,000,000 entries, page-cached); node ${process.version}`);
  console.log(`  grep -F -c '"usr_0007"'            ${plain.grep.median.toFixed(2)} s`);
  console.log(
    `  query --actor usr_0007 (selective) ${plain.query.median.toFixed(2)} s  = ${((plain.grep.median / plain.query.median) * 100).toFixed(0)}% of grep's speed`,
  );
  console.log(
    `  query --actor 'usr*7' (full parse) ${plain.fullParse.median.toFixed(2)} s  = ${(mb / plain.fullParse.median).toFixed(0)} MB/s`,
  );
  console.log(`  zgrep -F -c (gzip)                 ${plain.zgrep.median.toFixed(2)} s`);
  console.log(
    `  query on the .gz                   ${plain.queryGz.median.toFixed(2)} s  = ${((plain.zgrep.median / plain.queryGz.median) * 100).toFixed(0)}% of zgrep's speed`,
  );
}

if (parts.includes('archive')) {
  // The archive: a year of gzipped 64 MB segments with index sidecars.
  const entries = Number(process.env.QUERY_ARCHIVE_ENTRIES ?? 1_500_000);
  const archive = process.env.QUERY_ARCHIVE_DIR ?? join(tmpdir(), `auditready-bench-archive-v2-${entries}`);
  if (!existsSync(join(archive, 'done'))) {
    const t0 = performance.now();
    rmSync(archive, { recursive: true, force: true });
    mkdirSync(archive, { recursive: true });
    const start = Date.parse('2026-01-01T00:00:00Z');
    const year = 365 * 86400e3;
    let i = 0;
    const transport = createFileTransport({ dir: archive, rotate: { maxBytes: 64 * 1024 * 1024 }, compress: true, durability: 'none' });
    const log = createAuditLogger({
      service: { name: 'billing-api', version: '3.14.0' },
      transports: [transport],
      handleSignals: false,
      processInfo: false,
      heartbeatMs: 0,
      queue: { maxEntries: 100_000, batchSize: 4096 },
      clock: { nowMicros: () => Math.floor((start + (i * year) / entries) * 1000) },
    });
    for (; i < entries; i++) {
      // 5,000 actors, each busy for a stretch of the year (a few segments), as people are.
      const actor = (Math.floor((i / entries) * 5000) + (i % 7 === 0 ? (i * 7919) % 5000 : 0)) % 5000;
      log.record({
        kind: 'access',
        action: i % 9 === 0 ? 'invoice.update' : 'invoice.read',
        outcome: i % 13 === 0 ? 'denied' : 'success',
        actor: { type: 'user', id: `usr_${String(actor).padStart(5, '0')}`, ip: '203.0.113.42' },
        resource: { type: 'invoice', id: `inv_${i % 50_000}` },
        http: {
          method: i % 9 === 0 ? 'PUT' : 'GET',
          route: '/invoices/:id',
          path: `/invoices/inv_${i % 50_000}`,
          status: i % 13 === 0 ? 403 : 200,
          durationMs: 12.4,
          requestId: `req_${i}`,
        },
      });
      if (i % 4096 === 4095) {
        await log.flush();
        // As a server's event loop would: let the background work (index, gzip) run between batches.
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    await transport.idle(600_000);
    await log.close();
    writeFileSync(join(archive, 'done'), '');
    console.log(`archive generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const files = readdirSync(archive);
  const gzBytes = files.filter((f) => f.endsWith('.gz')).reduce((s, f) => s + statSync(join(archive, f)).size, 0);
  // The week of June 1-8 and an actor busy then (actors advance through the year).
  const week = ['--since', '2026-06-01T00:00:00Z', '--until', '2026-06-08T00:00:00Z'];
  const actor = `usr_${String(Math.floor((151 / 365) * 5000) + 3).padStart(5, '0')}`;
  // An actor busy that week, and one who only appears now and then (1 entry in 7 goes to a random actor).
  const quiet = `usr_${String((Math.floor((151 / 365) * 5000) + 2500) % 5000).padStart(5, '0')}`;
  const arch = rounds(5, {
    indexed: () => wall(bin, ['query', archive, '--actor', actor, ...week]),
    quiet: () => wall(bin, ['query', archive, '--actor', quiet, ...week]),
  });
  // Reading every segment of a 10 GB archive takes minutes: once is enough to compare.
  const scan = rounds(entries > 10_000_000 ? 1 : 3, {
    scan: () => wall(bin, ['query', archive, '--actor', actor, ...week, '--no-index']),
  });
  const count = (who) =>
    spawnSync(bin, ['query', archive, '--actor', who, ...week], { env, encoding: 'utf8', maxBuffer: 1 << 30 })
      .stdout.trim()
      .split('\n')
      .filter(Boolean).length;
  console.log(
    `archive: ${entries.toLocaleString('en-US')} entries over 2026 in ${files.filter((f) => f.endsWith('.gz')).length} gzipped segments (${(gzBytes / 1e9).toFixed(2)} GB), ${files.filter((f) => f.endsWith('.idx.json')).length} index sidecars`,
  );
  console.log(`  one actor busy that week (${actor}, ${count(actor)} matches):`);
  console.log(
    `    with the index                   ${arch.indexed.median.toFixed(2)} s  (all: ${arch.indexed.all.map((x) => x.toFixed(2)).join(' ')})`,
  );
  console.log(`    --no-index (every segment)       ${scan.scan.median.toFixed(2)} s`);
  console.log(`  one actor seen now and then (${quiet}, ${count(quiet)} matches):`);
  console.log(
    `    with the index                   ${arch.quiet.median.toFixed(2)} s  (all: ${arch.quiet.all.map((x) => x.toFixed(2)).join(' ')})`,
  );
}
