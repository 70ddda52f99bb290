/**
 * An entry as an OCSF event (schema 1.9.0-dev, the first with the record_integrity profile):
 * API Activity (class 6003) for accesses and business events, Authentication (3002) when the
 * action is a login or logout, Base Event (class 0) for the chain's own records (gaps, retention,
 * checkpoints ...). The chain is carried in the record_integrity profile's attestation (fingerprint
 * = the entry's hash, previous event = the entry before it, chain id), and the original canonical
 * line in `raw_data`: a mapped event leads back to a verifiable entry. docs/formats.md has the table.
 */
import { canonicalize } from '../canonical.js';
import type { Actor, AuditEntry } from '../types.js';
import { CORE_VERSION } from '../version.js';
import { authActivity, compact, crudOf, isBookkeeping, timesOf } from './common.js';

export const OCSF_SCHEMA_VERSION = '1.9.0-dev';

type Obj = Record<string, unknown>;

const CRUD_ACTIVITY = { create: [1, 'Create'], read: [2, 'Read'], update: [3, 'Update'], delete: [4, 'Delete'] } as const;
const USER_TYPE: Record<Actor['type'], [number, string]> = {
  user: [1, 'User'],
  service: [4, 'Service'],
  system: [3, 'System'],
  anonymous: [99, 'Anonymous'],
};

function severity(e: AuditEntry): [number, string] {
  if (e.kind === 'gap') return [4, 'High']; // entries were lost
  if (e.kind === 'rejected' || e.kind === 'clock') return [3, 'Medium'];
  if (e.outcome === 'error') return [4, 'High'];
  if (e.outcome === 'denied') return [3, 'Medium'];
  if (e.outcome === 'failure' || e.outcome === 'aborted') return [2, 'Low'];
  return [1, 'Informational'];
}

function user(a: Actor): Obj {
  const [typeId, type] = USER_TYPE[a.type] ?? [99, 'Other'];
  return compact({ uid: a.id, name: a.name ?? (a.id === undefined ? a.type : undefined), type_id: typeId, type });
}

function fingerprint(e: AuditEntry, value: string): Obj {
  return {
    algorithm_id: e.kid ? 99 : 3,
    algorithm: e.kid ? `HMAC-SHA256 (key ${e.kid})` : 'SHA-256',
    value,
    encoding_id: 1,
    encoding: 'Hex',
    serialization_id: 99,
    serialization: 'auditready entry format v1 (docs/spec/hash-chain.md): the entry is raw_data',
  };
}

function attestation(e: AuditEntry, typeUid: number): Obj {
  return compact({
    uid: `${e.chain}:${e.seq}`,
    chain_uid: e.chain,
    authority_uid: e.service?.name,
    fingerprint: fingerprint(e, e.hash),
    // The first entry of a chain links to a previous chain's head (or to nothing): not an event here.
    prev_event: e.seq > 0 ? { uid: `${e.chain}:${e.seq - 1}`, type_uid: typeUid, fingerprint: fingerprint(e, e.prev) } : undefined,
  });
}

function classOf(e: AuditEntry): {
  classUid: number;
  className: string;
  categoryUid: number;
  categoryName: string;
  activity: [number, string];
} {
  if (isBookkeeping(e))
    return { classUid: 0, className: 'Base Event', categoryUid: 0, categoryName: 'Uncategorized', activity: [99, e.kind] };
  const auth = authActivity(e);
  if (auth)
    return {
      classUid: 3002,
      className: 'Authentication',
      categoryUid: 3,
      categoryName: 'Identity & Access Management',
      activity: auth === 'logon' ? [1, 'Logon'] : [2, 'Logoff'],
    };
  const crud = crudOf(e);
  return {
    classUid: 6003,
    className: 'API Activity',
    categoryUid: 6,
    categoryName: 'Application Activity',
    activity: crud ? [...CRUD_ACTIVITY[crud]] : [99, 'Other'],
  };
}

function sourceEndpoint(e: AuditEntry): Obj {
  if (e.actor?.ip) return { ip: e.actor.ip };
  if (e.kind === 'event' && e.service?.host) return { hostname: e.service.host };
  return { name: 'unknown' };
}

function httpMembers(e: AuditEntry, ms: number): Obj {
  const h = e.http;
  if (!h) return {};
  return compact({
    http_request: compact({
      http_method: h.method,
      url: { path: h.path ?? h.route ?? '/' },
      uid: h.requestId,
      version: h.protocol,
      user_agent: e.actor?.userAgent,
      length: h.bytesIn,
    }),
    http_response:
      h.status !== undefined
        ? compact({ code: h.status, length: h.bytesOut, latency: h.durationMs === undefined ? undefined : Math.round(h.durationMs) })
        : undefined,
    duration: h.durationMs === undefined ? undefined : Math.round(h.durationMs),
    start_time: h.durationMs === undefined ? undefined : Math.round(ms - h.durationMs),
  });
}

function apiActivityMembers(e: AuditEntry, ms: number): Obj {
  return compact({
    actor: e.actor ? compact({ user: user(e.actor), invoked_by: e.actor.impersonator?.id }) : { app_name: e.service?.name ?? 'unknown' },
    api: compact({
      operation: e.action ?? e.kind,
      request: e.http?.requestId ? { uid: e.http.requestId } : undefined,
      service: e.service ? compact({ name: e.service.name, version: e.service.version }) : undefined,
    }),
    src_endpoint: sourceEndpoint(e),
    resources: e.resource
      ? [
          compact({
            type: e.resource.type,
            uid: e.resource.id,
            name: e.resource.name ?? (e.resource.id === undefined ? e.resource.type : undefined),
          }),
        ]
      : undefined,
    ...httpMembers(e, ms),
  });
}

function authenticationMembers(e: AuditEntry): Obj {
  return compact({
    user: e.actor ? user(e.actor) : { name: 'unknown' },
    src_endpoint: sourceEndpoint(e),
    service: { name: e.service?.name ?? 'unknown', ...(e.service?.version ? { version: e.service.version } : {}) },
    duration: e.http?.durationMs === undefined ? undefined : Math.round(e.http.durationMs),
  });
}

function metadataOf(e: AuditEntry, profiles: string[]): Obj {
  return compact({
    version: OCSF_SCHEMA_VERSION,
    product: { name: 'auditready', vendor_name: 'auditready', version: CORE_VERSION },
    uid: `${e.chain}:${e.seq}`,
    log_name: e.chain,
    sequence: e.seq,
    original_time: e.ts,
    correlation_uid: e.trace?.traceId,
    event_code: e.kind,
    tenant_uid: e.actor?.tenant,
    profiles,
  });
}

/** The entry as an OCSF event; `line` is its canonical line (computed when not given). */
export function toOcsf(entry: AuditEntry, line?: string): Obj {
  const e = entry;
  const { ms } = timesOf(e.ts);
  const c = classOf(e);
  const typeUid = c.classUid * 100 + c.activity[0];
  const [severityId, severityName] = severity(e);
  const profiles = ['datetime', 'record_integrity', ...(e.trace ? ['trace'] : [])];
  const out: Obj = compact({
    class_uid: c.classUid,
    class_name: c.className,
    category_uid: c.categoryUid,
    category_name: c.categoryName,
    activity_id: c.activity[0],
    activity_name: c.activity[1],
    type_uid: typeUid,
    type_name: `${c.className}: ${c.activity[1]}`,
    time: ms,
    time_dt: e.ts,
    severity_id: severityId,
    severity: severityName,
    status_id: e.outcome === undefined ? 0 : e.outcome === 'success' ? 1 : 2,
    status: e.outcome === undefined ? 'Unknown' : e.outcome === 'success' ? 'Success' : 'Failure',
    status_code: e.http?.status !== undefined ? String(e.http.status) : e.outcome,
    status_detail: e.reason,
    message: e.reason ?? [e.action ?? e.kind, e.outcome].filter(Boolean).join(' '),
    metadata: metadataOf(e, profiles),
    trace: e.trace
      ? compact({
          uid: e.trace.traceId,
          span: { uid: e.trace.spanId, start_time: ms, end_time: ms },
          flags: e.trace.flags ? [e.trace.flags] : undefined,
        })
      : undefined,
    attestation_list: [attestation(e, typeUid)],
    raw_data: line ?? canonicalize(e),
    unmapped:
      e.details !== undefined || e.actor?.roles || e.actor?.impersonator
        ? compact({ kind: e.kind, details: e.details, roles: e.actor?.roles, impersonator: e.actor?.impersonator })
        : undefined,
  });
  if (c.classUid === 6003) Object.assign(out, apiActivityMembers(e, ms));
  else if (c.classUid === 3002) Object.assign(out, authenticationMembers(e));
  return out;
}
