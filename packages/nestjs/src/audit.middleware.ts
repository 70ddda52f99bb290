import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditLogger } from '@auditready/core';
import {
  type AppRequest,
  type AppResponse,
  type AuditRequestApi,
  type BeginResult,
  markAuditor,
  RequestAuditor,
  refuseUnaudited,
  requestAudit,
} from '@auditready/node-http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { requestContext } from './context.js';
import type { AuditModuleOptions } from './options.js';
import { AUDIT_LOGGER, AUDIT_MODULE_OPTIONS } from './tokens.js';

type Next = (err?: unknown) => void;
/** A node:http server's 'request' listener. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Calls a server's request handler. Not through the handler's own `call` or `bind`: the Express app
 * is such a handler, and has a method for every HTTP verb — `app.bind()` declares a BIND route.
 */
function callHandler(handler: RequestHandler, server: unknown, req: IncomingMessage, res: ServerResponse): void {
  Reflect.apply(handler, server, [req, res]);
}

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
  /** Requests are carried in AsyncLocalStorage (see AuditModuleOptions.requestContext). */
  #context: boolean;
  /** requestContext was left to the module, which found nothing that injects AuditService. */
  #contextOffByDefault = false;
  readonly #contextOption: boolean | undefined;
  readonly #failClosed: boolean;

  constructor(@Inject(AUDIT_LOGGER) logger: AuditLogger, @Inject(AUDIT_MODULE_OPTIONS) options: AuditModuleOptions) {
    const { logger: _l, global: _g, requestContext, ...rest } = options;
    this.#contextOption = requestContext;
    this.#context = requestContext !== false; // until AuditModule decides the default
    this.#failClosed = rest.failClosed === true;
    this.#auditor = new RequestAuditor({ ...rest, logger, onResponseEnd: reasonFromErrorBody }, 'AuditModule');
    markAuditor(this, this.#auditor); // listNestRoutes() applies its policy
  }

  /** AuditModule's decision where `requestContext` is not set: on when something injects AuditService. */
  defaultContext(injected: boolean): void {
    if (this.#contextOption !== undefined) return;
    this.#context = injected;
    this.#contextOffByDefault = !injected;
  }

  /**
   * AuditService is used although nothing injected it (`app.get()`, `moduleRef.get()`): requests
   * are carried from now on. True when this call switched it on (the caller says so, once).
   */
  contextWanted(): boolean {
    if (!this.#contextOffByDefault) return false;
    this.#contextOffByDefault = false;
    this.#context = true;
    return true;
  }

  /**
   * Serves one request through the server's own handler (the Express app, Fastify's router), after
   * beginning its record: the request is seen before anything of the app runs. A defect of the
   * audit layer never stops the app from serving (a listener that throws would end the process):
   * it is reported, and the request served unaudited — or answered 503 when failing closed.
   */
  serve(req: IncomingMessage, res: ServerResponse, handler: RequestHandler, server: unknown): void {
    let begun: BeginResult;
    try {
      begun = this.#auditor.begin(req as AppRequest, res as AppResponse);
    } catch (err) {
      this.#auditor.logger.reportError(err);
      if (!this.#failClosed) callHandler(handler, server, req, res);
      else if (!res.headersSent) refuseUnaudited(res); // as the request layer refuses when the log cannot take an entry
      return;
    }
    if (begun !== 'next') return;
    if (!this.#context) callHandler(handler, server, req, res);
    else {
      const store = { req: req as unknown as Record<string, unknown>, requestId: requestAudit(req)?.requestId };
      requestContext.run(store, callHandler, handler, server, req, res);
    }
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
