/**
 * An entry as an Elastic Common Schema document (ECS 9.4): `@timestamp`, `event.*` (action,
 * outcome, category and type, `event.sequence` = seq, `event.hash` = the entry's hash,
 * `event.original` = the canonical line), `user.*`, `source.*`, `url.*`, `http.*`, `service.*`,
 * `trace.id`; the chain id and the previous hash in `labels`. docs/formats.md has the table.
 */
import { canonicalize } from '../canonical.js';
import type { AuditEntry } from '../types.js';
import { authActivity, compact, crudOf, isBookkeeping } from './common.js';

export const ECS_VERSION = '9.4.0';

type Obj = Record<string, unknown>;

const API_TYPE = { create: 'creation', read: 'access', update: 'change', delete: 'deletion' } as const;

function categorize(e: AuditEntry): { category?: string[]; type: string[] } {
  if (isBookkeeping(e)) return { type: ['info'] };
  const auth = authActivity(e);
  if (auth) return { category: ['authentication'], type: [auth === 'logon' ? 'start' : 'end'] };
  if (e.kind === 'access') return { category: ['web'], type: [e.outcome === 'error' ? 'error' : 'access'] };
  const crud = crudOf(e);
  return { category: ['api'], type: [crud ? API_TYPE[crud] : 'info', ...(e.outcome === 'denied' ? ['denied'] : [])] };
}

const ecsOutcome = (e: AuditEntry) => (e.outcome === undefined ? 'unknown' : e.outcome === 'success' ? 'success' : 'failure');

/** What ECS has no field for: the chain, and the actor's and resource's details. */
function labelsOf(e: AuditEntry): Obj {
  const a = e.actor;
  return compact({
    auditready_chain: e.chain,
    auditready_prev: e.prev,
    auditready_kind: e.kind,
    auditready_outcome: e.outcome,
    auditready_key_id: e.kid,
    resource_type: e.resource?.type,
    resource_id: e.resource?.id,
    actor_type: a?.type,
    actor_session: a?.session,
    actor_tenant: a?.tenant,
    impersonator_id: a?.impersonator?.id,
  });
}

function httpOf(h: NonNullable<AuditEntry['http']>): Obj {
  return compact({
    request: compact({ method: h.method, id: h.requestId, bytes: h.bytesIn }),
    response: h.status !== undefined || h.bytesOut !== undefined ? compact({ status_code: h.status, bytes: h.bytesOut }) : undefined,
    version: h.protocol?.replace(/^HTTP\//i, ''),
  });
}

/** The entry as an ECS document; `line` is its canonical line (computed when not given). */
export function toEcs(entry: AuditEntry, line?: string): Obj {
  const e = entry;
  const a = e.actor;
  const h = e.http;
  const { category, type } = categorize(e);
  const related = [a?.id, a?.impersonator?.id].filter((x): x is string => typeof x === 'string');
  return compact({
    '@timestamp': e.ts,
    ecs: { version: ECS_VERSION },
    message: e.reason ?? [e.action ?? e.kind, e.outcome].filter(Boolean).join(' '),
    event: compact({
      kind: 'event',
      category,
      type,
      action: e.action ?? e.kind,
      outcome: ecsOutcome(e),
      reason: e.reason,
      id: `${e.chain}:${e.seq}`,
      sequence: e.seq,
      hash: e.hash,
      dataset: `auditready.${isBookkeeping(e) ? 'chain' : e.kind}`,
      module: 'auditready',
      provider: e.service?.name,
      duration: h?.durationMs === undefined ? undefined : Math.round(h.durationMs * 1e6),
      original: line ?? canonicalize(e),
    }),
    user: a && (a.id || a.name || a.roles) ? compact({ id: a.id, name: a.name, roles: a.roles }) : undefined,
    source: a?.ip ? { ip: a.ip, address: a.ip } : undefined,
    user_agent: a?.userAgent ? { original: a.userAgent } : undefined,
    url: h?.path ? { path: h.path.split('?')[0], original: h.path } : undefined,
    http: h ? httpOf(h) : undefined,
    service: e.service
      ? compact({
          name: e.service.name,
          version: e.service.version,
          environment: e.service.env,
          node: e.service.instance ? { name: e.service.instance } : undefined,
        })
      : undefined,
    host: e.service?.host ? { hostname: e.service.host, name: e.service.host } : undefined,
    trace: e.trace ? { id: e.trace.traceId } : undefined,
    span: e.trace ? { id: e.trace.spanId } : undefined,
    related:
      related.length > 0 || a?.ip ? compact({ user: related.length > 0 ? related : undefined, ip: a?.ip ? [a.ip] : undefined }) : undefined,
    labels: labelsOf(e),
    tags: ['auditready'],
  });
}
