// The HTTP transport delivering to a local receiver (examples/http-receiver, in another process),
// beside a plain batched fetch loop posting the same kind of lines, in the same run: entries/s
// delivered and the app's CPU per entry (process.cpuUsage of this process: record() + transport).
//   npm run bench   (HTTP_BENCH_ENTRIES=50000 by default)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger, HashChain } from '@auditready/core';
import { createHttpTransport } from '@auditready/transport-http';

const N = Number(process.env.HTTP_BENCH_ENTRIES ?? 50000);
const input = (i) => ({
  kind: 'access',
  action: 'invoice.read',
  outcome: 'success',
  actor: { type: 'user', id: `usr_${i % 500}`, ip: '203.0.113.42' },
  resource: { type: 'invoice', id: `inv_${i}` },
  http: { method: 'GET', route: '/invoices/:id', path: `/invoices/inv_${i}`, status: 200, durationMs: 12.4, requestId: `req_${i}` },
});

async function startReceiver() {
  const dir = mkdtempSync(join(tmpdir(), 'ar-bench-recv-'));
  const child = spawn(process.execPath, [new URL('../examples/http-receiver/receiver.mjs', import.meta.url).pathname], {
    env: { ...process.env, PORT: '0', RECEIVER_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve) =>
    child.stdout.on('data', (d) => {
      const m = /on (http:\/\/[^\s,]+)/.exec(String(d));
      if (m) resolve(m[1].replace('localhost', '127.0.0.1'));
    }),
  );
  return {
    url,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(name, run) {
  const recv = await startReceiver();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(recv.url);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  recv.stop();
  return { name, rate: N / s, cpuUs: (cpu.user + cpu.system) / N };
}

async function auditready(url, spool) {
  const spoolDir = spool ? mkdtempSync(join(tmpdir(), 'ar-bench-spool-')) : undefined;
  const transport = createHttpTransport({
    url,
    ...(spoolDir ? { spool: { dir: spoolDir } } : { deadLetterFile: join(tmpdir(), 'ar-bench-dead.ndjson') }),
  });
  const logger = createAuditLogger({
    service: { name: 'bench' },
    transports: [transport],
    handleSignals: false,
    queue: { maxEntries: 100000, batchSize: 256 },
  });
  for (let i = 0; i < N; i++) {
    logger.record(input(i));
    if (i % 5000 === 4999) await logger.flush();
  }
  await logger.flush();
  await transport.idle(60000);
  await logger.close();
  if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
}

async function fetchLoop(url) {
  // The peer: entries built and hashed the simplest way, then POSTed 256 at a time.
  const chain = new HashChain({ id: 'peer' });
  let batch = [];
  let first = 0;
  for (let i = 0; i < N; i++) {
    batch.push(chain.seal({ ...input(i), ts: new Date().toISOString().replace('Z', '000Z'), actor: input(i).actor }).line);
    if (batch.length === 256 || i === N - 1) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': `peer:${first}-${i}` },
        body: `${batch.join('\n')}\n`,
      });
      await res.text();
      batch = [];
      first = i + 1;
    }
  }
}

const results = [];
results.push(await measure('auditready: record() + transport-http, spool (fsync)', (u) => auditready(u, true)));
results.push(await measure('auditready: record() + transport-http, no spool', (u) => auditready(u, false)));
results.push(await measure('peer: seal + batched fetch loop (256 per POST)', fetchLoop));
console.log(`http transport: ${N.toLocaleString('en-US')} entries to a local receiver (another process); node ${process.version}`);
for (const r of results)
  console.log(
    `${r.name.padEnd(56)} ${Math.round(r.rate).toLocaleString('en-US').padStart(9)} entries/s  ${r.cpuUs.toFixed(1).padStart(6)} µs CPU/entry (app side)`,
  );
