/**
 * The node:http hooks: `req.audit`, response body counting (and capture, when a policy keeps
 * response bodies), the end of each response, and its close (finished, or the client went away).
 * Installed once per process (per copy of this package) on the prototypes; they do nothing for
 * requests no auditor owns. Request and response objects that are not node:http ones (test
 * doubles) are hooked one by one instead.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { type RequestAudit, stateOfResponse, states } from './request-state.js';
import { routeOf } from './route-template.js';
import type { AppRequest, AppResponse } from './types.js';

/** Decides once per response whether its body is captured (a policy may keep response bodies). */
function decideCapture(st: RequestAudit, res: ServerResponse): void {
  st.captureDecided = true;
  if (!st.owner.capturesResponses) return;
  const req = (res as unknown as { req: AppRequest }).req;
  const route = routeOf(req, st.view);
  const rule = st.owner.ruleFor(
    req.method ?? 'GET',
    route ?? ((req.originalUrl as string | undefined) ?? req.url ?? '/').split('?')[0] ?? '/',
  );
  if (rule.audit === 'response-body' || rule.audit === 'bodies') {
    st.captured = [];
    // More than is kept: a JSON body a little over the cap still parses, so it is cut by fields
    // (keys kept for redaction) rather than as text.
    st.captureLeft = Math.min(Math.max(rule.maxBodyBytes * 4, 65_536), 1 << 20);
  }
}

/** Counts (and, when a policy asks, captures) a chunk of the response body. */
function track(st: RequestAudit, res: ServerResponse, chunk: unknown, encoding: unknown): void {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
  const enc = typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8';
  st.bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk, enc) : (chunk as Uint8Array).byteLength;
  if (!st.captureDecided) decideCapture(st, res);
  if (st.captured && st.captureLeft > 0) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, enc) : Buffer.from(chunk as Uint8Array);
    const part = buf.length > st.captureLeft ? buf.subarray(0, st.captureLeft) : buf;
    st.captured.push(part);
    st.captureLeft -= part.length;
  }
}

function safeTrack(st: RequestAudit, res: ServerResponse, chunk: unknown, encoding: unknown): void {
  try {
    track(st, res, chunk, encoding);
  } catch (err) {
    st.owner.logger.reportError(err);
  }
}

function ended(st: RequestAudit, res: ServerResponse, chunk: unknown): void {
  const fn = st.owner.onResponseEnd;
  if (fn === undefined) return;
  try {
    fn(st, res, typeof chunk === 'function' ? undefined : chunk);
  } catch (err) {
    st.owner.logger.reportError(err);
  }
}

/** 'close' follows 'finish' on every response; without 'finish' first, the client went away. */
export function closed(req: AppRequest, res: ServerResponse, st: RequestAudit): void {
  if (st.done) return;
  try {
    st.owner.complete(req, res as AppResponse, st, !res.writableFinished);
  } catch (err) {
    st.owner.logger.reportError(err);
  }
}

/** From the shared emit hook: responses of node:http requests an auditor owns. */
function onClose(res: ServerResponse): void {
  const req = (res as unknown as { req?: AppRequest }).req;
  const st = req === undefined ? undefined : states.get(req);
  if (st !== undefined && !st.perInstance) closed(req as AppRequest, res, st);
}

const HOOKED = Symbol('auditready.node-http.hooks');

type Proto = Record<PropertyKey, unknown>;

function hookWrite(resProto: Proto): void {
  const write = resProto.write as (this: ServerResponse, ...a: unknown[]) => boolean;
  Object.defineProperty(resProto, 'write', {
    configurable: true,
    writable: true,
    value: function write$auditready(this: ServerResponse, ...a: unknown[]): boolean {
      const st = stateOfResponse(this);
      if (st !== undefined && !st.perInstance) safeTrack(st, this, a[0], a[1]);
      return write.apply(this, a);
    },
  });
}

function hookEnd(resProto: Proto): void {
  const end = resProto.end as (this: ServerResponse, ...a: unknown[]) => ServerResponse;
  Object.defineProperty(resProto, 'end', {
    configurable: true,
    writable: true,
    value: function end$auditready(this: ServerResponse, ...a: unknown[]): ServerResponse {
      const st = stateOfResponse(this);
      if (st !== undefined && !st.perInstance) {
        safeTrack(st, this, a[0], a[1]);
        ended(st, this, a[0]);
      }
      return end.apply(this, a);
    },
  });
}

/**
 * 'close' is emitted on every response (after 'finish', or alone when the client went away):
 * seen here rather than through a listener per response (adding one costs ~1-2 µs a request).
 */
function hookEmit(resProto: Proto): void {
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
}

/** `req.audit`: an accessor over the state map (no own property per request). */
function hookAuditAccessor(reqProto: Proto): void {
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

/** Installs the `req.audit` accessor and the response hooks, once per process (per copy of this package). */
export function installHooks(): void {
  const resProto = ServerResponse.prototype as unknown as Proto;
  if (resProto[HOOKED]) return;
  resProto[HOOKED] = true;
  hookWrite(resProto);
  hookEnd(resProto);
  hookEmit(resProto);
  hookAuditAccessor(IncomingMessage.prototype as unknown as Proto);
}

/** Is this a node:http request/response pair the prototype hooks see? */
export function isNodeHttpPair(req: object, res: object): boolean {
  return req instanceof IncomingMessage && res instanceof ServerResponse && (res as { req?: unknown }).req === req;
}

/** For request/response objects that are not node:http ones (test doubles): the per-object hooks. */
export function hookInstance(req: AppRequest & { audit?: unknown }, res: ServerResponse, st: RequestAudit): void {
  st.perInstance = true;
  try {
    if (req.audit !== st) req.audit = st;
  } catch {
    // a frozen or sealed double: its state is still found (requestAudit(req)), only req.audit is missing
  }
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
  res.once('close', () => closed(req, res, st));
}
