/**
 * Canonical form (docs/spec/canonical-form.md).
 *
 * Canonical bytes are the UTF-8 encoding of fast-json-stable-stringify's output. On the values
 * allowed here that output equals RFC 8785 (JCS): object keys sorted by UTF-16 code units,
 * ECMAScript number formatting, JSON.stringify string escaping, no whitespace. Values for which
 * JCS is undefined, or which fast-json-stable-stringify would rewrite silently, are rejected with
 * an AuditCanonicalError naming the path:
 *   NaN, +/-Infinity, BigInt, functions, symbols, undefined (or holes) inside arrays, cycles,
 *   strings or keys with lone UTF-16 surrogates, invalid Dates, and objects whose prototype is
 *   neither Object.prototype nor null (class instances, Map, Set, Buffer, boxed primitives ...),
 *   except Date, which becomes its ISO 8601 string (toJSON), as in fast-json-stable-stringify.
 * `undefined` as an object property value means "absent" and is omitted, as JSON does.
 *
 * `canonicalize` is a single pass that checks and emits. The tests hold it to the reference (the
 * same checks, then fast-json-stable-stringify itself, test/reference.ts): byte-identical.
 */
import { AuditCanonicalError } from './errors.js';

/** Nesting deeper than this is rejected rather than risking stack exhaustion. */
export const MAX_CANONICAL_DEPTH = 100;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a path the way errors and `redacted` lists show it: `details.items[2]["odd key"]`. */
export function formatPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENT.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? `instance of ${ctor.name}` : 'object with a foreign prototype';
}

function pathOf(segments: readonly (string | number)[]): string {
  let p = '';
  for (const s of segments) p = formatPath(p, s);
  return p;
}

function fail(message: string, segments: readonly (string | number)[]): never {
  const path = pathOf(segments);
  throw new AuditCanonicalError(`${message} at ${path === '' ? '(root)' : path}`, path);
}

function checkString(s: string, segments: readonly (string | number)[], what: string): void {
  if (!s.isWellFormed()) fail(`${what} contains a lone UTF-16 surrogate`, segments);
}

/** Throws AuditCanonicalError if `value` has no canonical form. Does not copy or modify. */
export function assertCanonicalizable(value: unknown): void {
  emit(value, [], [], false);
}

/**
 * Canonical JSON text of `value` (see the module comment). Throws AuditCanonicalError naming the
 * path of the first value that has no canonical form.
 */
export function canonicalize(value: unknown): string {
  return emit(value, [], [], true);
}

/**
 * One walk that checks and (when `write`) emits. `segments` is the path to `value`, formatted only
 * when an error is thrown; `stack` holds the objects being visited, for cycle detection (shared,
 * non-cyclic references are fine).
 */
function emit(value: unknown, segments: (string | number)[], stack: object[], write: boolean): string {
  switch (typeof value) {
    case 'string':
      checkString(value, segments, 'string');
      return write ? JSON.stringify(value) : '';
    case 'number':
      if (!Number.isFinite(value)) fail(`number ${String(value)} is not allowed`, segments);
      return write ? `${value}` : '';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return fail('undefined is not allowed here', segments);
    case 'bigint':
      return fail('BigInt is not allowed (convert it to a string)', segments);
    case 'function':
      return fail('a function is not allowed', segments);
    case 'symbol':
      return fail('a symbol is not allowed', segments);
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) fail('invalid Date', segments);
    return write ? JSON.stringify(obj.toISOString()) : '';
  }
  if (stack.length >= MAX_CANONICAL_DEPTH) fail(`nesting deeper than ${MAX_CANONICAL_DEPTH}`, segments);
  if (stack.includes(obj)) fail('cycle', segments);
  stack.push(obj);
  const out = Array.isArray(obj) ? emitArray(obj, segments, stack, write) : emitObject(obj, segments, stack, write);
  stack.pop();
  return write ? out : '';
}

function emitArray(arr: unknown[], segments: (string | number)[], stack: object[], write: boolean): string {
  let out = '[';
  for (let i = 0; i < arr.length; i++) {
    segments.push(i);
    if (!(i in arr)) fail('array hole is not allowed', segments);
    if (write && i > 0) out += ',';
    out += emit(arr[i], segments, stack, write);
    segments.pop();
  }
  return `${out}]`;
}

/** Members in UTF-16 code unit order of their keys (RFC 8785 §3.2.3); undefined members are left out. */
function emitObject(obj: object, segments: (string | number)[], stack: object[], write: boolean): string {
  if (!isPlainObject(obj)) fail(`${describe(obj)} is not allowed (only plain objects, arrays and Date)`, segments);
  const rec = obj as Record<string, unknown>;
  const keys = Object.keys(rec);
  if (write) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = rec[key];
    if (v === undefined) continue;
    segments.push(key);
    checkString(key, segments, 'key');
    const text = emit(v, segments, stack, write);
    segments.pop();
    if (!write) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${text}`;
  }
  return `${out}}`;
}

/** Canonical form as UTF-8 bytes. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}
