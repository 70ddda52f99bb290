// @auditready/express: the whole public contract, listed by hand.

export type { AuditMiddlewareOptions, AuditRequestApi, BodyCapture, PolicyRule } from './middleware.js';
export { auditErrors, auditMiddleware, defaultActor, requestAudit } from './middleware.js';
export { routeTemplate } from './route-template.js';
export { parseTraceparent } from './trace.js';
