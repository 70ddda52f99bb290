import type { ServerResponse } from 'node:http';
import type { AuditLogger } from '@auditready/core';
import { type AppRequest, type AppResponse, type AuditRequestApi, markAuditor, RequestAuditor, requestAudit } from '@auditready/node-http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { requestContext } from './context.js';
import type { AuditModuleOptions } from './options.js';
import { AUDIT_LOGGER, AUDIT_MODULE_OPTIONS } from './tokens.js';

type Next = (err?: unknown) => void;

/**
 * Nest answers errors (guards, pipes, exceptions) with a JSON body: its message is the entry's
 * reason, unless the handler's interceptor already noted the error itself.
 */
function reasonFromErrorBody(audit: AuditRequestApi, res: ServerResponse, chunk: unknown): void {
  if (res.statusCode < 400 || chunk === undefined || chunk === null) return;
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

/**
 * Runs for every request, before guards: it records the request when the response completes
 * (the request layer, @auditready/node-http, does the work), whether a guard, a pipe, a handler or nothing answered it,
 * and carries the request into AsyncLocalStorage for AuditService.
 */
@Injectable()
export class AuditNestMiddleware implements NestMiddleware {
  readonly #auditor: RequestAuditor;
  readonly #context: boolean;

  constructor(@Inject(AUDIT_LOGGER) logger: AuditLogger, @Inject(AUDIT_MODULE_OPTIONS) options: AuditModuleOptions) {
    const { logger: _l, global: _g, requestContext, ...rest } = options;
    this.#context = requestContext !== false;
    this.#auditor = new RequestAuditor({ ...rest, logger, onResponseEnd: reasonFromErrorBody }, 'AuditModule');
    markAuditor(this, this.#auditor); // listNestRoutes() applies its policy
  }

  use(req: Record<string, unknown>, res: unknown, next: Next): void {
    if (this.#auditor.begin(req as AppRequest, res as AppResponse) !== 'next') return;
    if (!this.#context) {
      next();
      return;
    }
    requestContext.run({ req, requestId: requestAudit(req)?.requestId }, () => next());
  }
}
