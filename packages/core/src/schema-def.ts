/**
 * JSON Schema (draft 2020-12 subset that ajv's default draft-07 engine accepts) of the entry,
 * format version 1, as data: schema.ts checks entries with validators generated from it ahead of
 * time (scripts/gen-validators.mjs), verify/schema-bytes.ts compiles it for bytes, and
 * docs/spec/entry-v1.schema.json is a copy, kept identical by a test.
 */
import type { Actor, AuditEntry, HttpInfo, Resource, ServiceInfo, TraceInfo } from './types.js';

const str = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const ACTOR_TYPES = ['user', 'service', 'anonymous', 'system'] as const;

const actorProps = {
  id: str(256),
  type: { enum: ACTOR_TYPES },
  name: str(256),
  ip: str(64),
  userAgent: str(1024),
  session: str(256),
  tenant: str(256),
  roles: { type: 'array', items: str(128), maxItems: 64 },
  impersonator: {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: str(256), type: { enum: ACTOR_TYPES } },
  },
} as const;

const resourceProps = { type: str(128), id: str(512), name: str(512), tenant: str(256) } as const;

const httpProps = {
  method: { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$" },
  route: str(2048),
  path: str(8192),
  status: { type: 'integer', minimum: 0, maximum: 999 },
  durationMs: { type: 'number', minimum: 0 },
  bytesIn: { type: 'integer', minimum: 0 },
  bytesOut: { type: 'integer', minimum: 0 },
  requestId: str(256),
  protocol: str(32),
  headers: { type: 'object' },
  query: { type: 'object' },
  requestBody: {},
  responseBody: {},
} as const;

const traceProps = {
  traceId: { type: 'string', pattern: '^[0-9a-f]{32}$' },
  spanId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
  flags: { type: 'string', pattern: '^[0-9a-f]{2}$' },
} as const;

const serviceProps = { name: str(256), version: str(128), env: str(64), host: str(256), instance: str(256) } as const;

const entryProps = {
  v: { const: 1 },
  kind: {
    enum: [
      'access',
      'event',
      'genesis',
      'checkpoint',
      'gap',
      'recovered',
      'clock',
      'rejected',
      'retention',
      'notice',
      'epoch',
      'heartbeat',
      'erasure',
    ],
  },
  chain: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  seq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  prev: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  kid: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' },
  ts: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$' },
  actor: { type: 'object', additionalProperties: false, required: ['type'], properties: actorProps },
  action: { type: 'string', minLength: 1, maxLength: 256 },
  resource: { type: 'object', additionalProperties: false, required: ['type'], properties: resourceProps },
  http: { type: 'object', additionalProperties: false, required: ['method'], properties: httpProps },
  trace: { type: 'object', additionalProperties: false, required: ['traceId', 'spanId'], properties: traceProps },
  outcome: { enum: ['success', 'failure', 'denied', 'error', 'aborted'] },
  reason: str(2048),
  service: { type: 'object', additionalProperties: false, required: ['name'], properties: serviceProps },
  details: { type: 'object' },
  redacted: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'how'],
      properties: { path: str(2048), how: { enum: ['remove', 'mask', 'hash', 'truncate'] }, rule: str(128) },
    },
  },
  enc: {
    type: 'object',
    additionalProperties: false,
    required: ['ct', 'iv', 'kid'],
    properties: {
      ct: { type: 'string', minLength: 24, maxLength: 4_000_000, pattern: '^[A-Za-z0-9+/]+=*$' },
      iv: { type: 'string', pattern: '^[A-Za-z0-9+/]{16}$' },
      kid: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    },
  },
  pii: {
    type: 'object',
    additionalProperties: false,
    required: ['ct', 'iv', 'kid', 'paths', 'sid'],
    properties: {
      ct: { type: 'string', minLength: 24, maxLength: 1_000_000, pattern: '^[A-Za-z0-9+/]+=*$' },
      iv: { type: 'string', pattern: '^[A-Za-z0-9+/]{16}$' },
      kid: { type: 'string', pattern: '^[0-9a-f]{16}$' },
      paths: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_$.-]{0,320}$' } },
      sid: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    },
  },
} as const;

// Compile-time proof that the schema's property lists and the TypeScript types name the same
// fields: adding a field to one and not the other fails `tsc`.
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
const _keysChecked: [
  SameKeys<typeof entryProps, Required<AuditEntry>>,
  SameKeys<typeof actorProps, Required<Actor>>,
  SameKeys<typeof resourceProps, Required<Resource>>,
  SameKeys<typeof httpProps, Required<HttpInfo>>,
  SameKeys<typeof traceProps, Required<TraceInfo>>,
  SameKeys<typeof serviceProps, Required<ServiceInfo>>,
] = [true, true, true, true, true, true];
void _keysChecked;

/** The content fields, in canonical order: what encryption at rest seals (everything but the chain fields, kind and ts). */
export const SEALED_CONTENT = [
  'action',
  'actor',
  'details',
  'http',
  'outcome',
  'reason',
  'redacted',
  'resource',
  'service',
  'trace',
] as const;

/** The entry JSON Schema, format version 1. */
export const entrySchema = {
  $id: 'https://auditready.dev/schema/entry-v1.json',
  title: 'auditready entry, format version 1',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'kind', 'chain', 'seq', 'prev', 'hash', 'ts'],
  properties: entryProps,
  allOf: [
    {
      if: { properties: { kind: { enum: ['access', 'event'] }, enc: false } },
      then: { required: ['actor', 'action', 'outcome'] },
    },
    { if: { properties: { kind: { const: 'access' }, enc: false } }, then: { required: ['http'] } },
    // Sealed content (encryption at rest) is the whole content: nothing of it also in the clear.
    { if: { required: ['enc'] }, then: { properties: Object.fromEntries(SEALED_CONTENT.map((f) => [f, false])) } },
  ],
} as const;

/**
 * The same schema without the chain fields (v, chain, seq, prev, hash, kid), which the chain sets
 * itself from validated configuration: record() checks the body before sealing, without first
 * copying it into a complete entry.
 */
export const bodySchema = { ...entrySchema, $id: 'https://auditready.dev/schema/entry-body-v1.json', required: ['kind', 'ts'] } as const;
