/**
 * The request context services record in: AsyncLocalStorage carries the request through the
 * handler's async work, so AuditService.record() attaches the request id and actor.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  req: Record<string, unknown>;
  requestId: string | undefined;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
