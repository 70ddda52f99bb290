/**
 * The request context services record in: AsyncLocalStorage carries the request through the
 * handler's async work, so AuditService.record() attaches the request id and actor.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type AuditRequestApi, requestAudit } from '@auditready/node-http';

export interface RequestContext {
  req: Record<string, unknown>;
  requestId: string | undefined;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/**
 * The audit state of the request Nest hands to guards and interceptors. On the Express platform
 * that is the node:http request the middleware saw; on Fastify it wraps it (`request.raw`), and
 * becomes the request the entry is read from (user, params, body, route) and the one
 * AuditService takes the actor from.
 */
export function auditOf(req: Record<string, unknown>): AuditRequestApi | undefined {
  const own = requestAudit(req);
  if (own !== undefined) return own;
  const raw = req.raw;
  const audit = raw !== null && typeof raw === 'object' ? requestAudit(raw) : undefined;
  if (audit === undefined) return undefined;
  audit.useRequest(req);
  const ctx = requestContext.getStore();
  if (ctx !== undefined && ctx.req === raw) ctx.req = req;
  return audit;
}
