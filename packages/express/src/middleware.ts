/**
 * `auditMiddleware({ logger })`: one `access` entry per request (docs/express.md).
 *
 * Everything that decides the entry is read when the response completes (`finish`), or when the
 * connection closes first (`aborted`): the actor, set by whatever auth middleware ran, in any
 * order; the route template; the status. Resolvers and redaction rules that throw never break the
 * request: the entry is still written, with the error noted, and onError is called.
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Actor,
  AuditConfigError,
  type AuditLogger,
  AuditUnavailableError,
  type Outcome,
  type Resource,
  truncateString,
} from '@auditready/core';
import { routeTemplate } from './route-template.js';
import { parseTraceparent, REQUEST_ID } from './trace.js';

export type BodyCapture = 'skip' | 'metadata' | 'request-body' | 'response-body' | 'bodies';

export interface PolicyRule {
  /** Methods this rule applies to (any when absent). */
  method?: string | string[];
  /**
   * Route template (`/invoices/:id`, with `*` wildcards) or a RegExp; matched against the route
   * template once routing is done, or the path for unmatched requests (404s).
   */
  route?: string | RegExp;
  /** skip: no entry; metadata (default): no bodies; request-body / response-body / bodies: include them. */
  audit: BodyCapture;
  /** Largest body captured, in bytes (then cut with a marker). Default 8192. */
  maxBodyBytes?: number;
}

export interface AuditRequestApi {
  /** This request's id (accepted from X-Request-Id when well-formed, else generated). */
  readonly requestId: string;
  /** Set the actor from your auth code; wins over the resolver. */
  setActor(actor: Actor): void;
  /** Mark the request denied (with the reason), whatever its status. */
  deny(reason: string): void;
  setAction(action: string): void;
  setResource(resource: Resource): void;
  /** Add free-form details to this request's entry (redacted like everything else). */
  addDetails(details: Record<string, unknown>): void;
  /** Record the error that ended this request (set by auditErrors(); usable by your error handler). */
  setError(error: unknown): void;
  /** Write no entry for this request (framework adapters use it for routes marked not audited). */
  skip(): void;
  /** The entry's reason (a denial reason from deny() still wins). `ifUnset`: keep a reason already set. */
  setReason(reason: string, options?: { ifUnset?: boolean }): void;
  /**
   * For framework adapters whose request object wraps the node:http one (Nest on Fastify): the
   * resolvers, the default actor (`user`), resource (`params`), request body and route template
   * (Fastify's `routeOptions.url`) are then read from it at completion.
   */
  useRequest(request: object): void;
}

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

export interface AuditMiddlewareOptions {
  logger: AuditLogger;
  /** Who: default `req.user` (id | sub | _id | username | email) or `res.locals.user`, else anonymous. */
  actor?: (req: IncomingMessage & Record<string, unknown>, res: ServerResponse & { locals?: Record<string, unknown> }) => Actor | undefined;
  /** What: default `<method> <route template>`, e.g. `GET /invoices/:id`. */
  action?: (req: IncomingMessage & Record<string, unknown>, res: ServerResponse, route: string | undefined) => string;
  /** To what: default from the last route parameter, e.g. `/invoices/:id` -> { type: 'invoices', id }. */
  resource?: (req: IncomingMessage & Record<string, unknown>, res: ServerResponse, route: string | undefined) => Resource | undefined;
  /** Source ip. Default `req.ip`, which follows Express's `trust proxy` setting (X-Forwarded-For is spoofable: trust only your own proxies). */
  ip?: (req: IncomingMessage & Record<string, unknown>) => string | undefined;
  /** Policy rules, first match wins. Default: metadata for everything. */
  policy?: PolicyRule[];
  /** Request id header (accepted when well-formed, echoed on the response). Default `x-request-id`. */
  requestIdHeader?: string;
  /** Id generator. Default crypto.randomUUID. */
  generateRequestId?: () => string;
  /** Also write a `received` record when each request starts, so requests that never complete are visible. */
  twoPhase?: boolean;
  /** Answer 503 instead of serving requests the audit pipeline cannot record. Default false (fail-open, reported via health()). */
  failClosed?: boolean;
  /**
   * For framework adapters: called when an audited response ends, with its last chunk (e.g. to
   * take the message of an error body as the entry's reason). Errors it throws are reported, never
   * raised. Runs from a hook shared by all responses, so no per-request patching is needed.
   */
  onResponseEnd?: (audit: AuditRequestApi, res: ServerResponse, chunk: unknown) => void;
}

/**
 * Per-request state, and the API the app uses (`req.audit`). One object per request, methods on
 * the prototype: nothing here allocates closures on the hot path.
 */
class RequestAudit implements AuditRequestApi {
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
  /** The framework's request object, when it is not the node:http one (useRequest). */
  view: Req | undefined;
  /** The middleware that owns this request (its policy decides what the response writes capture). */
  readonly mw: MiddlewareState;

  constructor(requestId: string, started: number, mw: MiddlewareState) {
    this.requestId = requestId;
    this.started = started;
    this.mw = mw;
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
    if (request !== null && typeof request === 'object') this.view = request as Req;
  }
}

/** The route template: Express's (nested routers included), or the framework request's (Fastify's `routeOptions.url`). */
function templateOf(req: Req, st: RequestAudit): string | undefined {
  const url = (st.view?.routeOptions as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? url : routeTemplate(req as never);
}

type State = RequestAudit;

/** What the shared response hooks need from the middleware that owns a request. */
interface MiddlewareState {
  logger: AuditLogger;
  captures: boolean;
  ruleFor(method: string, target: string): CompiledRule;
  complete(req: Req, res: Res, st: State, aborted: boolean): void;
  onResponseEnd: AuditMiddlewareOptions['onResponseEnd'];
}

/**
 * Per-request state, keyed by the request. Hot request and response objects slow down measurably
 * when each one gets new own properties (V8 map transitions on every request), so the middleware
 * adds none: `req.audit` is an accessor on http.IncomingMessage.prototype reading this map, and the
 * response body is counted by write/end hooks on http.ServerResponse.prototype (installed once, on
 * the first auditMiddleware(); they do nothing for responses no auditMiddleware owns).
 */
const states = new WeakMap<object, RequestAudit>();

function stateOfResponse(res: ServerResponse): RequestAudit | undefined {
  const req = (res as { req?: object }).req;
  return req === undefined ? undefined : states.get(req);
}

/** Counts (and, when a policy asks, captures) a chunk of the response body. */
function track(st: State, res: ServerResponse, chunk: unknown, encoding: unknown): void {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
  const enc = typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8';
  st.bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk, enc) : (chunk as Uint8Array).byteLength;
  if (!st.captureDecided) {
    st.captureDecided = true;
    if (st.mw.captures) {
      const req = (res as unknown as { req: Req }).req;
      const route = templateOf(req, st);
      const rule = st.mw.ruleFor(
        req.method ?? 'GET',
        route ?? ((req.originalUrl as string | undefined) ?? req.url ?? '/').split('?')[0] ?? '/',
      );
      if (rule.audit === 'response-body' || rule.audit === 'bodies') {
        st.captured = [];
        st.captureLeft = rule.maxBodyBytes;
      }
    }
  }
  if (st.captured && st.captureLeft > 0) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, enc) : Buffer.from(chunk as Uint8Array);
    const part = buf.length > st.captureLeft ? buf.subarray(0, st.captureLeft) : buf;
    st.captured.push(part);
    st.captureLeft -= part.length;
  }
}

function safeTrack(st: State, res: ServerResponse, chunk: unknown, encoding: unknown): void {
  try {
    track(st, res, chunk, encoding);
  } catch (err) {
    st.mw.logger.reportError(err);
  }
}

function ended(st: State, res: ServerResponse, chunk: unknown): void {
  const fn = st.mw.onResponseEnd;
  if (fn === undefined) return;
  try {
    fn(st, res, typeof chunk === 'function' ? undefined : chunk);
  } catch (err) {
    st.mw.logger.reportError(err);
  }
}

const HOOKED = Symbol('auditready.express.hooks');

/** Installs the `req.audit` accessor and the response write/end hooks, once per process (per copy of this package). */
function installHooks(): void {
  const resProto = ServerResponse.prototype as unknown as Record<PropertyKey, unknown>;
  if (resProto[HOOKED]) return;
  resProto[HOOKED] = true;
  const write = resProto.write as (this: ServerResponse, ...a: unknown[]) => boolean;
  const end = resProto.end as (this: ServerResponse, ...a: unknown[]) => ServerResponse;
  Object.defineProperty(resProto, 'write', {
    configurable: true,
    writable: true,
    value: function write$auditready(this: ServerResponse, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const st = stateOfResponse(this);
      if (st !== undefined && !st.perInstance) safeTrack(st, this, chunk, encoding);
      return arguments.length <= 1 ? write.call(this, chunk) : write.call(this, chunk, encoding, cb);
    },
  });
  Object.defineProperty(resProto, 'end', {
    configurable: true,
    writable: true,
    value: function end$auditready(this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse {
      const st = stateOfResponse(this);
      if (st !== undefined && !st.perInstance) {
        safeTrack(st, this, chunk, encoding);
        ended(st, this, chunk);
      }
      return arguments.length === 0 ? end.call(this) : arguments.length === 1 ? end.call(this, chunk) : end.call(this, chunk, encoding, cb);
    },
  });
  // 'close' is emitted on every response (after 'finish', or alone when the client went away):
  // seen here rather than through a listener per response (adding one costs ~1-2 µs a request).
  const ownEmit = Object.getOwnPropertyDescriptor(resProto, 'emit')?.value as ((...a: unknown[]) => boolean) | undefined;
  const parent = Object.getPrototypeOf(resProto) as { emit: (...a: unknown[]) => boolean };
  Object.defineProperty(resProto, 'emit', {
    configurable: true,
    writable: true,
    value: function emit$auditready(this: ServerResponse, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'close') onClose(this);
      return (ownEmit ?? parent.emit).call(this, event, ...args);
    },
  });
  const reqProto = IncomingMessage.prototype as unknown as Record<PropertyKey, unknown>;
  const previous = Object.getOwnPropertyDescriptor(reqProto, 'audit');
  Object.defineProperty(reqProto, 'audit', {
    configurable: true,
    enumerable: false,
    get(this: object) {
      return states.get(this) ?? previous?.get?.call(this) ?? previous?.value;
    },
    set(this: object, value: unknown) {
      // Someone else's req.audit: an own property, as it would have been without this accessor.
      Object.defineProperty(this, 'audit', { value, writable: true, configurable: true, enumerable: true });
    },
  });
}

/** For request/response objects that are not node:http ones (test doubles): the per-object hooks. */
function hookInstance(req: Req, res: ServerResponse, st: State): void {
  st.perInstance = true;
  if (req.audit !== st) req.audit = st;
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    safeTrack(st, this, chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof res.write;
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    safeTrack(st, this, chunk, rest[0]);
    ended(st, this, chunk);
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as typeof res.end;
}

/** 'close' follows 'finish' on every response; without 'finish' first, the client went away. */
function closed(req: Req, res: ServerResponse, st: State): void {
  if (st.done) return;
  try {
    st.mw.complete(req, res as Res, st, !res.writableFinished);
  } catch (err) {
    st.mw.logger.reportError(err);
  }
}

/** From the shared emit hook: responses of node:http requests an auditMiddleware owns. */
function onClose(res: ServerResponse): void {
  const req = (res as unknown as { req?: Req }).req;
  const st = req === undefined ? undefined : states.get(req);
  if (st !== undefined && !st.perInstance) closed(req as Req, res, st);
}

type Req = IncomingMessage & Record<string, unknown> & { audit?: unknown };
type Res = ServerResponse & { locals?: Record<string, unknown> };

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function globRe(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

interface CompiledRule {
  methods: Set<string> | undefined;
  route: RegExp | undefined;
  audit: BodyCapture;
  maxBodyBytes: number;
}

function compilePolicy(rules: PolicyRule[] | undefined): CompiledRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) throw new AuditConfigError('policy must be an array of rules', { path: 'policy' });
  return rules.map((r, i) => {
    const where = `policy[${i}]`;
    if (r === null || typeof r !== 'object') throw new AuditConfigError(`${where} must be { method?, route?, audit }`, { path: where });
    if (!['skip', 'metadata', 'request-body', 'response-body', 'bodies'].includes(r.audit)) {
      throw new AuditConfigError(`${where}.audit must be skip, metadata, request-body, response-body or bodies`, {
        path: `${where}.audit`,
      });
    }
    const methods =
      r.method === undefined ? undefined : new Set((Array.isArray(r.method) ? r.method : [r.method]).map((m) => String(m).toUpperCase()));
    let route: RegExp | undefined;
    if (r.route instanceof RegExp) route = r.route;
    else if (typeof r.route === 'string') route = globRe(r.route);
    else if (r.route !== undefined) throw new AuditConfigError(`${where}.route must be a string or RegExp`, { path: `${where}.route` });
    const max = r.maxBodyBytes ?? 8192;
    if (!Number.isInteger(max) || max < 0)
      throw new AuditConfigError(`${where}.maxBodyBytes must be an integer >= 0`, { path: `${where}.maxBodyBytes` });
    return { methods, route, audit: r.audit, maxBodyBytes: max };
  });
}

const DEFAULT_RULE: CompiledRule = { methods: undefined, route: undefined, audit: 'metadata', maxBodyBytes: 8192 };

/** The default actor: what Passport-style auth leaves on req.user, or res.locals.user. */
export function defaultActor(req: Record<string, unknown>, res: { locals?: Record<string, unknown> }): Actor | undefined {
  const u = (req.user ?? res.locals?.user ?? res.locals?.actor) as Record<string, unknown> | undefined;
  if (u === null || typeof u !== 'object') return undefined;
  const id = u.id ?? u.sub ?? u._id ?? u.userId ?? u.username ?? u.email;
  if (id === undefined || id === null) return undefined;
  const actor: Actor = { type: u.type === 'service' ? 'service' : 'user', id: cap(String(id), 256) };
  if (typeof u.name === 'string') actor.name = cap(u.name, 256);
  if (Array.isArray(u.roles) && u.roles.every((r) => typeof r === 'string')) actor.roles = u.roles as string[];
  if (typeof u.tenant === 'string') actor.tenant = u.tenant;
  return actor;
}

/** What a route template says about its resource: the type, and the parameter holding the id. */
type ResourceShape = { type: string; param?: string } | null;
/** Route templates are few and fixed: their shapes are worked out once (bounded, in case a router makes many). */
const shapes = new Map<string, ResourceShape>();

function resourceShape(route: string): ResourceShape {
  const segs = route.split('/').filter(Boolean);
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i] as string;
    if (!s.startsWith(':')) continue;
    const name = s.slice(1).replace(/[?*+]$/, '');
    const type = (segs[i - 1] && !(segs[i - 1] as string).startsWith(':') ? segs[i - 1] : name) as string;
    return { type: cap(type, 128), param: name };
  }
  const last = segs.at(-1);
  return last && !last.includes('*') ? { type: last } : null;
}

function defaultResource(req: Record<string, unknown>, route: string | undefined): Resource | undefined {
  if (!route) return undefined;
  let shape = shapes.get(route);
  if (shape === undefined) {
    shape = resourceShape(route);
    if (shapes.size < 10_000) shapes.set(route, shape);
  }
  if (shape === null) return undefined;
  if (shape.param === undefined) return { type: shape.type };
  const id = ((req.params ?? {}) as Record<string, unknown>)[shape.param];
  return id === undefined ? { type: shape.type } : { type: shape.type, id: cap(String(id), 512) };
}

/** Client-controlled strings are cut (with a marker) to the entry schema's limits, never rejected. */
function cap(s: string, max: number): string {
  return s.length > max ? truncateString(s, max - 40) : s;
}

function outcomeOf(status: number, denied: boolean): Outcome {
  if (denied || status === 401 || status === 403) return 'denied';
  if (status >= 500) return 'error';
  if (status >= 400) return 'failure';
  return 'success';
}

function bodyOf(chunks: Buffer[], contentType: unknown): unknown {
  const text = Buffer.concat(chunks).toString('utf8');
  if (typeof contentType === 'string' && contentType.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function capBody(value: unknown, max: number): unknown {
  if (value === undefined) return undefined;
  // Raw bodies (uploads, express.raw) are described, never logged byte for byte.
  if (value instanceof Uint8Array) return `[binary body: ${value.length} bytes]`;
  let size: number;
  try {
    size = typeof value === 'string' ? Buffer.byteLength(value) : Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return '[unserializable body]';
  }
  if (size <= max) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `${text.slice(0, max)}…[truncated ${size - max} of ${size} bytes]`;
}

/** The per-request audit state of a request, if auditMiddleware saw it (for framework adapters). */
export function requestAudit(req: unknown): AuditRequestApi | undefined {
  return req !== null && typeof req === 'object' ? states.get(req) : undefined;
}

export function auditMiddleware(options: AuditMiddlewareOptions) {
  if (options === null || typeof options !== 'object') throw new AuditConfigError('auditMiddleware(options): options must be an object');
  const logger = options.logger;
  if (!logger || typeof logger.record !== 'function') {
    throw new AuditConfigError('auditMiddleware: options.logger must be an AuditLogger (createAuditLogger)', { path: 'logger' });
  }
  for (const k of ['actor', 'action', 'resource', 'ip', 'generateRequestId', 'onResponseEnd'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function')
      throw new AuditConfigError(`auditMiddleware: ${k} must be a function`, { path: k });
  }
  const rules = compilePolicy(options.policy);
  const captures = rules.some((x) => x.audit === 'response-body' || x.audit === 'bodies');
  const header = (options.requestIdHeader ?? 'x-request-id').toLowerCase();
  const generate = options.generateRequestId ?? randomUUID;
  const twoPhase = options.twoPhase === true;
  const failClosed = options.failClosed === true;

  const ruleFor = (method: string, target: string): CompiledRule => {
    for (const r of rules) {
      if (r.methods && !r.methods.has(method)) continue;
      if (r.route && !r.route.test(target)) continue;
      return r;
    }
    return DEFAULT_RULE;
  };

  /** Calls a user hook; if it throws, notes it on the entry and reports it. No closures needed. */
  function hook<A, B, C, R>(st: State, what: string, fn: (a: A, b: B, c: C) => R, a: A, b: B, c: C): R | undefined {
    try {
      return fn(a, b, c);
    } catch (err) {
      (st.hookErrors ??= []).push(`${what} threw: ${errorMessage(err)}`);
      logger.reportError(
        err instanceof Error ? Object.assign(new Error(`auditMiddleware: ${what} threw: ${err.message}`), { cause: err }) : err,
      );
      return undefined;
    }
  }

  function complete(req: Req, res: Res, st: State, aborted: boolean): void {
    if (st.done) return;
    st.done = true;
    if (st.skipped) return;
    const route = hook(st, 'route template', templateOf, req, st, undefined);
    // What the app sees as its request: the framework's (useRequest) or the node:http one.
    const view = st.view ?? req;
    const method = req.method ?? 'GET';
    const path = (req.originalUrl as string | undefined) ?? req.url ?? '/';
    const q = path.indexOf('?');
    const pathOnly = q < 0 ? path : path.slice(0, q);
    const rule = rules.length === 0 ? DEFAULT_RULE : ruleFor(method, route ?? pathOnly);
    if (rule.audit === 'skip') return;
    const status = res.headersSent ? res.statusCode : undefined;
    const outcome: Outcome = aborted ? 'aborted' : outcomeOf(res.statusCode, st.denyReason !== undefined);
    // The app's own actor objects are copied (they are never modified); defaultActor's is fresh.
    const own = st.actor ?? (options.actor ? hook(st, 'actor resolver', options.actor, view, res, undefined) : undefined);
    const fresh = own === undefined && !options.actor ? hook(st, 'actor resolver', defaultActor, view, res, undefined) : undefined;
    const actor: Actor = own ? { ...own } : (fresh ?? { type: 'anonymous' });
    const ip = options.ip ? hook(st, 'ip resolver', options.ip, view, undefined, undefined) : clientIp(view);
    if (ip && actor.ip === undefined) actor.ip = ip;
    const ua = req.headers['user-agent'];
    if (typeof ua === 'string' && actor.userAgent === undefined) actor.userAgent = cap(ua, 1024);
    const action =
      st.action ??
      (options.action ? hook(st, 'action resolver', options.action, view, res, route) : undefined) ??
      `${method} ${cap(route ?? pathOnly, 200)}`;
    const resource =
      st.resource ??
      (options.resource
        ? hook(st, 'resource resolver', options.resource, view, res, route)
        : hook(st, 'resource resolver', defaultResource, view, route, undefined));
    const http: Record<string, unknown> = {
      method,
      path: cap(path, 8192),
      durationMs: Math.round((performance.now() - st.started) * 1000) / 1000,
      requestId: st.requestId,
      bytesOut: st.bytesOut,
    };
    if (route !== undefined) http.route = cap(route, 2048);
    if (status !== undefined) http.status = status;
    const cl = req.headers['content-length'];
    if (cl !== undefined) {
      const len = Number(cl);
      if (Number.isSafeInteger(len) && len >= 0) http.bytesIn = len;
    }
    if (req.httpVersion) http.protocol = `HTTP/${req.httpVersion}`;
    if (rule.audit === 'request-body' || rule.audit === 'bodies') {
      const body = capBody(view.body, rule.maxBodyBytes);
      if (body !== undefined) http.requestBody = body;
    }
    if ((rule.audit === 'response-body' || rule.audit === 'bodies') && st.captured && st.captured.length > 0) {
      http.responseBody = capBody(bodyOf(st.captured, res.getHeader('content-type')), rule.maxBodyBytes);
    }
    const trace = req.headers.traceparent === undefined ? undefined : parseTraceparent(req.headers.traceparent);
    let details = st.details;
    if (st.error !== undefined || aborted || st.hookErrors || twoPhase) {
      details = { ...details };
      if (st.error !== undefined) {
        const e = st.error as { name?: unknown; code?: unknown };
        details.error = {
          ...(typeof e?.name === 'string' ? { name: e.name } : {}),
          ...(typeof e?.code === 'string' ? { code: e.code } : {}),
        };
      }
      if (aborted) details.aborted = res.headersSent ? 'client went away during the response' : 'client went away before a response';
      if (st.hookErrors) details.auditErrors = st.hookErrors;
      if (twoPhase) details.phase = 'completed';
    }
    const reason = st.denyReason ?? st.reason ?? (st.error !== undefined ? errorMessage(st.error) : undefined);
    const input: Parameters<AuditLogger['record']>[0] = {
      kind: 'access',
      action: action.length > 256 ? action.slice(0, 256) : action,
      outcome,
      actor,
      http: http as never,
    };
    if (resource) input.resource = resource;
    if (trace) input.trace = trace;
    if (reason) input.reason = reason.slice(0, 2000);
    if (details) input.details = details;
    try {
      logger.recordLater(input);
    } catch (err) {
      // Closed or fail-closed at completion: the response is already out; report, never throw.
      logger.reportError(err);
    }
  }

  function refuse(res: ServerResponse, st: State): void {
    res.statusCode = 503;
    res.setHeader('Retry-After', '5');
    res.setHeader('Content-Type', 'application/json');
    res.end('{"error":"audit log unavailable: request refused rather than served unaudited"}');
    st.done = true;
  }

  const mw: MiddlewareState = { logger, captures, ruleFor, complete, onResponseEnd: options.onResponseEnd };
  installHooks();

  return function auditready(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    const r = req as Req;
    const s = res as Res;
    if (states.has(r)) {
      next(); // mounted twice: the first one records
      return;
    }
    const incoming = req.headers[header];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : generate();
    const st = new RequestAudit(requestId, performance.now(), mw);
    states.set(r, st);
    if (s.locals) s.locals.audit = st;
    if (!(req instanceof IncomingMessage) || !(res instanceof ServerResponse) || (res as { req?: unknown }).req !== req)
      hookInstance(r, res, st);
    if (!res.headersSent) res.setHeader('X-Request-Id', requestId);

    if (failClosed && !logger.accepting()) {
      refuse(res, st);
      return;
    }
    if (twoPhase) {
      const trace = parseTraceparent(req.headers.traceparent);
      try {
        // Batched like the completion record (in worker mode, record() would be a round trip).
        logger.recordLater({
          kind: 'event',
          action: 'http.request.received',
          actor: { type: 'anonymous' },
          http: { method: req.method ?? 'GET', path: (r.originalUrl as string | undefined) ?? req.url ?? '/', requestId },
          details: { phase: 'received' },
          ...(trace ? { trace } : {}),
        });
      } catch (err) {
        if (failClosed && err instanceof AuditUnavailableError) {
          refuse(res, st);
          return;
        }
        logger.reportError(err);
      }
    }
    if ((res as { closed?: unknown }).closed === true) {
      // The client went away while earlier middleware (async auth, a body parser) was running.
      complete(r, s, st, true);
    } else if (st.perInstance) res.once('close', () => closed(r, res, st));
    next();
  };
}

/**
 * Error-capturing middleware: put `app.use(auditErrors())` after your routes (before your own
 * error handler). It notes the error on the request's entry (name, code, message as the reason)
 * and passes it on unchanged.
 */
export function auditErrors() {
  return function auditreadyErrors(err: unknown, req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void {
    const st = states.get(req);
    if (st !== undefined && st.error === undefined) st.error = err;
    next(err);
  };
}

/**
 * The client address. Express: `req.ip` when the app trusts a proxy (X-Forwarded-For is then read
 * by Express's `trust proxy` rule), else the socket's address, without parsing forwarding headers
 * that would be ignored anyway. Elsewhere: the framework's `req.ip` if it sets one (Fastify's
 * follows its `trustProxy` option), else the socket's address.
 */
function clientIp(req: Req): string | undefined {
  const app = req.app as { get?: (k: string) => unknown } | undefined;
  if (typeof app?.get === 'function') {
    if (app.get('trust proxy')) return (req.ip as string | undefined) ?? req.socket?.remoteAddress;
    return req.socket?.remoteAddress;
  }
  return typeof req.ip === 'string' && req.ip !== '' ? req.ip : req.socket?.remoteAddress;
}
