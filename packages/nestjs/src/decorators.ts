import type { Resource } from '@auditready/core';
import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { AuditInterceptor } from './audit.interceptor.js';
import { AUDIT_METADATA, NO_AUDIT_METADATA } from './tokens.js';

/**
 * What a resource resolver sees: the request's params, query, body and user, and the handler's
 * result, typed by `@Audit<R>()` (undefined when the handler threw).
 */
export interface AuditResolverContext<R = unknown> {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  user: unknown;
  /** The handler's return value, awaited (undefined if it threw). */
  result: R | undefined;
}

export interface AuditDecoratorOptions<R = unknown> {
  /** The entry's action, e.g. `invoice.read`. Default: `<METHOD> <route template>`. */
  action?: string;
  /** The resource, or a resolver called after the handler (it may read the result). */
  resource?: Resource | ((ctx: AuditResolverContext<R>) => Resource | undefined);
}

/**
 * Names what a controller or handler does, for its audit entries. The handler's setting wins.
 * It also attaches AuditInterceptor to what it decorates, so that a resource resolver can read the
 * handler's result and errors are noted with their own message; undecorated routes pay nothing.
 */
export const Audit = <R = unknown>(options: AuditDecoratorOptions<R> = {}) =>
  applyDecorators(SetMetadata(AUDIT_METADATA, options), UseInterceptors(AuditInterceptor));

/** No audit entry for this controller or handler (health checks, metrics). */
export const NoAudit = () => SetMetadata(NO_AUDIT_METADATA, true);
