/** Injection tokens and metadata keys. */
export const AUDIT_LOGGER = Symbol.for('auditready.nestjs.logger');
export const AUDIT_MODULE_OPTIONS = Symbol.for('auditready.nestjs.options');
export const AUDIT_METADATA = 'auditready:audit';
export const NO_AUDIT_METADATA = 'auditready:no-audit';
