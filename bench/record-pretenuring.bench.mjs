// How long-lived objects change the cost of record(): V8's allocation-site pretenuring. Child
// processes, each recording 200,000
// distinct access entries into a null transport (flushed every 250), inputs built per entry from
// precomputed strings; in two of them 20,000 inputs were first built by the same function and kept
// (a pool, as bench/record.bench.mjs keeps); in one the transport first stalled while 20,000
// entries waited; two run with --no-allocation-site-pretenuring.
// Prints each one's young-generation collections (count, pause ms), bytes promoted to the old
// generation, and wall µs per entry.
//   npm run build && node bench/record-pretenuring.bench.mjs
import { spawnSync } from 'node:child_process';
import { distinctAccessInputs } from './access-input.mjs';

if (process.argv[2] === 'child') {
  const { createAuditLogger } = await import('@auditready/core');
  const POOL = 20_000;
  const input = distinctAccessInputs(POOL);
  const pool = process.argv[3] === 'pool' ? Array.from({ length: POOL }, (_, i) => input(i)) : [];
  let stalled = process.argv[3] === 'backlog';
  let release;
  const l = createAuditLogger({
    service: { name: 'billing-api', version: '3.14.0', env: 'production' },
    transports: [
      {
        name: 'null',
        async write() {
          if (stalled) await new Promise((r) => (release = r));
        },
      },
    ],
    queue: { maxEntries: 1_000_000, batchSize: 1024 },
    handleSignals: false,
  });
  if (stalled) {
    // The transport stalls while 20,000 entries wait, then recovers.
    for (let i = 0; i < POOL; i++) {
      l.record(input(i));
      if (i % 1000 === 0) await new Promise(setImmediate);
    }
    stalled = false;
    release?.();
    await l.flush();
  }
  const N = 200_000;
  const t = performance.now();
  for (let k = 0; k < N; k += 250) {
    for (let i = 0; i < 250; i++) l.record(input((k + i) % POOL));
    await l.flush();
  }
  console.log(`RESULT ${((performance.now() - t) / N) * 1000} ${pool.length}`);
  await l.close();
} else {
  const runs = [
    ['inputs built per entry', [], 'fresh'],
    ['the same, a pool of 20,000 kept beside them', [], 'pool'],
    ['after a backlog of 20,000 entries (the transport stalled)', [], 'backlog'],
    ['inputs built per entry, --no-allocation-site-pretenuring', ['--no-allocation-site-pretenuring'], 'fresh'],
    ['a pool kept, --no-allocation-site-pretenuring', ['--no-allocation-site-pretenuring'], 'pool'],
  ];
  for (const [name, flags, mode] of runs) {
    const r = spawnSync(process.execPath, [...flags, '--trace-gc-nvp', new URL(import.meta.url).pathname, 'child', mode], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    let scavenges = 0;
    let pauseMs = 0;
    let promoted = 0;
    let us = Number.NaN;
    for (const line of r.stdout.split('\n')) {
      if (line.includes('gc=s ')) {
        scavenges++;
        pauseMs += Number(/ pause=([\d.]+)/.exec(line)?.[1] ?? 0);
        promoted += Number(/promoted=(\d+)/.exec(line)?.[1] ?? 0);
      } else if (line.startsWith('RESULT ')) us = Number(line.split(' ')[1]);
    }
    if (r.status !== 0 || Number.isNaN(us)) throw new Error(`${name}: ${r.stderr}`);
    console.log(
      `${name.padEnd(58)} ${String(scavenges).padStart(4)} scavenges, ${pauseMs.toFixed(0).padStart(5)} ms; ${(promoted / 1e6).toFixed(0).padStart(4)} MB promoted; ${us.toFixed(2)} µs per entry (wall)`,
    );
  }
}
