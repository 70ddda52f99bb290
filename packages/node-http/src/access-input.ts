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

const RESOURCE_LIMITS = { type: 128, id: 512, name: 512, tenant: 256 } as const;
/** Listed once: resourceOf runs for every request. */
const RESOURCE_FIELDS = Object.entries(RESOURCE_LIMITS);

/**
 * The resource as the entry schema takes it: a resolver's value that is not (a string, a number,
 * a cycle, a BigInt, too long) loses only what is wrong, noted, never the access entry.
 */
function resourceOf(value: unknown, problems: string[]): Resource | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`resource is not an object (${Array.isArray(value) ? 'array' : typeof value})`);
    return undefined;
  }
  const out: Record<string, string> = {};
  try {
    for (const k of Object.keys(value))
      if (!(k in RESOURCE_LIMITS)) problems.push(`resource.${k} is not a resource field (type, id, name, tenant)`);
  } catch (err) {
    problems.push(`resource could not be read: ${safeMessage(err)}`);
  }
  for (const [k, max] of RESOURCE_FIELDS) {
    let v: unknown;
    try {
      v = (value as Record<string, unknown>)[k];
    } catch (err) {
      problems.push(`resource.${k} getter threw: ${safeMessage(err)}`);
      continue;
    }
    if (v === undefined) continue;
    if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
    if (typeof v !== 'string') {
      problems.push(`resource.${k} is not a string (${typeof v})`);
      continue;
    }
    out[k] = cap(v.isWellFormed() ? v : v.toWellFormed(), max);
  }
  if (out.type === undefined || out.type === '') {
    problems.push('resource has no type');
    return undefined;
  }
  return out as unknown as Resource;
}

function actionOf(f: AccessFacts, pathOnly: string, problems: string[]): string {
  const fallback = `${f.method} ${cap(f.route ?? pathOnly, 200)}`;
  if (f.action === undefined) return fallback;
  if (typeof f.action !== 'string' || f.action === '') {
    problems.push(`action is not a non-empty string (${typeof f.action})`);
    return fallback;
  }
  const a = f.action.isWellFormed() ? f.action : f.action.toWellFormed();
  return a.length > 256 ? a.slice(0, 256) : a;
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
  const input: AuditRecordInput = {
    kind: 'access',
    action: actionOf(f, pathOnly, problems),
    outcome,
    actor: actorOf(f, problems),
    http: httpOf(f) as never,
  };
  const resource = resourceOf(f.resource, problems);
  if (resource) input.resource = resource;
  const trace = f.headers.traceparent === undefined ? undefined : parseTraceparent(f.headers.traceparent);
  if (trace) input.trace = trace;
  const reason = f.denyReason ?? f.reason ?? (f.error !== undefined ? safeMessage(f.error) : undefined);
  if (reason) input.reason = reason.slice(0, 2000);
  const details = detailsOf(f, problems);
  if (details) input.details = details;
  return input;
}
