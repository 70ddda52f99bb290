/**
 * The request auditor every adapter sits on: `begin(req, res)` when a request reaches the layer,
 * one `access` entry when its response closes (finished, or the client went away). Everything that
 * decides the entry is read then: the actor, set by whatever auth ran, in any order; the route
 * template; the status. Resolvers that throw never break the request: the entry is still written,
 * with the error noted, and onError is called.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  type Actor,
  AuditConfigError,
  AuditHookError,
  type AuditLogger,
  AuditUnavailableError,
  checkOptionsObject,
  fnOption,
} from '@auditready/core';
import { type AccessFacts, buildAccessInput } from './access-input.js';
import { bodyOf, capBody } from './body.js';
import { clientIp, defaultActor, defaultResource } from './defaults.js';
import { hookInstance, installHooks, isNodeHttpPair } from './hooks.js';
import { type CompiledRule, DEFAULT_RULE, Policy } from './policy.js';
import { RequestAudit, type RequestOwner, states } from './request-state.js';
import { routeOf } from './route-template.js';
import { safeGet, safeMessage } from './safe.js';
import { parseTraceparent, REQUEST_ID } from './trace.js';
import type { AppRequest, AppResponse, RequestAuditOptions } from './types.js';

const CALLBACKS = ['actor', 'action', 'resource', 'ip', 'generateRequestId', 'onResponseEnd'] as const;

function checkOptions(options: RequestAuditOptions, who: string): void {
  checkOptionsObject(options, who);
  const logger = options.logger;
  if (!logger || typeof logger.record !== 'function')
    throw new AuditConfigError(`${who}: options.logger must be an AuditLogger (createAuditLogger)`, { path: 'logger' });
  for (const k of CALLBACKS) fnOption(options[k], `${who}: ${k}`, k);
}

/**
 * The answer to a request refused rather than served unaudited (failing closed): 503, with a
 * Retry-After. Adapters that refuse before the request layer could begin use it too.
 */
export function refuseUnaudited(res: ServerResponse): void {
  res.statusCode = 503;
  res.setHeader('Retry-After', '5');
  res.setHeader('Content-Type', 'application/json');
  res.end('{"error":"audit log unavailable: request refused rather than served unaudited"}');
}

/** What begin() decided: go on to the app, or the request was answered here (refused, or already recorded). */
export type BeginResult = 'next' | 'refused';

export class RequestAuditor implements RequestOwner {
  readonly logger: AuditLogger;
  readonly capturesResponses: boolean;
  readonly onResponseEnd: RequestAuditOptions['onResponseEnd'];
  readonly #o: RequestAuditOptions;
  readonly #policy: Policy;
  readonly #header: string;
  readonly #generate: () => string;
  readonly #twoPhase: boolean;
  readonly #failClosed: boolean;
  readonly #who: string;

  /** `who` names the adapter in configuration errors (e.g. `auditMiddleware`). */
  constructor(options: RequestAuditOptions, who = 'requestAuditor') {
    checkOptions(options, who);
    this.#who = who;
    this.#o = options;
    this.logger = options.logger;
    this.#policy = new Policy(options.policy);
    this.capturesResponses = this.#policy.capturesResponses;
    this.onResponseEnd = options.onResponseEnd;
    this.#header = (options.requestIdHeader ?? 'x-request-id').toLowerCase();
    this.#generate = options.generateRequestId ?? randomUUID;
    this.#twoPhase = options.twoPhase === true;
    this.#failClosed = options.failClosed === true;
    installHooks();
  }

  ruleFor(method: string, target: string): CompiledRule {
    return this.#policy.ruleFor(method, target);
  }

  /**
   * A request reaches the layer: its state, request id (echoed as X-Request-Id), the `received`
   * record (two-phase), and fail-closed admission. A request another auditor already owns is left
   * to it. 'refused': the layer answered 503 and the app must not run.
   */
  begin(req: AppRequest, res: AppResponse): BeginResult {
    if (states.has(req)) return 'next'; // mounted twice: the first one records
    const incoming = req.headers[this.#header];
    let requestId: string;
    let idError: unknown;
    if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) requestId = incoming;
    else {
      try {
        requestId = this.#generate();
        // Sent as a header and kept in the entry: the shape incoming ids must have.
        if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) {
          throw new TypeError(`returned ${typeof requestId === 'string' ? 'an id outside [A-Za-z0-9._:@/+=-]{1,128}' : typeof requestId}`);
        }
      } catch (err) {
        idError = err;
        requestId = randomUUID(); // the request is served and recorded all the same
      }
    }
    const st = new RequestAudit(requestId, performance.now(), this);
    if (idError !== undefined) this.#hookFailed(st, 'generateRequestId', idError);
    // The client's address now: once a connection is destroyed its socket no longer has one.
    st.remote = req.socket?.remoteAddress;
    states.set(req, st);
    if (res.locals) res.locals.audit = st;
    if (!isNodeHttpPair(req, res)) hookInstance(req, res, st);
    // setHeader refuses once the headers went out (an earlier middleware answered), as does a
    // response double's that throws: the id is in the entry all the same. Not asked first through
    // res.headersSent: on Express each read of res misses V8's caches (request-state.ts).
    try {
      res.setHeader('X-Request-Id', requestId);
    } catch {
      // headers already sent
    }
    // Fail-closed admission holds room for this request's entry: it is never served without it.
    if (this.#failClosed) {
      if (!this.logger.reserve()) return this.#refuse(res, st);
      st.reserved = true;
    }
    if (this.#twoPhase && !this.#received(req, requestId)) return this.#refuse(res, st);
    // The client went away while earlier middleware (async auth, a body parser) was running.
    if ((res as { closed?: unknown }).closed === true) this.complete(req, res, st, true);
    return 'next';
  }

  /** The two-phase `received` record; false when failing closed refused it. */
  #received(req: AppRequest, requestId: string): boolean {
    const trace = parseTraceparent(req.headers.traceparent);
    try {
      // Batched like the completion record (in worker mode, record() would be a round trip).
      this.logger.recordLater({
        kind: 'event',
        action: 'http.request.received',
        actor: { type: 'anonymous' },
        http: { method: req.method ?? 'GET', path: (req.originalUrl as string | undefined) ?? req.url ?? '/', requestId },
        details: { phase: 'received' },
        ...(trace ? { trace } : {}),
      });
    } catch (err) {
      if (this.#failClosed && err instanceof AuditUnavailableError) return false;
      this.logger.reportError(err);
    }
    return true;
  }

  /** Gives back the room held for a request that will have no entry. */
  #release(st: RequestAudit): void {
    if (!st.reserved) return;
    st.reserved = false;
    this.logger.release();
  }

  #refuse(res: ServerResponse, st: RequestAudit): 'refused' {
    this.#release(st);
    refuseUnaudited(res);
    st.done = true;
    return 'refused';
  }

  /** Calls a user hook; if it throws, notes it on the entry and reports it. No closures needed. */
  #hook<A, B, C, R>(st: RequestAudit, what: string, fn: (a: A, b: B, c: C) => R, a: A, b: B, c: C): R | undefined {
    try {
      return fn(a, b, c);
    } catch (err) {
      this.#hookFailed(st, what, err);
      return undefined;
    }
  }

  /** A user hook threw: noted on the entry, and reported. */
  #hookFailed(st: RequestAudit, what: string, err: unknown): void {
    (st.hookErrors ??= []).push(`${what} threw: ${safeMessage(err)}`);
    this.logger.reportError(new AuditHookError(`${this.#who}: ${what} threw: ${safeMessage(err)}`, { cause: err }));
  }

  /** The actor: set by the app, else the resolver's, else the default's (a fresh object). */
  #actor(st: RequestAudit, view: AppRequest, res: AppResponse): { actor: Actor | undefined; owned: boolean } {
    const resolver = this.#o.actor;
    const own = st.actor ?? (resolver ? this.#hook(st, 'actor resolver', resolver, view, res, undefined) : undefined);
    if (own !== undefined || resolver) return { actor: own, owned: false };
    return { actor: this.#hook(st, 'actor resolver', defaultActor, view, res, undefined), owned: true };
  }

  complete(req: AppRequest, res: AppResponse, st: RequestAudit, aborted: boolean): void {
    if (st.done) return;
    st.done = true;
    try {
      this.#complete(req, res, st, aborted);
    } finally {
      this.#release(st); // held room not used by an entry (skipped, or building it failed) goes back
    }
  }

  #complete(req: AppRequest, res: AppResponse, st: RequestAudit, aborted: boolean): void {
    if (st.skipped) return;
    const route = this.#hook(st, 'route template', routeOf, req, st.view, undefined);
    // What the app sees as its request: the framework's (useRequest) or the node:http one.
    const view = st.view ?? req;
    const method = req.method ?? 'GET';
    const url = (req.originalUrl as string | undefined) ?? req.url ?? '/';
    const rule = this.#policy.empty ? DEFAULT_RULE : this.#policy.ruleFor(method, route ?? url.split('?')[0] ?? '/');
    if (rule.audit === 'skip') return;
    const o = this.#o;
    const { actor, owned } = this.#actor(st, view, res);
    const facts: AccessFacts = {
      method,
      url,
      route,
      statusCode: res.statusCode,
      headersSent: res.headersSent,
      aborted,
      durationMs: Math.round((performance.now() - st.started) * 1000) / 1000,
      requestId: st.requestId,
      bytesOut: st.bytesOut,
      headers: req.headers as AccessFacts['headers'],
      httpVersion: req.httpVersion,
      actor,
      actorOwned: owned,
      ip: o.ip
        ? this.#hook(st, 'ip resolver', o.ip, view, undefined, undefined)
        : (this.#hook(st, 'client ip', clientIp, view, st.remote, undefined) ?? st.remote),
      action: st.action ?? (o.action ? this.#hook(st, 'action resolver', o.action, view, res, route) : undefined),
      resource:
        st.resource ??
        (o.resource
          ? this.#hook(st, 'resource resolver', o.resource, view, res, route)
          : this.#hook(st, 'resource resolver', defaultResource, view, route, undefined)),
      details: st.details,
      error: st.error,
      hookErrors: st.hookErrors,
      denyReason: st.denyReason,
      reason: st.reason,
      twoPhase: this.#twoPhase,
    };
    this.#bodies(facts, rule, st, view, res);
    const reserved = st.reserved;
    st.reserved = false;
    this.#record(buildAccessInput(facts), reserved);
  }

  /** The bodies a policy rule keeps, capped. */
  #bodies(facts: AccessFacts, rule: CompiledRule, st: RequestAudit, view: AppRequest, res: AppResponse): void {
    const notes: string[] = [];
    if (rule.audit === 'request-body' || rule.audit === 'bodies') {
      const body = capBody(view.body, rule.maxBodyBytes, notes, 'requestBody', safeGet(view.headers, 'content-type'));
      if (body !== undefined) facts.requestBody = body;
    }
    if ((rule.audit === 'response-body' || rule.audit === 'bodies') && st.captured && st.captured.length > 0) {
      facts.responseBody = capBody(bodyOf(st.captured, res.getHeader('content-type')), rule.maxBodyBytes, notes, 'responseBody');
    }
    if (notes.length > 0) facts.hookErrors = [...(facts.hookErrors ?? []), ...notes];
  }

  #record(input: ReturnType<typeof buildAccessInput>, reserved: boolean): void {
    try {
      this.logger.recordLater(input, reserved ? { reserved: true } : undefined);
    } catch (err) {
      // Closed or fail-closed at completion: the response is already out; report, never throw.
      this.logger.reportError(err);
    }
  }
}

/** The error that ended a request, noted on its entry (name, code, message as the reason) unless one is noted already. */
export function noteRequestError(req: object, err: unknown): void {
  const st = states.get(req);
  if (st !== undefined && st.error === undefined) st.error = err;
}
