/**
 * Validators of mapped entries against published schemas pinned in
 * packages/core/test/fixtures/schemas (README there: versions, sources, licences): OCSF's own
 * schema files (classes, objects, dictionary, profiles, enums, constraints), ECS's flat field
 * list (types, arrays, allowed values), and OpenTelemetry's logs.proto (OTLP/JSON) with the
 * semantic-conventions attribute registry. Each returns the problems found, [] when valid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', 'packages', 'core', 'test', 'fixtures', 'schemas');
const json = (p: string) => JSON.parse(readFileSync(join(ROOT, p), 'utf8'));
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

// ---------------------------------------------------------------- OCSF
interface AttrDef {
  type: string;
  isArray: boolean;
  requirement?: string;
  enum?: Set<string>;
  /** Added by this profile: allowed (and required as it says) only when the event applies it. */
  profile?: string;
}
interface Shape {
  attrs: Map<string, AttrDef>;
  atLeastOne: string[][];
}

const ocsfDict = json('ocsf/dictionary.json') as { attributes: Record<string, Obj>; types: { attributes: Record<string, Obj> } };
const ocsfCategories = json('ocsf/categories.json') as { attributes: Record<string, { uid: number }> };
const EVENT_FILES: Record<string, string> = {
  base_event: 'ocsf/events/base_event.json',
  application: 'ocsf/events/application/application.json',
  api_activity: 'ocsf/events/application/api_activity.json',
  iam: 'ocsf/events/iam/iam.json',
  authentication: 'ocsf/events/iam/authentication.json',
};

function mergeAttrs(into: Map<string, AttrDef>, attributes: Record<string, unknown>, fromProfile?: string): void {
  for (const [name, raw] of Object.entries(attributes)) {
    if (name === '$include') {
      for (const inc of raw as string[]) {
        const file = json(`ocsf/${inc}`) as { name: string; meta?: string; attributes: Obj };
        mergeAttrs(into, file.attributes, file.meta === 'profile' ? file.name : undefined);
      }
      continue;
    }
    const local = raw as Obj;
    const dict = ocsfDict.attributes[name] ?? {};
    const had = into.get(name);
    const enumKeys = new Set<string>([
      ...(had?.enum ?? []),
      ...Object.keys((dict.enum as Obj) ?? {}),
      ...Object.keys((local.enum as Obj) ?? {}),
    ]);
    // A class may take an attribute out of its profile (`"profile": null`), or it comes from one.
    const profile = 'profile' in local ? ((local.profile as string | null) ?? undefined) : (fromProfile ?? had?.profile);
    into.set(name, {
      type: (local.type as string) ?? had?.type ?? (dict.type as string),
      isArray: Boolean(local.is_array ?? had?.isArray ?? dict.is_array),
      requirement: (local.requirement as string) ?? had?.requirement,
      ...(enumKeys.size > 0 ? { enum: enumKeys } : {}),
      ...(profile ? { profile } : {}),
    });
  }
}

const objectShapes = new Map<string, Shape>();
function objectShape(name: string): Shape {
  const known = objectShapes.get(name);
  if (known) return known;
  const file = json(`ocsf/objects/${name}.json`) as { extends?: string; attributes: Obj; constraints?: { at_least_one?: string[] } };
  const base =
    file.extends && file.extends !== 'object' ? objectShape(file.extends) : { attrs: new Map<string, AttrDef>(), atLeastOne: [] };
  const attrs = new Map(base.attrs);
  mergeAttrs(attrs, file.attributes);
  // An object's own constraint replaces the one it inherits (as OCSF's compiled schema shows).
  const shape = { attrs, atLeastOne: file.constraints?.at_least_one ? [file.constraints.at_least_one] : base.atLeastOne };
  objectShapes.set(name, shape);
  return shape;
}

function classShape(name: string): Shape & { uid: number; category: string } {
  const file = json(EVENT_FILES[name] as string) as {
    extends?: string;
    uid?: number;
    category?: string;
    attributes: Obj;
    constraints?: { at_least_one?: string[] };
  };
  const base = file.extends ? classShape(file.extends) : { attrs: new Map<string, AttrDef>(), atLeastOne: [], uid: 0, category: 'other' };
  const attrs = new Map(base.attrs);
  mergeAttrs(attrs, file.attributes);
  return {
    attrs,
    atLeastOne: file.constraints?.at_least_one ? [file.constraints.at_least_one] : base.atLeastOne,
    uid: file.uid ?? base.uid,
    category: file.category ?? base.category,
  };
}

function baseType(t: string): string {
  const def = ocsfDict.types.attributes[t];
  return def && typeof def.type === 'string' && def.type !== t ? baseType(def.type) : t;
}

function checkScalar(type: string, v: unknown, path: string, problems: string[], applied: Set<string>): void {
  if (type === 'object' || type === 'json_t') return;
  if (!type.endsWith('_t')) {
    if (!isObj(v)) problems.push(`${path}: expected a ${type} object`);
    else checkShape(objectShape(type), v, path, problems, applied);
    return;
  }
  const b = baseType(type);
  if (b === 'string_t' && typeof v !== 'string') problems.push(`${path}: expected a string (${type})`);
  if ((b === 'integer_t' || b === 'long_t') && !Number.isInteger(v)) problems.push(`${path}: expected an integer (${type})`);
  if (b === 'float_t' && typeof v !== 'number') problems.push(`${path}: expected a number`);
  if (b === 'boolean_t' && typeof v !== 'boolean') problems.push(`${path}: expected a boolean`);
  if (type === 'datetime_t' && !(typeof v === 'string' && RFC3339.test(v))) problems.push(`${path}: expected an RFC 3339 date-time`);
  if (type === 'ip_t' && !(typeof v === 'string' && (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || v.includes(':'))))
    problems.push(`${path}: expected an IP address`);
}

function checkShape(shape: Shape, value: Obj, path: string, problems: string[], applied: Set<string>): void {
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    let def = shape.attrs.get(k);
    if (def?.profile && !applied.has(def.profile)) {
      problems.push(`${p}: belongs to the ${def.profile} profile, which metadata.profiles does not name`);
      continue;
    }
    if (!def && applied.has('datetime') && k.endsWith('_dt') && shape.attrs.get(k.slice(0, -3))?.type === 'timestamp_t')
      def = { type: 'datetime_t', isArray: false };
    if (!def) {
      problems.push(`${p}: not an attribute of this class or object`);
      continue;
    }
    if (def.isArray) {
      if (!Array.isArray(v)) problems.push(`${p}: expected an array`);
      else for (const [i, x] of v.entries()) checkScalar(def.type, x, `${p}[${i}]`, problems, applied);
    } else checkScalar(def.type, v, p, problems, applied);
    // class_uid, category_uid and type_uid are derived per class (checked by validateOcsf itself).
    const derived = path === '' && (k === 'class_uid' || k === 'category_uid' || k === 'type_uid');
    if (def.enum && !def.isArray && !derived && !def.enum.has(String(v))) problems.push(`${p}: ${String(v)} is not in its enum`);
  }
  for (const [k, def] of shape.attrs)
    if (def.requirement === 'required' && (!def.profile || applied.has(def.profile)) && value[k] === undefined)
      problems.push(`${path || '(event)'}: required ${k} missing`);
  for (const group of shape.atLeastOne)
    if (!group.some((k) => value[k] !== undefined)) problems.push(`${path || '(event)'}: needs at least one of ${group.join(', ')}`);
}

const OCSF_CLASS_BY_UID: Record<number, string> = { 0: 'base_event', 6003: 'api_activity', 3002: 'authentication' };

/** Problems of an OCSF event against the pinned schema (its class from class_uid). */
export function validateOcsf(event: Obj): string[] {
  const problems: string[] = [];
  const name = OCSF_CLASS_BY_UID[event.class_uid as number];
  if (!name) return [`class_uid ${String(event.class_uid)}: not a class this validator loads`];
  const shape = classShape(name);
  const categoryUid = ocsfCategories.attributes[shape.category]?.uid ?? 0;
  const classUid = categoryUid * 1000 + shape.uid;
  if (event.class_uid !== classUid) problems.push(`class_uid ${String(event.class_uid)} != ${classUid}`);
  if (event.category_uid !== categoryUid) problems.push(`category_uid ${String(event.category_uid)} != ${categoryUid}`);
  if (event.type_uid !== classUid * 100 + (event.activity_id as number)) problems.push('type_uid is not class_uid * 100 + activity_id');
  const profiles = ((event.metadata as Obj | undefined)?.profiles as string[] | undefined) ?? [];
  checkShape(shape, event, '', problems, new Set(profiles));
  return problems;
}

// ---------------------------------------------------------------- ECS
const ecs = json('ecs/ecs_flat.json') as {
  ecs_version: string;
  fields: Record<string, { type: string; normalize?: string[]; allowed?: string[]; expected_event_types?: Record<string, string[]> }>;
};
export const PINNED_ECS_VERSION = ecs.ecs_version;

function ecsType(type: string, v: unknown): boolean {
  if (['keyword', 'constant_keyword', 'wildcard', 'text', 'match_only_text'].includes(type)) return typeof v === 'string';
  if (['long', 'integer', 'short', 'byte', 'unsigned_long'].includes(type)) return Number.isInteger(v);
  if (['float', 'half_float', 'scaled_float', 'double'].includes(type)) return typeof v === 'number';
  if (type === 'date') return typeof v === 'string' && !Number.isNaN(Date.parse(v));
  if (type === 'ip') return typeof v === 'string' && (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || v.includes(':'));
  if (type === 'boolean') return typeof v === 'boolean';
  return isObj(v);
}

/** Problems of an ECS document against the pinned field list. */
export function validateEcs(doc: Obj): string[] {
  const problems: string[] = [];
  const walk = (v: unknown, path: string): void => {
    const field = ecs.fields[path];
    if (field && field.type !== 'object' && field.type !== 'nested' && field.type !== 'flattened') {
      const array = field.normalize?.includes('array');
      const values = Array.isArray(v) ? v : [v];
      if (array && !Array.isArray(v)) problems.push(`${path}: ECS normalizes it to an array`);
      if (!array && Array.isArray(v)) problems.push(`${path}: not an array field`);
      for (const x of values) {
        if (!ecsType(field.type, x)) problems.push(`${path}: ${JSON.stringify(x)} is not of type ${field.type}`);
        if (field.allowed && !field.allowed.includes(String(x))) problems.push(`${path}: ${String(x)} is not an allowed value`);
      }
      return;
    }
    if (path === 'labels') {
      if (!isObj(v)) problems.push('labels: expected an object');
      else
        for (const [k, x] of Object.entries(v))
          if (typeof x !== 'string') problems.push(`labels.${k}: label values are keywords (strings)`);
      return;
    }
    if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    problems.push(`${path}: not an ECS ${ecs.ecs_version} field`);
  };
  walk(doc, '');
  // event.type must be one that event.category expects.
  const event = doc.event as Obj | undefined;
  const cats = (event?.category as string[] | undefined) ?? [];
  const expected = ecs.fields['event.category']?.expected_event_types ?? {};
  for (const t of (event?.type as string[] | undefined) ?? [])
    if (cats.length > 0 && !cats.some((c) => expected[c]?.includes(t)))
      problems.push(`event.type ${t}: not expected for event.category ${cats.join(',')}`);
  return problems;
}

// ---------------------------------------------------------------- OpenTelemetry
interface ProtoField {
  name: string;
  type: string;
  repeated: boolean;
  oneof?: string;
}
const protoMessages = new Map<string, ProtoField[]>();
const protoEnums = new Map<string, Set<number>>();
for (const file of ['logs.proto', 'common.proto', 'resource.proto']) {
  const text = readFileSync(join(ROOT, 'otel', file), 'utf8').replace(/\/\/.*$/gm, '');
  for (const m of text.matchAll(/message\s+(\w+)\s*\{/g)) {
    let depth = 1;
    let i = (m.index as number) + m[0].length;
    const start = i;
    while (depth > 0 && i < text.length) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
      i++;
    }
    const body = text.slice(start, i - 1);
    const fields: ProtoField[] = [];
    const oneofs = [...body.matchAll(/oneof\s+(\w+)\s*\{([^}]*)\}/g)];
    const plain = body.replace(/oneof\s+\w+\s*\{[^}]*\}/g, '').replace(/reserved[^;]*;/g, '');
    for (const f of plain.matchAll(/(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*\d+\s*(\[[^\]]*\])?\s*;/g))
      fields.push({ name: f[3] as string, type: (f[2] as string).split('.').pop() as string, repeated: Boolean(f[1]) });
    for (const o of oneofs)
      for (const f of (o[2] as string).matchAll(/([\w.]+)\s+(\w+)\s*=\s*\d+\s*;/g))
        fields.push({ name: f[2] as string, type: (f[1] as string).split('.').pop() as string, repeated: false, oneof: o[1] as string });
    protoMessages.set(m[1] as string, fields);
  }
  for (const m of text.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g))
    protoEnums.set(m[1] as string, new Set([...(m[2] as string).matchAll(/=\s*(\d+)\s*;/g)].map((x) => Number(x[1]))));
}
const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const semconv = json('otel/semconv-attributes.json') as { attributes: Record<string, { type: string; deprecated?: boolean }> };

function checkProto(message: string, v: unknown, path: string, problems: string[]): void {
  const fields = protoMessages.get(message);
  if (!fields) return;
  if (!isObj(v)) {
    problems.push(`${path}: expected a ${message}`);
    return;
  }
  const byJson = new Map(fields.map((f) => [camel(f.name), f]));
  const oneofsSet = new Map<string, number>();
  for (const [k, x] of Object.entries(v)) {
    const f = byJson.get(k);
    const p = `${path}.${k}`;
    if (!f) {
      problems.push(`${p}: not a field of ${message} (OTLP/JSON names are lowerCamelCase)`);
      continue;
    }
    if (f.oneof) oneofsSet.set(f.oneof, (oneofsSet.get(f.oneof) ?? 0) + 1);
    if (f.repeated && !Array.isArray(x)) problems.push(`${p}: expected an array`);
    const values = f.repeated ? (Array.isArray(x) ? x : []) : [x];
    for (const y of values) {
      if (['fixed64', 'uint64', 'int64', 'sfixed64'].includes(f.type)) {
        if (!(typeof y === 'string' && /^-?\d+$/.test(y))) problems.push(`${p}: a 64-bit integer as a decimal string`);
      } else if (['uint32', 'int32', 'fixed32'].includes(f.type)) {
        if (!Number.isInteger(y)) problems.push(`${p}: expected an integer`);
      } else if (f.type === 'string') {
        if (typeof y !== 'string') problems.push(`${p}: expected a string`);
      } else if (f.type === 'bool') {
        if (typeof y !== 'boolean') problems.push(`${p}: expected a boolean`);
      } else if (f.type === 'double') {
        if (typeof y !== 'number') problems.push(`${p}: expected a number`);
      } else if (f.type === 'bytes') {
        const hexLen = f.name === 'trace_id' ? 32 : f.name === 'span_id' ? 16 : undefined;
        if (hexLen !== undefined ? !(typeof y === 'string' && new RegExp(`^[0-9a-f]{${hexLen}}$`).test(y)) : typeof y !== 'string')
          problems.push(`${p}: OTLP/JSON carries ${f.name} as ${hexLen ?? 'base64'} hex characters`);
      } else if (protoEnums.has(f.type)) {
        if (!protoEnums.get(f.type)?.has(y as number)) problems.push(`${p}: not a ${f.type}`);
      } else checkProto(f.type, y, p, problems);
    }
  }
  for (const [o, n] of oneofsSet) if (n > 1) problems.push(`${path}: more than one member of oneof ${o}`);
  if (message === 'AnyValue' && oneofsSet.size === 0) problems.push(`${path}: an AnyValue with no value`);
}

function checkAttributes(list: unknown, path: string, problems: string[]): void {
  for (const [i, kv] of ((list as { key: string; value: Obj }[]) ?? []).entries()) {
    const p = `${path}[${i}] ${kv.key}`;
    if (kv.key.startsWith('auditready.')) continue; // this library's own namespace
    const def = semconv.attributes[kv.key];
    if (!def) {
      problems.push(`${p}: not in the semantic-conventions registry`);
      continue;
    }
    if (def.deprecated) problems.push(`${p}: deprecated in the registry`);
    const want =
      def.type === 'int'
        ? 'intValue'
        : def.type === 'boolean'
          ? 'boolValue'
          : def.type === 'double'
            ? 'doubleValue'
            : def.type.endsWith('[]')
              ? 'arrayValue'
              : 'stringValue';
    if (!(want in kv.value)) problems.push(`${p}: the registry types it ${def.type} (${want})`);
  }
}

/** Problems of an OTLP/JSON logs request (LogsData) against logs.proto and the semconv registry. */
export function validateOtelLogs(request: Obj): string[] {
  const problems: string[] = [];
  checkProto('LogsData', request, 'logs', problems);
  for (const rl of (request.resourceLogs as Obj[]) ?? []) {
    checkAttributes((rl.resource as Obj | undefined)?.attributes, 'resource.attributes', problems);
    for (const sl of (rl.scopeLogs as Obj[]) ?? [])
      for (const r of (sl.logRecords as Obj[]) ?? []) checkAttributes(r.attributes, 'logRecord.attributes', problems);
  }
  return problems;
}
