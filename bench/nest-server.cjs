// One Nest server for the Nest benchmark (CommonJS, like a `nest new` app), by argv[2]:
// bare | auditready | auditready-context | auditready-nocontext | auditready-none | auditready-worker | nestjs-pino | floor (bench/floor-audit.cjs), on the
// Express platform; fastify-bare | fastify-auditready on the Fastify platform. Logs go to files in argv[3]. Prints "ready <port>".
require('reflect-metadata');
const { Controller, Get, Module, Param } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { join } = require('node:path');

const [, , arg, dir] = process.argv;
const fastify = arg.startsWith('fastify-');
const mode = fastify ? arg.slice('fastify-'.length) : arg;

class InvoicesController {
  get(id) {
    return { id, amount: 120, currency: 'EUR' };
  }
}
Controller('invoices')(InvoicesController);
const d = Object.getOwnPropertyDescriptor(InvoicesController.prototype, 'get');
Get(':id')(InvoicesController.prototype, 'get', d);
Param('id')(InvoicesController.prototype, 'get', 0);

async function main() {
  const imports = [];
  const close = async () => {};
  if (mode === 'auditready' || mode === 'auditready-context' || mode === 'auditready-nocontext' || mode === 'auditready-none') {
    const { createAuditLogger } = require('@auditready/core');
    const { createFileTransport } = require('@auditready/transport-file');
    const { AuditModule } = require('@auditready/nestjs');
    // Defaults: SHA-256 chain, default redaction, fsync durability; this app injects no AuditService,
    // so requests are not carried in AsyncLocalStorage (whose promise hooks cost every promise of
    // the process on Node 20). -context: requestContext: true (what an app that injects AuditService
    // pays); -nocontext: requestContext: false.
    // -none: durability 'none' (no fsync: the same durability as nestjs-pino's).
    const durability = mode === 'auditready-none' ? 'none' : 'fsync';
    const logger = createAuditLogger({ service: { name: 'bench' }, transports: [createFileTransport({ dir, durability })] });
    const requestContext = { 'auditready-context': true, 'auditready-nocontext': false }[mode];
    imports.push(AuditModule.forRoot({ logger, ...(requestContext === undefined ? {} : { requestContext }) }));
  } else if (mode === 'auditready-worker') {
    // The same defaults, with the logger (sealing + file transport) in a worker thread.
    const { startWorkerAuditLogger } = require('@auditready/core/worker');
    const { AuditModule } = require('@auditready/nestjs');
    process.env.AUDITREADY_BENCH_DIR = dir;
    const logger = await startWorkerAuditLogger(join(__dirname, 'audit-worker-setup.mjs'));
    imports.push(AuditModule.forRoot({ logger }));
  } else if (mode === 'nestjs-pino') {
    const { LoggerModule } = require('nestjs-pino');
    const pino = require('pino');
    imports.push(LoggerModule.forRoot({ pinoHttp: { logger: pino(pino.destination(join(dir, 'pino.log'))) } }));
  } else if (mode !== 'bare' && mode !== 'floor') throw new Error(`unknown mode ${mode}`);
  class AppModule {}
  Module({ imports, controllers: [InvoicesController] })(AppModule);
  const app = fastify
    ? await NestFactory.create(AppModule, new (require('@nestjs/platform-fastify').FastifyAdapter)(), { logger: false })
    : await NestFactory.create(AppModule, { logger: false });
  if (mode === 'floor') app.use(require('./floor-audit.cjs').floorMiddleware(dir));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`ready ${app.getHttpServer().address().port}\n`);
  void close;
}
main();
