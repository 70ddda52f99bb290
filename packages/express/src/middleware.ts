/**
 * `auditMiddleware({ logger })`: one `access` entry per request (docs/express.md).
 *
 * Everything that decides the entry is read when the response completes (`finish`), or when the
 * connection closes first (`aborted`): the actor, set by whatever auth middleware ran, in any
 * order; the route template; the status. Resolvers and redaction rules that throw never break the
 * request: the entry is still written, with the error noted, and onError is called.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Actor, AuditConfigError, type AuditLogger, AuditUnavailableError, type Outcome, type Resource } from '@auditready/core';
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
}

const kAudit = Symbol.for('auditready.express.state');

interface State {
  api: AuditRequestApi;
  started: number;
  requestId: string;
  actor?: Actor;
  deny?: string;
  action?: string;
  resource?: Resource;
  details?: Record<string, unknown>;
  error?: unknown;
  hookErrors: string[];
  bytesOut: number;
  captured: Buffer[] | undefined;
  capturedBytes: number;
  captureDecided: boolean;
  done: boolean;
}

type Req = IncomingMessage & Record<string, unknown> & { [kAudit]?: State };
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
  const actor: Actor = { type: u.type === 'service' ? 'service' : 'user', id: String(id) };
  if (typeof u.name === 'string') actor.name = u.name;
  if (Array.isArray(u.roles) && u.roles.every((r) => typeof r === 'string')) actor.roles = u.roles as string[];
  if (typeof u.tenant === 'string') actor.tenant = u.tenant;
  return actor;
}

function defaultResource(req: Record<string, unknown>, route: string | undefined): Resource | undefined {
  if (!route) return undefined;
  const params = (req.params ?? {}) as Record<string, string>;
  const segs = route.split('/').filter(Boolean);
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i] as string;
    if (!s.startsWith(':')) continue;
    const name = s.slice(1).replace(/[?*+]$/, '');
    const id = params[name];
    const type = (segs[i - 1] && !(segs[i - 1] as string).startsWith(':') ? segs[i - 1] : name) as string;
    return id === undefined ? { type } : { type, id: String(id) };
  }
  const last = segs.at(-1);
  return last && !last.includes('*') ? { type: last } : undefined;
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

export function auditMiddleware(options: AuditMiddlewareOptions) {
  if (options === null || typeof options !== 'object') throw new AuditConfigError('auditMiddleware(options): options must be an object');
  const logger = options.logger;
  if (!logger || typeof logger.record !== 'function')
    throw new AuditConfigError('auditMiddleware: options.logger must be an AuditLogger (createAuditLogger)', { path: 'logger' });
  for (const k of ['actor', 'action', 'resource', 'ip', 'generateRequestId'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function')
      throw new AuditConfigError(`auditMiddleware: ${k} must be a function`, { path: k });
  }
  const rules = compilePolicy(options.policy);
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

  const safe = <T>(st: State, what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      st.hookErrors.push(`${what} threw: ${errorMessage(err)}`);
      logger.reportError(
        err instanceof Error ? Object.assign(new Error(`auditMiddleware: ${what} threw: ${err.message}`), { cause: err }) : err,
      );
      return undefined;
    }
  };

  function complete(req: Req, res: Res, st: State, aborted: boolean): void {
    if (st.done) return;
    st.done = true;
    const route = safe(st, 'route template', () => routeTemplate(req as never));
    const method = req.method ?? 'GET';
    const path = (req.originalUrl as string | undefined) ?? req.url ?? '/';
    const pathOnly = path.split('?')[0] as string;
    const rule = ruleFor(method, route ?? pathOnly);
    if (rule.audit === 'skip') return;
    const status = res.headersSent ? res.statusCode : undefined;
    const outcome: Outcome = aborted ? 'aborted' : outcomeOf(res.statusCode, st.deny !== undefined);
    const actor =
      st.actor ??
      (options.actor
        ? safe(st, 'actor resolver', () => options.actor?.(req, res))
        : safe(st, 'actor resolver', () => defaultActor(req, res))) ??
      ({ type: 'anonymous' } as Actor);
    const ip = options.ip
      ? safe(st, 'ip resolver', () => options.ip?.(req))
      : ((req.ip as string | undefined) ?? req.socket?.remoteAddress);
    if (ip && actor.ip === undefined) actor.ip = ip;
    const ua = req.headers['user-agent'];
    if (typeof ua === 'string' && actor.userAgent === undefined) actor.userAgent = ua;
    const action =
      st.action ??
      (options.action ? safe(st, 'action resolver', () => options.action?.(req, res, route)) : undefined) ??
      `${method} ${route ?? pathOnly}`;
    const resource =
      st.resource ??
      (options.resource
        ? safe(st, 'resource resolver', () => options.resource?.(req, res, route))
        : safe(st, 'resource resolver', () => defaultResource(req, route)));
    const http: Record<string, unknown> = {
      method,
      path,
      durationMs: Math.round((performance.now() - st.started) * 1000) / 1000,
      requestId: st.requestId,
      bytesOut: st.bytesOut,
    };
    if (route !== undefined) http.route = route;
    if (status !== undefined) http.status = status;
    const len = Number(req.headers['content-length']);
    if (Number.isFinite(len) && len >= 0) http.bytesIn = len;
    if (req.httpVersion) http.protocol = `HTTP/${req.httpVersion}`;
    if (rule.audit === 'request-body' || rule.audit === 'bodies') {
      const body = capBody(req.body, rule.maxBodyBytes);
      if (body !== undefined) http.requestBody = body;
    }
    if ((rule.audit === 'response-body' || rule.audit === 'bodies') && st.captured && st.captured.length > 0) {
      http.responseBody = capBody(bodyOf(st.captured, res.getHeader('content-type')), rule.maxBodyBytes);
    }
    const trace = parseTraceparent(req.headers.traceparent);
    const details: Record<string, unknown> = { ...st.details };
    if (st.error !== undefined) {
      const e = st.error as { name?: unknown; code?: unknown };
      details.error = {
        ...(typeof e?.name === 'string' ? { name: e.name } : {}),
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      };
    }
    if (aborted) details.aborted = res.headersSent ? 'client went away during the response' : 'client went away before a response';
    if (st.hookErrors.length > 0) details.auditErrors = st.hookErrors;
    if (twoPhase) details.phase = 'completed';
    const reason = st.deny ?? (st.error !== undefined ? errorMessage(st.error) : undefined);
    try {
      logger.record({
        kind: 'access',
        action: action.slice(0, 256),
        outcome,
        actor,
        http: http as never,
        ...(resource ? { resource } : {}),
        ...(trace ? { trace } : {}),
        ...(reason ? { reason: reason.slice(0, 2000) } : {}),
        ...(Object.keys(details).length > 0 ? { details } : {}),
      });
    } catch (err) {
      // Closed or fail-closed at completion: the response is already out; report, never throw.
      logger.reportError(err);
    }
  }

  return function auditready(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    const r = req as Req;
    const s = res as Res;
    if (r[kAudit]) {
      next(); // mounted twice: the first one records
      return;
    }
    const incoming = req.headers[header];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : generate();
    const st: State = {
      api: undefined as unknown as AuditRequestApi,
      started: performance.now(),
      requestId,
      hookErrors: [],
      bytesOut: 0,
      captured: undefined,
      capturedBytes: 0,
      captureDecided: false,
      done: false,
    };
    st.api = {
      requestId,
      setActor: (a) => {
        st.actor = a;
      },
      deny: (reason) => {
        st.deny = String(reason);
      },
      setAction: (a) => {
        st.action = String(a);
      },
      setResource: (x) => {
        st.resource = x;
      },
      addDetails: (d) => {
        st.details = { ...st.details, ...d };
      },
      setError: (e) => {
        st.error = e;
      },
    };
    r[kAudit] = st;
    r.audit = st.api;
    r.requestId = requestId;
    if (s.locals) {
      s.locals.audit = st.api;
      s.locals.requestId = requestId;
    }
    if (!res.headersSent) res.setHeader('X-Request-Id', requestId);

    if (failClosed && !logger.accepting()) {
      res.statusCode = 503;
      res.setHeader('Retry-After', '5');
      res.setHeader('Content-Type', 'application/json');
      res.end('{"error":"audit log unavailable: request refused rather than served unaudited"}');
      st.done = true;
      return;
    }
    if (twoPhase) {
      try {
        logger.record({
          kind: 'event',
          action: 'http.request.received',
          actor: { type: 'anonymous' },
          http: { method: req.method ?? 'GET', path: (r.originalUrl as string | undefined) ?? req.url ?? '/', requestId },
          details: { phase: 'received' },
          ...(parseTraceparent(req.headers.traceparent) ? { trace: parseTraceparent(req.headers.traceparent) } : {}),
        });
      } catch (err) {
        if (failClosed && err instanceof AuditUnavailableError) {
          res.statusCode = 503;
          res.setHeader('Retry-After', '5');
          res.end('{"error":"audit log unavailable"}');
          st.done = true;
          return;
        }
        logger.reportError(err);
      }
    }

    // Count (and, when a policy asks, capture) the response body as it is written.
    const write = res.write;
    const end = res.end;
    const track = (chunk: unknown, encoding: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : Buffer.isBuffer(chunk)
            ? chunk
            : Buffer.from(chunk as Uint8Array);
      st.bytesOut += buf.length;
      if (!st.captureDecided) {
        st.captureDecided = true;
        const route = routeTemplate(r as never);
        const rule = ruleFor(req.method ?? 'GET', route ?? ((r.originalUrl as string | undefined) ?? req.url ?? '/').split('?')[0] ?? '/');
        if (rule.audit === 'response-body' || rule.audit === 'bodies') st.captured = [];
        st.capturedBytes = rule.maxBodyBytes;
      }
      if (st.captured && st.capturedBytes > 0) {
        const part = buf.length > st.capturedBytes ? buf.subarray(0, st.capturedBytes) : buf;
        st.captured.push(Buffer.from(part));
        st.capturedBytes -= part.length;
      }
    };
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      try {
        track(chunk, rest[0]);
      } catch (err) {
        logger.reportError(err);
      }
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      try {
        track(chunk, rest[0]);
      } catch (err) {
        logger.reportError(err);
      }
      return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as typeof res.end;

    res.once('finish', () => complete(r, s, st, false));
    res.once('close', () => {
      if (!res.writableFinished) complete(r, s, st, true);
    });
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
    const st = (req as Req)[kAudit];
    if (st && st.error === undefined) st.error = err;
    next(err);
  };
}
