import { safeMessage } from '@auditready/node-http';
import { type CallHandler, type ExecutionContext, HttpException, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, type Observable, tap, throwError } from 'rxjs';
import { auditOf } from './context.js';
import type { AuditDecoratorOptions } from './decorators.js';
import { AUDIT_METADATA, NO_AUDIT_METADATA } from './tokens.js';

/** The message of an error as Nest answers it (validation errors list each problem). */
export function errorReason(err: unknown): string {
  if (err instanceof HttpException) {
    const r = err.getResponse() as string | { message?: unknown };
    if (typeof r === 'string') return r;
    if (Array.isArray(r?.message)) return r.message.map(String).join('; ');
    if (typeof r?.message === 'string') return r.message;
  }
  return safeMessage(err); // a null-prototype object, a message getter that throws: still text
}

/**
 * Applied by @Audit() to the handlers (or controllers) that use it, not globally: resolves the
 * resource after the handler (the resolver may read its result) and notes errors thrown by pipes
 * and handlers with their real message. Everything else is done by the module's middleware and
 * guard, which cost far less per request.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Record<string, unknown>>();
    const audit = auditOf(req);
    if (!audit) return next.handle();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(NO_AUDIT_METADATA, targets)) return next.handle();
    const meta = this.reflector.getAllAndOverride<AuditDecoratorOptions | undefined>(AUDIT_METADATA, targets);
    const resolve = (result: unknown) => {
      const r = meta?.resource;
      if (r === undefined) return;
      if (typeof r !== 'function') {
        audit.setResource(r);
        return;
      }
      try {
        const resource = r({
          params: (req.params ?? {}) as Record<string, string>,
          query: (req.query ?? {}) as Record<string, unknown>,
          body: req.body,
          user: req.user,
          result,
        });
        if (resource) audit.setResource(resource);
      } catch (err) {
        // Whatever it threw, a resolver never changes the app's response.
        audit.addDetails({ auditErrors: [`resource resolver threw: ${safeMessage(err)}`] });
      }
    };
    return next.handle().pipe(
      tap((result) => resolve(result)),
      catchError((err: unknown) => {
        resolve(undefined);
        audit.setError(err);
        audit.setReason(errorReason(err));
        if (err instanceof HttpException && (err.getStatus() === 401 || err.getStatus() === 403)) audit.deny(errorReason(err));
        return throwError(() => err);
      }),
    );
  }
}
