import type { AuditLogger } from '@auditready/core';
import type { AuditMiddlewareOptions } from '@auditready/express';

export interface AuditModuleOptions extends Omit<AuditMiddlewareOptions, 'logger'> {
  /** The logger (createAuditLogger). It is flushed and closed when the app shuts down. */
  logger: AuditLogger;
  /** Register the module globally (default true). */
  global?: boolean;
}

export interface AuditModuleAsyncOptions {
  imports?: unknown[];
  inject?: unknown[];
  useFactory: (...args: never[]) => AuditModuleOptions | Promise<AuditModuleOptions>;
  global?: boolean;
}
