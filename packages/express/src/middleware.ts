/**
 * `auditMiddleware({ logger })`: one `access` entry per request (docs/express.md), and
 * `auditErrors()`, which notes the error that ended a request. The work is done by the
 * framework-neutral request layer (@auditready/node-http); this file adapts it to Express's
 * middleware signatures and types `req.audit` for Express apps.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AppRequest,
  type AppResponse,
  type AuditRequestApi,
  markAuditor,
  noteRequestError,
  type RequestAuditOptions,
  RequestAuditor,
} from '@auditready/node-http';

/** The options of auditMiddleware(): those of the request layer (docs/express.md lists them). */
export type AuditMiddlewareOptions = RequestAuditOptions;

declare global {
  // Express's own namespace, as Passport adds `user`: `req.audit` is typed in Express apps.
  namespace Express {
    interface Request {
      /** This request's audit API, once auditMiddleware() has seen it (the same object as `res.locals.audit`). */
      audit?: AuditRequestApi;
    }
    interface Locals {
      /** This request's audit API, once auditMiddleware() has seen it (the same object as `req.audit`). */
      audit?: AuditRequestApi;
    }
  }
}

export function auditMiddleware(options: AuditMiddlewareOptions) {
  const auditor = new RequestAuditor(options, 'auditMiddleware');
  return markAuditor(function auditready(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    if (auditor.begin(req as AppRequest, res as AppResponse) === 'next') next();
  }, auditor);
}

/**
 * Error-capturing middleware: put `app.use(auditErrors())` after your routes (before your own
 * error handler). It notes the error on the request's entry (name, code, message as the reason)
 * and passes it on unchanged.
 */
export function auditErrors() {
  return function auditreadyErrors(err: unknown, req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void {
    noteRequestError(req, err);
    next(err);
  };
}
