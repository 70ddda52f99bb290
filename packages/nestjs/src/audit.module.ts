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
import { APP_GUARD } from '@nestjs/core';
import { AuditGuard } from './audit.guard.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditNestMiddleware } from './audit.middleware.js';
import { AuditService } from './audit.service.js';
import type { AuditModuleAsyncOptions, AuditModuleOptions } from './options.js';
import { AUDIT_LOGGER, AUDIT_MODULE_OPTIONS } from './tokens.js';

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
  constructor(@Inject(AUDIT_LOGGER) private readonly logger: AuditLogger) {
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

  configure(consumer: MiddlewareConsumer): void {
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
