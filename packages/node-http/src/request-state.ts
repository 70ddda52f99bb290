/**
 * Per-request state, and the API the app uses (`req.audit`). One object per request, methods on
 * the prototype: nothing here allocates closures on the hot path.
 *
 * The state is kept in one symbol-keyed slot on the request (stateOf, attachState). The layer adds
 * no other own properties to requests or responses: `req.audit` is an accessor on
 * http.IncomingMessage.prototype reading the slot, and the response hooks are on the prototype too
 * (hooks.ts); per-request function properties and listeners cost more.
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

/**
 * Each request's state sits in a symbol-keyed slot on the request object: ~0.5 µs less per request
 * than a WeakMap entry (and none of the GC's ephemeron work), measured in bench/request-layer.
 * The symbol is this copy of the package's own, so two copies never see each other's state.
 * A request that cannot take the slot (frozen, sealed, a Proxy that refuses) is kept in a WeakMap,
 * looked up only once one exists.
 */
const SLOT = Symbol('auditready.request');
const unslotted = new WeakMap<object, RequestAudit>();
let anyUnslotted = false;

/** The state of a request the layer owns (its own or inherited slot), else undefined. */
export function stateOf(req: object): RequestAudit | undefined {
  const st = (req as { [SLOT]?: RequestAudit })[SLOT];
  return st !== undefined || !anyUnslotted ? st : unslotted.get(req);
}

/** Gives a request its state. */
export function attachState(req: object, st: RequestAudit): void {
  try {
    (req as { [SLOT]?: RequestAudit })[SLOT] = st;
    if ((req as { [SLOT]?: RequestAudit })[SLOT] === st) return;
  } catch {
    // not extensible, or a Proxy that refused: the WeakMap below
  }
  unslotted.set(req, st);
  anyUnslotted = true;
}

/** The audit state of a request the layer has seen (for framework adapters), else undefined. */
export function requestAudit(req: unknown): AuditRequestApi | undefined {
  return req !== null && typeof req === 'object' ? stateOf(req) : undefined;
}

/** The state of the request a response answers, if the layer owns it. */
export function stateOfResponse(res: ServerResponse): RequestAudit | undefined {
  const req = (res as { req?: object }).req;
  return req === undefined ? undefined : stateOf(req);
}
