import { AuditConfigError, type AuditLogger } from '@auditready/core';
import {
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
  type Provider,
  RequestMethod,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditGuard } from './audit.guard.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditNestMiddleware } from './audit.middleware.js';
import { AuditService } from './audit.service.js';
import type { AuditModuleAsyncOptions, AuditModuleOptions } from './options.js';
import { AUDIT_LOGGER, AUDIT_MODULE_OPTIONS } from './tokens.js';

function validate(o: AuditModuleOptions): AuditModuleOptions {
  if (o === null || typeof o !== 'object' || !o.logger || typeof o.logger.record !== 'function') {
    throw new AuditConfigError('AuditModule: options.logger must be an AuditLogger (createAuditLogger)', { path: 'logger' });
  }
  return o;
}

const common: Provider[] = [
  { provide: AUDIT_LOGGER, useFactory: (o: AuditModuleOptions) => o.logger, inject: [AUDIT_MODULE_OPTIONS] },
  AuditService,
  AuditNestMiddleware,
  AuditInterceptor,
  { provide: APP_GUARD, useClass: AuditGuard },
];

/**
 * `AuditModule.forRoot({ logger })` or `.forRootAsync({ imports, inject, useFactory })`: one
 * access entry per request, @Audit / @NoAudit, AuditService for business events, and the logger
 * flushed and closed on shutdown (call `app.enableShutdownHooks()` so Nest runs shutdown hooks
 * on SIGTERM).
 */
@Module({})
export class AuditModule implements NestModule, OnApplicationShutdown {
  constructor(@Inject(AUDIT_LOGGER) private readonly logger: AuditLogger) {}

  static forRoot(options: AuditModuleOptions): DynamicModule {
    validate(options);
    return {
      module: AuditModule,
      global: options.global !== false,
      providers: [{ provide: AUDIT_MODULE_OPTIONS, useValue: options }, ...common],
      exports: [AUDIT_LOGGER, AuditService],
    };
  }

  static forRootAsync(options: AuditModuleAsyncOptions): DynamicModule {
    if (options === null || typeof options !== 'object' || typeof options.useFactory !== 'function') {
      throw new AuditConfigError('AuditModule.forRootAsync: useFactory is required', { path: 'useFactory' });
    }
    return {
      module: AuditModule,
      global: options.global !== false,
      imports: (options.imports ?? []) as DynamicModule['imports'],
      providers: [
        {
          provide: AUDIT_MODULE_OPTIONS,
          useFactory: async (...args: never[]) => validate(await options.useFactory(...args)),
          inject: (options.inject ?? []) as never[],
        },
        ...common,
      ],
      exports: [AUDIT_LOGGER, AuditService],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditNestMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.logger.close();
  }
}
