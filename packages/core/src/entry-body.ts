/**
 * From what the app passed to record() to the body that gets sealed: checked, redacted (a copy,
 * never the caller's objects), validated against the v1 schema. And, for input that cannot become
 * an entry, what the `rejected` record keeps of it.
 */
import { type AuditError, AuditHookError, AuditInputError, AuditSchemaError } from './errors.js';
import { fastBody } from './fast-body.js';
import type { EntryBody } from './hash-chain.js';
import { type CompiledRedaction, redactBody } from './redact.js';
import { checkBody } from './schema.js';
import type { Actor, AuditRecordInput, ServiceInfo } from './types.js';
import { errorMessage, isPlainObject, safeGet, safeIsPlainObject } from './util.js';
import { OUTCOMES } from './wrap.js';

/** Every field of AuditRecordInput, checked against the type at compile time: the allow-list follows it. */
const FIELDS = {
  kind: true,
  action: true,
  outcome: true,
  actor: true,
  resource: true,
  http: true,
  trace: true,
  reason: true,
  details: true,
} as const satisfies Record<keyof AuditRecordInput, true>;
const INPUT_FIELDS = new Set<string>(Object.keys(FIELDS));

export interface BodyContext {
  service: ServiceInfo;
  redaction: CompiledRedaction;
  defaultActor: Actor;
  /** The timestamp of an entry that was not given one (may seal a clock record first). */
  now(): string;
  report(error: AuditError): void;
}

/** A built body, and whether its objects are in canonical key order (HashChain.sealSorted applies). */
export interface BuiltBody {
  body: EntryBody;
  sorted: boolean;
}

function checkInput(input: AuditRecordInput): void {
  if (!isPlainObject(input)) throw new AuditInputError('record() takes an object with at least { action }');
  if (typeof input.action !== 'string' || input.action === '')
    throw new AuditInputError('record(): action must be a non-empty string', { path: 'action' });
  const kind = input.kind ?? 'event';
  if (kind !== 'event' && kind !== 'access')
    throw new AuditInputError(`record(): kind must be "event" or "access" (got ${String(kind)})`, { path: 'kind' });
  if (!OUTCOMES.includes(input.outcome ?? 'success'))
    throw new AuditInputError(`record(): outcome must be one of ${OUTCOMES.join(', ')}`, { path: 'outcome' });
}

/** Builds the body of an entry; throws an AuditError naming what is wrong with the input. */
export function buildBody(input: AuditRecordInput, ts: string | undefined, ctx: BodyContext): BuiltBody {
  return fastBody(input, ts, ctx) ?? generalBody(input, ts, ctx);
}

/** The general path: every input, every redaction configuration; the reference the compiled path (fast-body.ts) is checked against. */
export function generalBody(input: AuditRecordInput, ts: string | undefined, ctx: BodyContext): BuiltBody {
  checkInput(input);
  const raw: Record<string, unknown> = { actor: input.actor ?? ctx.defaultActor, action: input.action };
  if (input.resource !== undefined) raw.resource = input.resource;
  if (input.http !== undefined) raw.http = input.http;
  if (input.trace !== undefined) raw.trace = input.trace;
  if (input.reason !== undefined) raw.reason = input.reason;
  if (input.details !== undefined) raw.details = input.details;
  for (const k of Object.keys(input)) {
    if (!INPUT_FIELDS.has(k)) throw new AuditInputError(`record(): unknown field "${k}" (put free-form data in details)`, { path: k });
  }
  const red = redactBody(raw, ctx.redaction);
  for (const e of red.censorErrors) ctx.report(new AuditHookError(`redaction censor threw: ${errorMessage(e)}`, { cause: e }));
  const body = {
    kind: input.kind ?? 'event',
    ts: ts ?? ctx.now(),
    service: ctx.service,
    outcome: input.outcome ?? 'success',
    ...red.value,
  } as EntryBody;
  if (red.notes.length > 0) body.redacted = red.notes;
  const check = checkBody(body);
  if (!check.valid) {
    const summary = check.errors.map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`).join('; ');
    throw new AuditSchemaError(`entry does not match the v1 schema: ${summary}`, check.errors, check.errors[0]?.path);
  }
  return { body, sorted: red.sorted };
}

/** What a `rejected` entry keeps of bad input: enough to investigate, nothing unsafe. */
export function rejectedFields(input: unknown, err: AuditError, redaction: CompiledRedaction): Partial<EntryBody> {
  // Total on any input: getters that throw and Proxies only lose the field they guard.
  const safeStr = (v: unknown, max: number) =>
    typeof v === 'string' && v.length > 0 && v.length <= max && v.isWellFormed() ? v : undefined;
  const rec = safeIsPlainObject(input) ? input : {};
  const action = safeStr(safeGet(rec, 'action'), 256);
  const actor = safeGet(rec, 'actor');
  const actorId = safeIsPlainObject(actor) ? safeStr(safeGet(actor, 'id'), 256) : undefined;
  const fields: Partial<EntryBody> = {
    outcome: 'error',
    reason: `${err.code}: ${err.message}`.slice(0, 2000).replace(/[\uD800-\uDBFF]$/, ''),
    details: { error: { code: err.code, ...(err.path !== undefined ? { path: err.path.slice(0, 512) } : {}) } },
  };
  if (action !== undefined) fields.action = action;
  if (actorId !== undefined) fields.actor = { type: 'user', id: actorId };
  // The reason text may quote input; run it through the same redaction as everything else.
  try {
    const red = redactBody({ reason: fields.reason, details: fields.details }, redaction);
    fields.reason = red.value.reason as string;
    if (red.notes.length > 0) fields.redacted = red.notes;
  } catch {
    fields.reason = err.code;
  }
  return fields;
}
