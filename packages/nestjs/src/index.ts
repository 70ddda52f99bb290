// @auditready/nestjs: the whole public contract, listed by hand.

export type { RouteAudit, RouteInfo, RouteInventory } from '@auditready/node-http';
export { AuditGuard } from './audit.guard.js';
export { AuditInterceptor, errorReason } from './audit.interceptor.js';
export { AuditNestMiddleware } from './audit.middleware.js';
export { AuditModule } from './audit.module.js';
export { AuditService } from './audit.service.js';
export type { AuditDecoratorOptions, AuditResolverContext } from './decorators.js';
export { Audit, NoAudit } from './decorators.js';
export type { AuditModuleAsyncOptions, AuditModuleOptions, AuditModuleOptionsFactory } from './options.js';
export { listNestRoutes } from './routes.js';
export { AUDIT_LOGGER, AUDIT_METADATA, AUDIT_MODULE_OPTIONS, NO_AUDIT_METADATA } from './tokens.js';
