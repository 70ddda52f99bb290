// One logger's Express app for bench/express-inproc.bench.mjs, driven in this process without
// sockets or a load generator. argv[2]: the mode (as in express-server.mjs; also auditready-g<N>:
// the default fsync with the file transport's gatherMs: N, to price gathering), argv[3]: a log
// directory. On each IPC message { n } it serves n requests, `PER_TURN` per event-loop turn, and
// answers with the process's CPU time for them (all threads: process.cpuUsage()), after the logger's
// own deferred work for them is done (its flush).
import { createWriteStream } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import express from 'express';

const [, , mode, dir] = process.argv;
const PER_TURN = Number(process.env.INPROC_PER_TURN ?? 10);
const app = express();
let settle = async () => {};

if (mode === 'auditready' || mode === 'auditready-none' || mode.startsWith('auditready-g')) {
  const { createAuditLogger } = await import('@auditready/core');
  const { createFileTransport } = await import('@auditready/transport-file');
  const { auditMiddleware } = await import('@auditready/express');
  const transport = createFileTransport({
    dir,
    ...(mode === 'auditready-none' ? { durability: 'none' } : {}),
    ...(mode.startsWith('auditready-g') ? { gatherMs: Number(mode.slice(12)) } : {}),
  });
  const logger = createAuditLogger({ service: { name: 'bench' }, transports: [transport] });
  app.use(auditMiddleware({ logger }));
  settle = () => logger.flush();
} else if (mode === 'pino-http') {
  const pino = (await import('pino')).default;
  const pinoHttp = (await import('pino-http')).default;
  const dest = pino.destination({ dest: join(dir, 'pino.log'), sync: false });
  app.use(pinoHttp({ logger: pino(dest) }));
  settle = () => new Promise((resolve) => dest.flush(() => resolve()));
} else if (mode === 'morgan') {
  const morgan = (await import('morgan')).default;
  const stream = createWriteStream(join(dir, 'morgan.log'), { flags: 'a' });
  app.use(morgan('combined', { stream }));
  settle = () => new Promise((resolve) => (stream.writableNeedDrain ? stream.once('drain', resolve) : resolve()));
} else if (mode === 'floor') {
  const { floorMiddleware } = await import('./floor-audit.cjs');
  app.use(floorMiddleware(dir));
} else if (mode !== 'bare') {
  throw new Error(`unknown mode ${mode}`);
}

app.get('/invoices/:id', (req, res) => {
  res.json({ id: req.params.id, amount: 120, currency: 'EUR' });
});

/** A socket that accepts every write at once (what a fast client's socket looks like to node:http). */
function socket() {
  const s = new Duplex({
    read() {},
    write(_c, _e, done) {
      done();
    },
    writev(_c, done) {
      done();
    },
  });
  Object.defineProperty(s, 'remoteAddress', { value: '127.0.0.1' });
  return s;
}
const sockets = Array.from({ length: PER_TURN }, socket);
let seq = 0;
/** Responses that were not 200 (the orchestrator refuses a round with any). */
let failures = 0;
const RAW_HEADERS = ['Host', '127.0.0.1:3000', 'User-Agent', 'autocannon', 'Accept', '*/*', 'Connection', 'keep-alive'];

/** One request through the app, completed as node:http's server completes it ('finish', then 'close'). */
function serve(sock) {
  return new Promise((resolve) => {
    const req = new IncomingMessage(sock);
    req.method = 'GET';
    req.url = `/invoices/inv_${seq++}`;
    req.httpVersion = '1.1';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req._addHeaderLines(RAW_HEADERS, RAW_HEADERS.length); // as node:http's parser hands them over
    req.complete = true;
    req.push(null);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = true;
    res.assignSocket(sock);
    res.on('finish', () => {
      if (res.statusCode !== 200) failures++;
      res.detachSocket(sock);
      process.nextTick(() => {
        res.emit('close');
        resolve();
      });
    });
    app(req, res);
  });
}

async function round(n) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i += PER_TURN) {
    await Promise.all(sockets.map(serve));
    await new Promise((r) => setImmediate(r));
  }
  await settle();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

process.on('message', async (m) => {
  if (m.n === 0) {
    await settle();
    process.exit(0);
  }
  const cpuUs = await round(m.n);
  process.send({ cpuUs, failures });
});
process.send({ ready: true });
