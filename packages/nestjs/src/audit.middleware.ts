import type { AuditLogger } from '@auditready/core';
import { auditMiddleware, requestAudit } from '@auditready/express';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { requestContext } from './context.js';
import type { AuditModuleOptions } from './options.js';
import { AUDIT_LOGGER, AUDIT_MODULE_OPTIONS } from './tokens.js';

type Next = (err?: unknown) => void;

/**
 * Runs for every request, before guards: it records the request when the response completes
 * (@auditready/express does the work), whether a guard, a pipe, a handler or nothing answered it,
 * and carries the request into AsyncLocalStorage for AuditService.
 */
@Injectable()
export class AuditNestMiddleware implements NestMiddleware {
  readonly #handle: (req: never, res: never, next: Next) => void;

  constructor(@Inject(AUDIT_LOGGER) logger: AuditLogger, @Inject(AUDIT_MODULE_OPTIONS) options: AuditModuleOptions) {
    const { logger: _l, global: _g, ...rest } = options;
    this.#handle = auditMiddleware({ ...rest, logger }) as never;
  }

  use(req: Record<string, unknown>, res: { statusCode: number; end: (...a: unknown[]) => unknown }, next: Next): void {
    this.#handle(req as never, res as never, (err?: unknown) => {
      if (err) return next(err);
      const audit = requestAudit(req);
      if (audit) {
        // Nest answers errors (guards, pipes, exceptions) with a JSON body: its message is the
        // entry's reason, unless the handler's interceptor already noted the error itself.
        const end = res.end;
        res.end = function (this: unknown, chunk?: unknown, ...rest: unknown[]) {
          if (res.statusCode >= 400 && chunk !== undefined && chunk !== null) {
            try {
              const body = JSON.parse(String(chunk)) as { message?: unknown };
              const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
              if (typeof message === 'string' && message !== '') {
                if (res.statusCode === 401 || res.statusCode === 403) audit.deny(message);
                else audit.setReason(message, { ifUnset: true });
              }
            } catch {
              // not JSON: keep the default reason
            }
          }
          return end.call(this, chunk, ...rest);
        };
      }
      requestContext.run({ req, requestId: audit?.requestId }, () => next());
    });
  }
}
