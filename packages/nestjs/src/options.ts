import type { AuditLogger } from '@auditready/core';
import type { RequestAuditOptions } from '@auditready/node-http';
import type { ConfigurableModuleAsyncOptions, ConfigurableModuleOptionsFactory } from '@nestjs/common';

export interface AuditModuleOptions extends Omit<RequestAuditOptions, 'logger' | 'onResponseEnd'> {
  /** The logger (createAuditLogger). It is flushed and closed when the app shuts down. */
  logger: AuditLogger;
  /** Register the module globally (default true). */
  global?: boolean;
  /**
   * Carry each request in AsyncLocalStorage so AuditService.record() attaches its request id and
   * actor. Default: on when a provider, controller, enhancer or middleware of the app injects
   * AuditService (constructor, property, a factory's `inject`), off otherwise — on Node 20
   * AsyncLocalStorage works through async hooks, which add a cost to every promise in the process
   * (~20 µs of CPU per request in bench/nest.bench.mjs). AuditService used without being injected
   * (`app.get()`) switches it on from the next request, and says so through onError. `true`: always
   * on; `false`: never (services then record without the request).
   */
  requestContext?: boolean;
}

/** A class that makes the module's options (forRootAsync's `useClass` / `useExisting`). */
export type AuditModuleOptionsFactory = ConfigurableModuleOptionsFactory<AuditModuleOptions, 'create'>;

/** forRootAsync's options: Nest's usual `imports` + `useFactory` / `useClass` / `useExisting` + `inject`, and `global` (default true). */
export type AuditModuleAsyncOptions = ConfigurableModuleAsyncOptions<AuditModuleOptions, 'create'> & { global?: boolean };
