import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuditConfigError, type AuditLogger } from '@auditready/core';
import {
  ConfigurableModuleBuilder,
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import { APP_GUARD, ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { injectsAuditService, usesAuditDecorators } from './app-uses.js';
import { AuditGuard } from './audit.guard.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditNestMiddleware, type RequestHandler } from './audit.middleware.js';
import { AuditService } from './audit.service.js';
import { auditOf } from './context.js';
import type { AuditModuleAsyncOptions, AuditModuleOptions } from './options.js';
import { AUDIT_LOGGER, AUDIT_MODULE_OPTIONS } from './tokens.js';

type NodeServer = EventEmitter & { listeners(event: 'request'): RequestHandler[] };

/**
 * On Fastify, the entry is read from Fastify's request once it has one (its `ip` follows
 * `trustProxy`; `user`, `params`, the parsed `body`, the route): a hook at its first step, so that
 * requests no guard sees (404s, those a hook or middleware answers) are read from it too.
 */
function readFromFastify(instance: unknown): void {
  const fastify = instance as {
    addHook?: (name: 'onRequest', hook: (request: Record<string, unknown>, reply: unknown, done: () => void) => void) => unknown;
  };
  if (typeof fastify?.addHook !== 'function') return;
  fastify.addHook('onRequest', (request, _reply, done) => {
    auditOf(request);
    done();
  });
}

/**
 * The module's global guard only applies @Audit and @NoAudit; where no controller uses them, Nest's
 * guard machinery (run for every request once any global guard exists) is spared. Were Nest ever
 * to hand out a copy of its list, the guard would stay, doing nothing.
 */
function withoutGuard(config: ApplicationConfig): void {
  const guards = config.getGlobalGuards();
  const at = guards.findIndex((g) => g instanceof AuditGuard);
  if (at >= 0) guards.splice(at, 1);
}

/** Loggers given to forRoot: they outlive any one app built from the module. */
const SHARED = new WeakSet<AuditLogger>();

function validate(o: AuditModuleOptions): AuditModuleOptions {
  if (o === null || typeof o !== 'object' || !o.logger || typeof o.logger.record !== 'function') {
    throw new AuditConfigError('AuditModule: options.logger must be an AuditLogger (createAuditLogger)', { path: 'logger' });
  }
  return o;
}

/**
 * Nest's own builder makes forRoot / forRootAsync (useFactory, useClass, useExisting), so the
 * module configures like every other Nest module; `global` is an extra (default true).
 */
const { ConfigurableModuleClass } = new ConfigurableModuleBuilder<AuditModuleOptions>({ optionsInjectionToken: AUDIT_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras({ global: true }, (definition, extras) => ({ ...definition, global: extras.global }))
  .build();

/**
 * `AuditModule.forRoot({ logger })` or `.forRootAsync({ imports, inject, useFactory })`: one
 * access entry per request, @Audit / @NoAudit, AuditService for business events, and the logger
 * flushed and closed on shutdown (call `app.enableShutdownHooks()` so Nest runs shutdown hooks
 * on SIGTERM).
 */
@Module({
  providers: [
    // Options from forRootAsync are checked when they exist (forRoot's, at once).
    { provide: AUDIT_LOGGER, useFactory: (o: AuditModuleOptions) => validate(o).logger, inject: [AUDIT_MODULE_OPTIONS] },
    AuditService,
    AuditNestMiddleware,
    AuditInterceptor,
    { provide: APP_GUARD, useClass: AuditGuard },
  ],
  exports: [AUDIT_LOGGER, AuditService],
})
export class AuditModule extends ConfigurableModuleClass implements NestModule, OnApplicationShutdown {
  constructor(
    @Inject(AUDIT_LOGGER) private readonly logger: AuditLogger,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(AuditNestMiddleware) private readonly middleware: AuditNestMiddleware,
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
    @Inject(ApplicationConfig) private readonly appConfig: ApplicationConfig,
  ) {
    super();
  }

  static override forRoot(options: AuditModuleOptions): DynamicModule {
    // The same logger object serves every app built from this module (e2e tests build one per
    // test): it is shared, so an app that closes must not close it for the next one.
    SHARED.add(validate(options).logger);
    return super.forRoot(options);
  }

  static override forRootAsync(options: AuditModuleAsyncOptions): DynamicModule {
    if (options === null || typeof options !== 'object' || (!options.useFactory && !options.useClass && !options.useExisting)) {
      throw new AuditConfigError('AuditModule.forRootAsync: one of useFactory, useClass or useExisting is required', {
        path: 'useFactory',
      });
    }
    return super.forRootAsync(options);
  }

  /**
   * The module sees every request first: it takes the place of the HTTP server's own request
   * handler (the Express app, Fastify's router) with one that begins the request's record and then
   * calls it. So requests answered before any Nest middleware are recorded too — a body the body
   * parser refuses (400, 413), a limiter mounted with `app.use()`, a path outside the global prefix,
   * Fastify's own 414 — whatever the order of modules. It also costs less than a Nest middleware
   * route (`forRoutes('{*path}')`: ~25-30 µs a request on the Express platform, where Express
   * matches a path pattern and rewrites `req.url` around the layer). A server it cannot take this
   * way (not one request handler) gets that middleware route instead.
   */
  configure(consumer: MiddlewareConsumer): void {
    // Every module's providers exist by now, and routes are not built yet: AsyncLocalStorage only
    // if something can read it, the guard only if a decorator gives it something to do.
    this.middleware.defaultContext(injectsAuditService(this.modules));
    if (!usesAuditDecorators(this.modules)) withoutGuard(this.appConfig);
    const adapter = this.adapterHost.httpAdapter;
    const server = adapter?.getHttpServer?.() as NodeServer | undefined;
    const handlers = typeof server?.listeners === 'function' ? server.listeners('request') : [];
    const handler = handlers[0];
    if (server !== undefined && handlers.length === 1 && typeof handler === 'function') {
      const middleware = this.middleware;
      server.removeListener('request', handler);
      server.on('request', function auditready(this: unknown, req: IncomingMessage, res: ServerResponse) {
        middleware.serve(req, res, handler, this);
      });
      if (adapter?.getType() === 'fastify') readFromFastify(adapter.getInstance());
      return;
    }
    consumer.apply(AuditNestMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  /**
   * On a signal (the process is ending) the logger is closed: flushed, its transports closed. An
   * app.close() without one (an e2e test, a script) closes a logger this app made (forRootAsync)
   * and only flushes one given to forRoot, which the next app built from the module still uses.
   */
  async onApplicationShutdown(signal?: string): Promise<void> {
    if (signal !== undefined || !SHARED.has(this.logger)) await this.logger.close();
    else await this.logger.flush();
  }
}
