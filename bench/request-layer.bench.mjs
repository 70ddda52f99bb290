// The request thread's own work per request in the shared request layer (@auditready/node-http,
// under the Express and Nest adapters), measured in isolation on node:http's real request and
// response objects (no sockets, no framework): begin() when a request arrives (state, request id,
// X-Request-Id), the completion (the entry's input from the facts), and in worker mode
// recordLater() with the batch posted to the audit thread (structured clone), and the worker
// mode's whole share (issue #20's target: <= 10 µs). Median of 9 interleaved rounds of 20,000
// requests, wall time of this thread (nothing here waits but the worker flushes, which are not
// counted). Each response already carries a header, as real ones do (see pairs()).
//   npm run bench
import { mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { startWorkerAuditLogger } from '@auditready/core/worker';
import { RequestAuditor } from '@auditready/node-http';

const N = 20_000;
const ROUNDS = 9;
const sock = new Duplex({
  read() {},
  write(_c, _e, done) {
    done();
  },
});
Object.defineProperty(sock, 'remoteAddress', { value: '127.0.0.1' });

function pairs() {
  return Array.from({ length: N }, (_, i) => {
    const req = new IncomingMessage(sock);
    req.method = 'GET';
    req.url = `/invoices/inv_${i}`;
    req.httpVersion = '1.1';
    req.headers = { host: '127.0.0.1', 'user-agent': 'bench', accept: '*/*' };
    const res = new ServerResponse(req);
    res.locals = Object.create(null);
    // A header already set, as on every real response (Express sets X-Powered-By when the request
    // arrives; res.json and res.send set Content-Type): node:http makes a response's header table
    // at its first setHeader, so whichever header comes first pays for it. What X-Request-Id adds
    // is its own entry.
    res.setHeader('Content-Type', 'application/json');
    res.statusCode = 200;
    return [req, res];
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ar-layer-'));
process.env.AUDITREADY_BENCH_DIR = dir;
const worker = await startWorkerAuditLogger(new URL('./audit-worker-setup.mjs', import.meta.url), { handleSignals: false });
const stub = { record() {}, recordLater() {}, reportError() {}, reserve: () => true, release() {} };
const layer = new RequestAuditor({ logger: stub });
const workerLayer = new RequestAuditor({ logger: worker });

/**
 * Worker mode: `perTurn` requests complete in each event-loop turn (a busy server completes many;
 * one under moderate load a few), then the turn ends and what recordLater took is posted.
 */
async function workerTurns(ps, perTurn) {
  for (const [req, res] of ps) workerLayer.begin(req, res);
  let t = performance.now();
  for (let i = 0; i < ps.length; i += perTurn) {
    for (let k = i; k < i + perTurn; k++) workerLayer.complete(ps[k][0], ps[k][1], ps[k][0].audit, false);
    await new Promise((r) => setImmediate(r));
    if (i % 5000 >= 5000 - perTurn) {
      const f = performance.now();
      await worker.flush(); // within the queue's bound (not timed)
      t += performance.now() - f;
    }
  }
  return performance.now() - t;
}

const steps = {
  'begin() (state, request id, X-Request-Id)': (ps) => {
    for (const [req, res] of ps) layer.begin(req, res);
  },
  'completion (the entry input; logger stubbed)': (ps) => {
    for (const [req, res] of ps) layer.begin(req, res);
    const t = performance.now();
    for (const [req, res] of ps) layer.complete(req, res, req.audit, false);
    return performance.now() - t;
  },
  'worker mode: completion + recordLater + the post': (ps) => workerTurns(ps, 50),
  'the same, 4 requests per event-loop turn': (ps) => workerTurns(ps, 4),
};
const times = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++)
  for (const [name, fn] of Object.entries(steps)) {
    const ps = pairs();
    const t = performance.now();
    const own = await fn(ps);
    times[name].push(((own ?? performance.now() - t) * 1000) / N);
    await worker.flush();
  }
// The request thread's whole share in worker mode (#20's target: <= 10 µs), summed within each round.
const [beginTimes, , workerTimes, fewTimes] = Object.values(times);
times['worker mode, in all: begin() + completion and post'] = beginTimes.map((b, i) => b + workerTimes[i]);
times['the same, 4 requests per turn'] = beginTimes.map((b, i) => b + fewTimes[i]);
await worker.close();
rmSync(dir, { recursive: true, force: true });
console.log(`request layer, µs per request on the request thread, ${ROUNDS} interleaved rounds of ${N}, node ${process.version}`);
for (const [name, xs] of Object.entries(times)) {
  const s = [...xs].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(55)} ${s[Math.floor(s.length / 2)].toFixed(2).padStart(6)} µs (${s[2].toFixed(2)}-${s[s.length - 3].toFixed(2)})`,
  );
}
