/**
 * buildAccessInput: the `access` entry of one request from plain facts, with no socket, no
 * framework and no user code (resolvers have run already). Pure, so every field's rule can be
 * tested on its own; the auditor gathers the facts when the response closes.
 */
import type { Actor, AuditRecordInput, Outcome, Resource } from '@auditready/core';
import { cap, outcomeOf } from './defaults.js';
import { copyObject, safeGet, safeMessage } from './safe.js';
import { parseTraceparent } from './trace.js';

export interface AccessFacts {
  method: string;
  /** The path as received, query included (Express: `originalUrl`). */
  url: string;
  /** The route template, once routing is done. */
  route?: string | undefined;
  /** The status set on the response (node:http's default is 200). */
  statusCode: number;
  /** Whether headers were sent: an entry has a status only then. */
  headersSent: boolean;
  /** The client went away before the response finished. */
  aborted: boolean;
  durationMs: number;
  requestId: string;
  bytesOut: number;
  /** Request headers the entry reads: content-length, user-agent, traceparent. */
  headers: { 'content-length'?: string | undefined; 'user-agent'?: string | undefined; traceparent?: unknown };
  httpVersion?: string | undefined;
  /** The actor as the app set or a resolver gave it (copied, never modified), or undefined. */
  actor: Actor | undefined;
  /** `actor` is a fresh object of the layer's own (the default resolver's): used without a copy. */
  actorOwned?: boolean;
  ip?: string | undefined;
  /** set by the app (setAction) or a resolver; default `<method> <route or path>`. */
  action?: string | undefined;
  resource?: Resource | undefined;
  requestBody?: unknown;
  responseBody?: unknown;
  details?: Record<string, unknown> | undefined;
  error?: unknown;
  hookErrors?: string[] | undefined;
  denyReason?: string | undefined;
  reason?: string | undefined;
  /** A `received` record was written at the start: the completion says so. */
  twoPhase?: boolean;
}

function httpOf(f: AccessFacts): Record<string, unknown> {
  const http: Record<string, unknown> = {
    method: f.method,
    path: cap(f.url, 8192),
    durationMs: f.durationMs,
    requestId: f.requestId,
    bytesOut: f.bytesOut,
  };
  if (f.route !== undefined) http.route = cap(f.route, 2048);
  if (f.headersSent) http.status = f.statusCode;
  const cl = f.headers['content-length'];
  if (cl !== undefined) {
    const len = Number(cl);
    if (Number.isSafeInteger(len) && len >= 0) http.bytesIn = len;
  }
  if (f.httpVersion) http.protocol = `HTTP/${f.httpVersion}`;
  if (f.requestBody !== undefined) http.requestBody = f.requestBody;
  if (f.responseBody !== undefined) http.responseBody = f.responseBody;
  return http;
}

function detailsOf(f: AccessFacts, problems: string[]): Record<string, unknown> | undefined {
  if (f.error === undefined && !f.aborted && !f.hookErrors && !f.twoPhase && problems.length === 0) return f.details;
  const details: Record<string, unknown> = f.details ? copyObject(f.details, 'details', problems) : {};
  if (f.error !== undefined) {
    const name = safeGet(f.error, 'name');
    const code = safeGet(f.error, 'code');
    details.error = { ...(typeof name === 'string' ? { name } : {}), ...(typeof code === 'string' ? { code } : {}) };
  }
  if (f.aborted)
    details.aborted =
      f.error !== undefined
        ? 'the response was cut off after an error'
        : f.headersSent
          ? 'client went away during the response'
          : 'client went away before a response';
  const notes = [...(f.hookErrors ?? []), ...problems];
  if (notes.length > 0) details.auditErrors = notes;
  if (f.twoPhase) details.phase = 'completed';
  return details;
}

function actorOf(f: AccessFacts, problems: string[]): Actor {
  let actor: Actor = { type: 'anonymous' };
  if (f.actor !== null && typeof f.actor === 'object') actor = f.actorOwned ? f.actor : copyObject(f.actor, 'actor', problems);
  else if (f.actor !== undefined) problems.push(`actor is not an object (${typeof f.actor})`);
  if (f.ip && actor.ip === undefined) actor.ip = f.ip;
  const ua = f.headers['user-agent'];
  if (typeof ua === 'string' && actor.userAgent === undefined) actor.userAgent = cap(ua, 1024);
  return actor;
}

export function buildAccessInput(f: AccessFacts): AuditRecordInput {
  const q = f.url.indexOf('?');
  const pathOnly = q < 0 ? f.url : f.url.slice(0, q);
  // Cut off after an error (a handler threw once headers were out): an error, not a client that left.
  const outcome: Outcome = f.aborted ? (f.error !== undefined ? 'error' : 'aborted') : outcomeOf(f.statusCode, f.denyReason !== undefined);
  const problems: string[] = [];
  const action = f.action ?? `${f.method} ${cap(f.route ?? pathOnly, 200)}`;
  const input: AuditRecordInput = {
    kind: 'access',
    action: action.length > 256 ? action.slice(0, 256) : action,
    outcome,
    actor: actorOf(f, problems),
    http: httpOf(f) as never,
  };
  if (f.resource) input.resource = f.resource;
  const trace = f.headers.traceparent === undefined ? undefined : parseTraceparent(f.headers.traceparent);
  if (trace) input.trace = trace;
  const reason = f.denyReason ?? f.reason ?? (f.error !== undefined ? safeMessage(f.error) : undefined);
  if (reason) input.reason = reason.slice(0, 2000);
  const details = detailsOf(f, problems);
  if (details) input.details = details;
  return input;
}
