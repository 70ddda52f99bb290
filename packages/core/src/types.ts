/**
 * The entry, format version 1 (docs/spec/entry-format.md). schema.ts holds the JSON Schema; a
 * compile-time check there keeps these types and the schema's property lists identical.
 */

export const FORMAT_VERSION = 1 as const;

/** `access` and `event` are the app's records; the others are written by the library itself. */
export type EntryKind =
  | 'access'
  | 'event'
  | 'genesis'
  | 'checkpoint'
  | 'gap'
  | 'recovered'
  | 'clock'
  | 'rejected'
  | 'retention'
  | 'notice'
  | 'epoch'
  | 'heartbeat'
  | 'erasure';
export type Outcome = 'success' | 'failure' | 'denied' | 'error' | 'aborted';
export type ActorType = 'user' | 'service' | 'anonymous' | 'system';

export interface Actor {
  /** The stable user or service id (not a display name). */
  id?: string;
  type: ActorType;
  name?: string;
  ip?: string;
  userAgent?: string;
  /** Session identifier; a raw session token should be redacted (keyed hash) before it gets here. */
  session?: string;
  tenant?: string;
  roles?: string[];
  /** Set when someone acts on behalf of `id` (support staff, admin "login as"). */
  impersonator?: { id: string; type?: ActorType };
}

export interface Resource {
  type: string;
  id?: string;
  name?: string;
  tenant?: string;
}

export interface HttpInfo {
  method: string;
  /** Route template, e.g. `/invoices/:id`. */
  route?: string;
  /** Path as requested, query string included after redaction. */
  path?: string;
  status?: number;
  durationMs?: number;
  bytesIn?: number;
  bytesOut?: number;
  requestId?: string;
  protocol?: string;
  headers?: Record<string, unknown>;
  query?: Record<string, unknown>;
  requestBody?: unknown;
  responseBody?: unknown;
}

export interface TraceInfo {
  /** W3C trace-id: 32 lowercase hex. */
  traceId: string;
  /** W3C parent-id of the incoming request: 16 lowercase hex. */
  spanId: string;
  flags?: string;
}

export interface ServiceInfo {
  name: string;
  version?: string;
  env?: string;
  host?: string;
  instance?: string;
}

export type RedactionHow = 'remove' | 'mask' | 'hash' | 'truncate';

/** One thing that was cut from an entry before sealing: auditors must see that something was. */
export interface RedactionNote {
  path: string;
  how: RedactionHow;
  /** The rule or detector that fired, e.g. `default:credential-key`, `detector:jwt`, `maxStringLength`. */
  rule?: string;
}

/** A sealed entry as written to every transport. */
export interface AuditEntry {
  v: typeof FORMAT_VERSION;
  kind: EntryKind;
  chain: string;
  seq: number;
  prev: string;
  hash: string;
  /** Key id when the chain is keyed (HMAC-SHA256); absent for plain SHA-256. */
  kid?: string;
  /** RFC 3339 UTC with microseconds: 2026-11-27T03:52:31.123456Z. */
  ts: string;
  actor?: Actor;
  action?: string;
  resource?: Resource;
  http?: HttpInfo;
  trace?: TraceInfo;
  outcome?: Outcome;
  reason?: string;
  service?: ServiceInfo;
  details?: Record<string, unknown>;
  redacted?: RedactionNote[];
  /**
   * The content sealed (encryption at rest, docs/spec/encryption.md): AES-256-GCM of the canonical
   * JSON of the content fields, under data key `kid`. Covered by the hash like any field.
   */
  enc?: SealedFields;
  /** Personal fields sealed under their subject's key (erasure, docs/spec/encryption.md §Subjects). */
  pii?: SubjectFields;
}

/** Personal fields of one subject: AES-256-GCM of the canonical JSON of { path: value }, under subject key `kid` of pseudonym `sid`. */
export interface SubjectFields {
  ct: string;
  iv: string;
  kid: string;
  /** The dotted paths sealed (read `[erased]` once the subject's keys are destroyed). */
  paths: string[];
  sid: string;
}

/** An entry's encrypted content: base64 ciphertext with its 16-byte tag, base64 12-byte nonce, data key id (32 hex). */
export interface SealedFields {
  ct: string;
  iv: string;
  kid: string;
}

/** What the app passes to record(): the logger fills in v, chain fields, ts and service. */
export interface AuditRecordInput {
  kind?: 'access' | 'event';
  action: string;
  outcome?: Outcome;
  actor?: Actor;
  resource?: Resource;
  http?: HttpInfo;
  trace?: TraceInfo;
  reason?: string;
  details?: Record<string, unknown>;
  // No `ts`: the logger's clock stamps every entry (monotonic, steps recorded), so an app cannot
  // backdate one. When something happened earlier, say so in details.
}

/** The position of an entry in the chain, enough to resume or link it. */
export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}
