import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { auditOf } from './context.js';
import type { AuditDecoratorOptions } from './decorators.js';
import { AUDIT_METADATA, NO_AUDIT_METADATA } from './tokens.js';

/**
 * A global guard that never rejects: it applies @Audit / @NoAudit to the request's entry. Global
 * guards run before controller and route guards, so even a request those reject gets the
 * handler's action. (A guard, not an interceptor: Nest builds an RxJS pipeline per request for
 * every global interceptor, which costs more than all of the auditing.)
 */
@Injectable()
export class AuditGuard implements CanActivate {
  readonly #metadata = new WeakMap<object, WeakMap<object, { skip: boolean; meta: AuditDecoratorOptions | undefined }>>();

  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Record<string, unknown>>();
    const audit = auditOf(req);
    if (!audit) return true;
    const handler = context.getHandler();
    const cls = context.getClass();
    // Decorator metadata is fixed once the app is built: read it once per (controller, handler) —
    // a handler inherited by two controllers can carry different class-level metadata.
    let perClass = this.#metadata.get(cls);
    if (perClass === undefined) {
      perClass = new WeakMap();
      this.#metadata.set(cls, perClass);
    }
    let m = perClass.get(handler);
    if (m === undefined) {
      const targets = [handler, cls];
      m = {
        skip: this.reflector.getAllAndOverride<boolean>(NO_AUDIT_METADATA, targets) === true,
        meta: this.reflector.getAllAndOverride<AuditDecoratorOptions | undefined>(AUDIT_METADATA, targets),
      };
      perClass.set(handler, m);
    }
    if (m.skip) {
      audit.skip();
      return true;
    }
    const meta = m.meta;
    if (meta?.action) audit.setAction(meta.action);
    if (meta?.resource !== undefined && typeof meta.resource !== 'function') audit.setResource(meta.resource);
    return true;
  }
}
