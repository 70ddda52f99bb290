/**
 * The route inventory adapters produce for `auditready coverage`: every route the app serves, and
 * whether a request to it gets an entry (behind the audit layer, not skipped by a policy rule or
 * a framework marker such as Nest's @NoAudit). The CLI compares it with the log of a period.
 */
import type { RequestAuditor } from './auditor.js';
import type { BodyCapture } from './types.js';

/** How a route stands: `audited` (an entry per request) or why not. */
export type RouteAudit = 'audited' | 'skipped-by-policy' | 'no-audit' | 'not-behind-middleware';

export interface RouteInfo {
  /** Upper case; `ALL` for a route that answers every method. */
  method: string;
  /** The template entries carry in `http.route` (`/orgs/:orgId/invoices/:id`). */
  route: string;
  audit: RouteAudit;
  /** What an entry keeps, for audited routes (the policy rule's `audit`). */
  capture?: BodyCapture;
}

export interface RouteInventory {
  format: 'auditready-routes/1';
  /** express, nest ... */
  framework: string;
  routes: RouteInfo[];
}

/** Methods that change state: a route with one of them that is not audited is flagged. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Set on the request handler an adapter returns, so a route lister can find the audit layer in a stack. */
export const AUDITOR = Symbol.for('auditready.node-http.auditor');

/** The auditor behind a handler or middleware object made by an adapter (auditMiddleware()), if it is one. */
export function auditorOf(handler: unknown): RequestAuditor | undefined {
  if ((typeof handler !== 'function' && typeof handler !== 'object') || handler === null) return undefined;
  return (handler as unknown as Record<symbol, RequestAuditor | undefined>)[AUDITOR];
}

/** Marks `handler` as the request handler of `auditor` (see auditorOf). */
export function markAuditor<T extends object>(handler: T, auditor: RequestAuditor): T {
  Object.defineProperty(handler, AUDITOR, { value: auditor, enumerable: false });
  return handler;
}

const ALL_CHECKED = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * One route as the auditor's policy sees it (undefined auditor: no audit layer in front of it).
 * An `ALL` route counts as skipped when any common method of it is.
 */
export function classifyRoute(auditor: RequestAuditor | undefined, method: string, route: string): RouteInfo {
  if (!auditor) return { method, route, audit: 'not-behind-middleware' };
  const methods = method === 'ALL' ? ALL_CHECKED : [method];
  let capture: BodyCapture | undefined;
  for (const m of methods) {
    const rule = auditor.ruleFor(m, route);
    if (rule.audit === 'skip') return { method, route, audit: 'skipped-by-policy' };
    capture ??= rule.audit;
  }
  return { method, route, audit: 'audited', ...(capture ? { capture } : {}) };
}

/** Joins a mount template and a route's own path the way entries name it (a router's `/` adds nothing). */
export function joinRoute(prefix: string, own: string): string {
  if (prefix === '' || prefix === '/') return own === '' ? '/' : own;
  if (own === '/' || own === '') return prefix;
  return `${prefix.replace(/\/$/, '')}${own.startsWith('/') ? own : `/${own}`}`;
}
