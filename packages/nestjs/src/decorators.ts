import type { Resource } from '@auditready/core';
import { SetMetadata } from '@nestjs/common';
import { AUDIT_METADATA, NO_AUDIT_METADATA } from './tokens.js';

/** What a resource resolver sees: the request's params, query, body and user, and the handler's result. */
export interface AuditResolverContext {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  user: unknown;
  /** The handler's return value (undefined if it threw). */
  result: unknown;
}

export interface AuditDecoratorOptions {
  /** The entry's action, e.g. `invoice.read`. Default: `<METHOD> <route template>`. */
  action?: string;
  /** The resource, or a resolver called after the handler (it may read the result). */
  resource?: Resource | ((ctx: AuditResolverContext) => Resource | undefined);
}

/** Names what a controller or handler does, for its audit entries. The handler's setting wins. */
export const Audit = (options: AuditDecoratorOptions = {}) => SetMetadata(AUDIT_METADATA, options);

/** No audit entry for this controller or handler (health checks, metrics). */
export const NoAudit = () => SetMetadata(NO_AUDIT_METADATA, true);
