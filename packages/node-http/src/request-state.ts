/**
 * Per-request state, and the API the app uses (`req.audit`). One object per request, methods on
 * the prototype: nothing here allocates closures on the hot path.
 *
 * The state is keyed by the node:http request in a WeakMap. Hot request and response objects slow
 * down measurably when each one gets new own properties (V8 map transitions on every request), so
 * the layer adds none: `req.audit` is an accessor on http.IncomingMessage.prototype reading this
 * map (hooks.ts). A symbol-keyed slot on the request was tried (2026-12-07): cheaper on a bare
 * IncomingMessage (0.17 vs 0.69 µs a request in bench/request-layer's setting), but in the Nest
 * benchmark's app the store took ~3.0 µs a request against ~1.6 µs for the WeakMap's set (timed
 * around each, 5,000 requests), so the WeakMap stays. The cause, found later: Express gives every
 * request and response a map (hidden class) of its own (its per-request Object.setPrototypeOf; the
 * same with a plain node:http server that does it, not without), so every property access on them
 * misses V8's inline caches: ~0.2 µs a read against ~0.005 µs on a stable map (2026-12-07, 5,000
 * requests read once each), and a new own property makes yet another map. So the layer spares
 * the reads it can: the socket's address is taken once (clientIp gets it), X-Request-Id is set
 * without asking res.headersSent first.
 */
import type { ServerResponse } from 'node:http';
import type { Actor, AuditLogger, Resource } from '@auditready/core';
import type { CompiledRule } from './policy.js';
import type { AppRequest, AppResponse, AuditRequestApi, RequestAuditOptions } from './types.js';

/** What the shared response hooks need from the auditor that owns a request. */
export interface RequestOwner {
  readonly logger: AuditLogger;
  /** Some policy rule keeps response bodies. */
  readonly capturesResponses: boolean;
  ruleFor(method: string, target: string): CompiledRule;
  /** Records the request (once): at close, or when the client left before the layer saw it. */
  complete(req: AppRequest, res: AppResponse, st: RequestAudit, aborted: boolean): void;
  readonly onResponseEnd: RequestAuditOptions['onResponseEnd'];
}

export class RequestAudit implements AuditRequestApi {
  readonly requestId: string;
  readonly started: number;
  actor: Actor | undefined;
  denyReason: string | undefined;
  action: string | undefined;
  resource: Resource | undefined;
  details: Record<string, unknown> | undefined;
  error: unknown;
  hookErrors: string[] | undefined;
  bytesOut = 0;
  /** Hooked per object (not a node:http request/response). */
  perInstance = false;
  captured: Buffer[] | undefined;
  captureLeft = 0;
  captureDecided = false;
  done = false;
  skipped = false;
  reason: string | undefined;
  /** Fail-closed: room for this request's entry is held in the logger (reserve()) until it is recorded. */
  reserved = false;
  /** The socket's remote address when the request arrived (an aborted connection loses it). */
  remote: string | undefined;
  /** The framework's request object, when it is not the node:http one (useRequest). */
  view: AppRequest | undefined;
  /** The auditor that owns this request (its policy decides what the response writes capture). */
  readonly owner: RequestOwner;

  constructor(requestId: string, started: number, owner: RequestOwner) {
    this.requestId = requestId;
    this.started = started;
    this.owner = owner;
  }

  setActor(actor: Actor): void {
    this.actor = actor;
  }
  deny(reason: string): void {
    this.denyReason = String(reason);
  }
  setAction(action: string): void {
    this.action = String(action);
  }
  setResource(resource: Resource): void {
    this.resource = resource;
  }
  addDetails(details: Record<string, unknown>): void {
    this.details = { ...this.details, ...details };
  }
  setError(error: unknown): void {
    this.error = error;
  }
  skip(): void {
    this.skipped = true;
  }
  setReason(reason: string, options?: { ifUnset?: boolean }): void {
    if (options?.ifUnset && (this.reason !== undefined || this.error !== undefined)) return;
    this.reason = String(reason);
  }
  useRequest(request: object): void {
    if (request !== null && typeof request === 'object') this.view = request as AppRequest;
  }
}

export const states = new WeakMap<object, RequestAudit>();

/** The audit state of a request the layer has seen (for framework adapters), else undefined. */
export function requestAudit(req: unknown): AuditRequestApi | undefined {
  return req !== null && typeof req === 'object' ? states.get(req) : undefined;
}

/** The state of the request a response answers, if the layer owns it. */
export function stateOfResponse(res: ServerResponse): RequestAudit | undefined {
  const req = (res as { req?: object }).req;
  return req === undefined ? undefined : states.get(req);
}
