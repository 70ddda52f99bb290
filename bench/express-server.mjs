// One server for the Express benchmark, configured by argv[2]: bare | observer | auditready |
// auditready-worker | pino-http | morgan | express-winston | floor (bench/floor-audit.cjs). Logs go to files in argv[3]. Prints "ready <port>".
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import express from 'express';

const [, , mode, dir] = process.argv;
const app = express();
let shutdown = async () => {};

if (mode === 'auditready') {
  const { createAuditLogger } = await import('@auditready/core');
  const { createFileTransport } = await import('@auditready/transport-file');
  const { auditMiddleware } = await import('@auditready/express');
  // Default configuration: SHA-256 chain, default redaction, fsync durability.
  const durability = process.env.BENCH_DURABILITY
    ? process.env.BENCH_DURABILITY.startsWith('{')
      ? JSON.parse(process.env.BENCH_DURABILITY)
      : process.env.BENCH_DURABILITY
    : undefined;
  const transport = process.env.BENCH_NULL_TRANSPORT
    ? { name: 'null', async write() {} }
    : createFileTransport({ dir, ...(durability ? { durability } : {}) });
  const logger = createAuditLogger({ service: { name: 'bench' }, transports: [transport] });
  app.use(auditMiddleware({ logger }));
  shutdown = () => logger.close();
} else if (mode === 'auditready-worker') {
  // The same defaults, with the logger (sealing + file transport) in a worker thread.
  const { startWorkerAuditLogger } = await import('@auditready/core/worker');
  const { auditMiddleware } = await import('@auditready/express');
  process.env.AUDITREADY_BENCH_DIR = dir;
  const logger = await startWorkerAuditLogger(new URL('./audit-worker-setup.mjs', import.meta.url));
  app.use(auditMiddleware({ logger }));
  shutdown = () => logger.close();
} else if (mode === 'pino-http') {
  const pino = (await import('pino')).default;
  const pinoHttp = (await import('pino-http')).default;
  app.use(pinoHttp({ logger: pino(pino.destination(join(dir, 'pino.log'))) }));
} else if (mode === 'morgan') {
  const morgan = (await import('morgan')).default;
  app.use(morgan('combined', { stream: createWriteStream(join(dir, 'morgan.log'), { flags: 'a' }) }));
} else if (mode === 'express-winston') {
  const winston = (await import('winston')).default;
  const expressWinston = (await import('express-winston')).default;
  app.use(
    expressWinston.logger({
      transports: [new winston.transports.File({ filename: join(dir, 'winston.log') })],
      format: winston.format.json(),
    }),
  );
} else if (mode === 'floor') {
  const { floorMiddleware } = await import('./floor-audit.cjs');
  app.use(floorMiddleware(dir));
} else if (mode === 'observer') {
  // The least any access logger does: a middleware layer that takes a time and sees the response
  // finish (no entry, no output). What it adds is Express's and node:http's price of observing a
  // request, under every logger's own cost.
  let last = 0;
  app.use((_req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      last = performance.now() - started;
    });
    next();
  });
  shutdown = async () => void last;
} else if (mode !== 'bare') {
  throw new Error(`unknown mode ${mode}`);
}

app.get('/invoices/:id', (req, res) => {
  res.json({ id: req.params.id, amount: 120, currency: 'EUR' });
});

const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => shutdown().then(() => process.exit(0))));
