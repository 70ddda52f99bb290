// @auditready/node-http: the whole public contract, listed by hand.

export type { AccessFacts } from './access-input.js';
export { buildAccessInput } from './access-input.js';
export type { BeginResult } from './auditor.js';
export { noteRequestError, RequestAuditor, refuseUnaudited } from './auditor.js';
export { clientIp, defaultActor, defaultResource, outcomeOf, singular } from './defaults.js';
export { requestAudit } from './request-state.js';
export { routeOf, routeTemplate } from './route-template.js';
export type { RouteAudit, RouteInfo, RouteInventory } from './routes.js';
export { auditorOf, classifyRoute, joinRoute, MUTATING_METHODS, markAuditor } from './routes.js';
export { safeMessage } from './safe.js';
export { parseTraceparent, REQUEST_ID } from './trace.js';
export type { AppRequest, AppResponse, AuditRequestApi, BodyCapture, PolicyRule, RequestAuditOptions } from './types.js';
