// @auditready/express: the whole public contract, listed by hand.

export type { AuditRequestApi, BodyCapture, PolicyRule, RouteAudit, RouteInfo, RouteInventory } from '@auditready/node-http';
// The request layer's helpers, re-exported for the apps and adapters that imported them from here.
export { defaultActor, parseTraceparent, requestAudit, routeTemplate } from '@auditready/node-http';
export type { AuditMiddlewareOptions } from './middleware.js';
export { auditErrors, auditMiddleware } from './middleware.js';
export { listRoutes } from './routes.js';
