// The app thread's time per entry in its calls to the logger, with the logger in a worker thread
// (@auditready/core/worker) and in-process, same defaults (file transport, fsync), same run:
// recordLater() (the middleware's call; in-process it seals in a batch after the turn, which is not
// measured here — the in-process record() row includes sealing), fail-closed (every request asks
// accepting() and recordLater() checks it again: read from shared memory, no round trip), and the
// worker's synchronous record() (a round trip).
//   npm run bench   (WORKER_BENCH_ENTRIES=50000 by default)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { startWorkerAuditLogger } from '@auditready/core/worker';
import { createFileTransport } from '@auditready/transport-file';

const entries = Number(process.env.WORKER_BENCH_ENTRIES ?? 50000);
const perTurn = 50; // like a busy server: a few dozen requests complete per event-loop turn
const input = (i) => ({
  kind: 'access',
  action: 'GET /invoices/:id',
  outcome: 'success',
  actor: { type: 'user', id: 'u-1', ip: '127.0.0.1', userAgent: 'bench' },
  http: { method: 'GET', path: `/invoices/inv_${i}`, route: '/invoices/:id', status: 200, durationMs: 0.4, requestId: `r-${i}` },
  resource: { type: 'invoices', id: `inv_${i}` },
});

async function measure(name, logger, failClosed, sync = false) {
  let ns = 0;
  let refused = 0;
  for (let done = 0; done < entries; done += perTurn) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perTurn; i++) {
      if (failClosed && !logger.accepting()) {
        refused++;
        continue;
      }
      if (sync) logger.record(input(done + i));
      else logger.recordLater(input(done + i));
    }
    ns += Number(process.hrtime.bigint() - t0);
    await new Promise((r) => setTimeout(r, 1)); // let the worker (or the in-process batch) catch up
  }
  const flushed = await logger.flush({ timeoutMs: 60_000 });
  await logger.close();
  return { name, us: ns / 1000 / entries, refused, ok: flushed.ok };
}

const results = [];
for (const failClosed of [false, true]) {
  const dir = mkdtempSync(join(tmpdir(), 'ar-wbench-'));
  process.env.AUDITREADY_BENCH_DIR = dir;
  process.env.AUDITREADY_BENCH_FAIL_CLOSED = failClosed ? '1' : '';
  const queue = failClosed ? { overflow: 'fail-closed' } : {};
  const inProcess = createAuditLogger({
    service: { name: 'bench' },
    transports: [createFileTransport({ dir: join(dir, 'in') })],
    queue,
    handleSignals: false,
  });
  results.push(await measure(`in-process recordLater${failClosed ? ' (fail-closed)' : ''}`, inProcess, failClosed));
  const worker = await startWorkerAuditLogger(new URL('./audit-worker-setup.mjs', import.meta.url), { handleSignals: false });
  results.push(await measure(`worker recordLater${failClosed ? ' (fail-closed: accepting() + recordLater())' : ''}`, worker, failClosed));
  rmSync(dir, { recursive: true, force: true });
}
{
  const dir = mkdtempSync(join(tmpdir(), 'ar-wbench-'));
  process.env.AUDITREADY_BENCH_DIR = dir;
  process.env.AUDITREADY_BENCH_FAIL_CLOSED = '';
  const inProcess = createAuditLogger({
    service: { name: 'bench' },
    transports: [createFileTransport({ dir: join(dir, 'in') })],
    handleSignals: false,
  });
  results.push(await measure('in-process record() (sealed in the call)', inProcess, false, true));
  const worker = await startWorkerAuditLogger(new URL('./audit-worker-setup.mjs', import.meta.url), { handleSignals: false });
  results.push(await measure('worker record() (a synchronous round trip)', worker, false, true));
  rmSync(dir, { recursive: true, force: true });
}
console.log(`app-thread µs per entry, ${entries} entries, ${perTurn} per turn, node ${process.version}`);
for (const r of results)
  console.log(
    `${r.name.padEnd(62)} ${r.us.toFixed(2).padStart(7)} µs  ${r.refused ? `(${r.refused} refused)` : ''}${r.ok ? '' : ' FLUSH FAILED'}`,
  );
