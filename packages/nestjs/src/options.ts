import type { AuditLogger } from '@auditready/core';
import type { RequestAuditOptions } from '@auditready/node-http';

export interface AuditModuleOptions extends Omit<RequestAuditOptions, 'logger' | 'onResponseEnd'> {
  /** The logger (createAuditLogger). It is flushed and closed when the app shuts down. */
  logger: AuditLogger;
  /** Register the module globally (default true). */
  global?: boolean;
  /**
   * Carry each request in AsyncLocalStorage so AuditService.record() attaches its request id and
   * actor (default true). On Node 20 AsyncLocalStorage works through async hooks, which add a cost
   * to every promise in the process (about 15 µs of CPU per request in bench/nest.bench.mjs); set
   * false if services never record inside requests.
   */
  requestContext?: boolean;
}

export interface AuditModuleAsyncOptions {
  imports?: unknown[];
  inject?: unknown[];
  useFactory: (...args: never[]) => AuditModuleOptions | Promise<AuditModuleOptions>;
  global?: boolean;
}
