/**
 * Redaction (docs/spec/entry-format.md §Redaction). Runs before validation and sealing, on a copy:
 * the caller's objects are never modified. Every removal, mask, keyed hash and truncation is listed
 * in the entry's `redacted` array, so an auditor sees that something was cut and where.
 *
 * The same walk enforces the canonical-form rules (it throws AuditCanonicalError naming the path of
 * a value that has no canonical form) and turns Dates into ISO strings, so sealing never fails
 * half-way. Keys such as `__proto__` are copied as plain data and never touch a prototype.
 */
import { canonicalize, formatPath, MAX_CANONICAL_DEPTH } from './canonical.js';
import { DETECTORS, type Detector, type DetectorName, isCredentialKey, scrubString } from './detectors.js';
import { AuditCanonicalError, AuditConfigError, AuditInputError } from './errors.js';
import { type AuditKey, hashCanonical, REDACTION_DOMAIN_TAG, type ResolvedKey, resolveKey } from './hash.js';
import type { RedactionHow, RedactionNote } from './types.js';

export type RedactionMode = 'remove' | 'mask' | 'hash';
/** A custom censor: returns the replacement value. If it throws, the value is masked instead. */
export type RedactionCensor = (value: unknown, path: string) => unknown;

export interface RedactionRule {
  /**
   * Path from the entry root, dot-separated, case-insensitive: `details.body.password`,
   * `http.headers.x-session`, `details.items[*].card` (`[*]` or `*`: any one key or index),
   * `details.**.ssn` (`**`: any depth, including none), `[3]`: index 3.
   */
  path: string;
  mode?: RedactionMode | RedactionCensor;
  /** Shown in `redacted[].rule`; defaults to `path:<path>`. */
  name?: string;
}

export interface RedactionOptions {
  /** Built-in credential keys and value detectors. Default true. */
  defaults?: boolean;
  /** Mode for built-in credential keys. Default 'remove'. */
  defaultMode?: RedactionMode;
  /** Extra rules, matched by path. */
  paths?: (string | RedactionRule)[];
  /** Extra key names redacted wherever they appear (case-insensitive), with `defaultMode`. */
  keys?: string[];
  /** Which value detectors run (default: all when `defaults`), or false for none. */
  detectors?: boolean | DetectorName[];
  /** Replacement inside strings for detected secrets: 'mask' (default) or 'hash'. */
  detectorMode?: 'mask' | 'hash';
  /** Key for mode 'hash': values become `hmac-sha256:<keyId>:<hex>`. Required if any rule hashes. */
  hashKey?: AuditKey;
  /** Longest string kept, in UTF-16 code units. Default 4096. */
  maxStringLength?: number;
  /** Most array items kept. Default 200. */
  maxArrayLength?: number;
  /** Deepest nesting kept below the entry root. Default 16. */
  maxDepth?: number;
  /** Budget in characters for each of details, http.headers/query/requestBody/responseBody. Default 16384. */
  maxFieldChars?: number;
}

export const MASK = '[REDACTED]';
const MAX_NOTES = 100;

type Segment = { t: 'key'; k: string } | { t: 'any' } | { t: 'deep' };

interface CompiledRule {
  segs: Segment[];
  mode: RedactionMode | RedactionCensor;
  name: string;
}

export interface CompiledRedaction {
  readonly rules: CompiledRule[];
  readonly defaults: boolean;
  readonly defaultMode: RedactionMode;
  readonly extraKeys: Set<string>;
  readonly detectors: readonly Detector[];
  readonly detectorMode: 'mask' | 'hash';
  readonly hashKey: ResolvedKey | undefined;
  readonly maxStringLength: number;
  readonly maxArrayLength: number;
  readonly maxDepth: number;
  readonly maxFieldChars: number;
}

function parsePath(path: string, where: string): Segment[] {
  if (typeof path !== 'string' || path.trim() === '')
    throw new AuditConfigError(`${where} must be a non-empty path string`, { path: where });
  const segs: Segment[] = [];
  // `a.b[*].c[2]` -> a, b, *, c, 2
  const parts = path.replace(/\[([^\]]*)\]/g, '.$1').split('.');
  for (const raw of parts) {
    if (raw === '') {
      if (segs.length === 0) continue; // leading "[0]" produced ".0"
      throw new AuditConfigError(`${where}: empty segment in "${path}"`, { path: where });
    }
    const p = raw.replace(/^["']|["']$/g, '');
    if (p === '**') segs.push({ t: 'deep' });
    else if (p === '*') segs.push({ t: 'any' });
    else segs.push({ t: 'key', k: p.toLowerCase() });
  }
  if (segs.length === 0) throw new AuditConfigError(`${where}: empty path`, { path: where });
  return segs;
}

function positiveInt(v: unknown, fallback: number, where: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new AuditConfigError(`${where} must be a positive integer`, { path: where });
  return v;
}

/** Validates options once (at logger creation); throws AuditConfigError. */
export function compileRedaction(options: RedactionOptions = {}, where = 'redact'): CompiledRedaction {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new AuditConfigError(`${where} must be an object`, { path: where });
  if (options.paths !== undefined && !Array.isArray(options.paths))
    throw new AuditConfigError(`${where}.paths must be an array`, { path: `${where}.paths` });
  if (options.keys !== undefined && (!Array.isArray(options.keys) || !options.keys.every((k) => typeof k === 'string'))) {
    throw new AuditConfigError(`${where}.keys must be an array of strings`, { path: `${where}.keys` });
  }
  const modes = ['remove', 'mask', 'hash'];
  const defaults = options.defaults !== false;
  const defaultMode = options.defaultMode ?? 'remove';
  if (!modes.includes(defaultMode))
    throw new AuditConfigError(`${where}.defaultMode must be remove, mask or hash`, { path: `${where}.defaultMode` });
  const rules: CompiledRule[] = (options.paths ?? []).map((r, i) => {
    const w = `${where}.paths[${i}]`;
    const rule = typeof r === 'string' ? { path: r } : r;
    if (rule === null || typeof rule !== 'object') throw new AuditConfigError(`${w} must be a path or { path, mode }`, { path: w });
    const mode = rule.mode ?? 'remove';
    if (typeof mode !== 'function' && !modes.includes(mode))
      throw new AuditConfigError(`${w}.mode must be remove, mask, hash or a function`, { path: `${w}.mode` });
    const name = rule.name ?? `path:${rule.path}`;
    if (typeof name !== 'string' || name.length > 128 || !name.isWellFormed())
      throw new AuditConfigError(`${w}.name must be a string of at most 128 characters`, { path: `${w}.name` });
    return { segs: parsePath(rule.path, `${w}.path`), mode, name };
  });
  let detectors: readonly Detector[] = [];
  if (options.detectors === true || (options.detectors === undefined && defaults)) detectors = DETECTORS;
  else if (Array.isArray(options.detectors)) {
    const names = new Set(DETECTORS.map((d) => d.name));
    for (const n of options.detectors)
      if (!names.has(n)) throw new AuditConfigError(`${where}.detectors: unknown detector "${String(n)}"`, { path: `${where}.detectors` });
    detectors = DETECTORS.filter((d) => (options.detectors as string[]).includes(d.name));
  } else if (options.detectors !== false && options.detectors !== undefined) {
    throw new AuditConfigError(`${where}.detectors must be a boolean or a list of detector names`, { path: `${where}.detectors` });
  }
  const detectorMode = options.detectorMode ?? 'mask';
  if (detectorMode !== 'mask' && detectorMode !== 'hash')
    throw new AuditConfigError(`${where}.detectorMode must be mask or hash`, { path: `${where}.detectorMode` });
  const hashKey = options.hashKey === undefined ? undefined : resolveKey(options.hashKey, `${where}.hashKey`);
  const needsKey = defaultMode === 'hash' || detectorMode === 'hash' || rules.some((r) => r.mode === 'hash');
  if (needsKey && !hashKey)
    throw new AuditConfigError(`${where}.hashKey is required when a rule uses mode 'hash'`, { path: `${where}.hashKey` });
  const extraKeys = new Set((options.keys ?? []).map((k) => String(k).toLowerCase()));
  return {
    rules,
    defaults,
    defaultMode,
    extraKeys,
    detectors,
    detectorMode,
    hashKey,
    maxStringLength: positiveInt(options.maxStringLength, 4096, `${where}.maxStringLength`),
    maxArrayLength: positiveInt(options.maxArrayLength, 200, `${where}.maxArrayLength`),
    maxDepth: Math.min(positiveInt(options.maxDepth, 16, `${where}.maxDepth`), MAX_CANONICAL_DEPTH - 4),
    maxFieldChars: positiveInt(options.maxFieldChars, 16384, `${where}.maxFieldChars`),
  };
}

/** `hmac-sha256:<keyId>:<hex>` of the value's canonical form: equal values give equal markers. */
export function keyedHashMarker(value: unknown, key: ResolvedKey): string {
  if (key === null || typeof key !== 'object' || !(key.bytes instanceof Uint8Array) || typeof key.id !== 'string')
    throw new AuditInputError('keyedHashMarker: key must be a resolved key { id, bytes }');
  return `hmac-sha256:${key.id}:${hashCanonical(canonicalize(value), key, REDACTION_DOMAIN_TAG)}`;
}

/** Cuts `s` to at most `max` code units without splitting a surrogate pair, and marks the cut. */
export function truncateString(s: string, max: number): string {
  if (typeof s !== 'string') throw new AuditInputError('truncateString: expected a string');
  if (typeof max !== 'number' || Number.isNaN(max)) throw new AuditInputError('truncateString: max must be a number');
  let end = Math.max(0, max);
  if (end > 0 && end < s.length) {
    const c = s.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  }
  return `${s.slice(0, end)}…[truncated ${s.length - end} of ${s.length} chars]`;
}

export interface RedactionResult<T> {
  value: T;
  notes: RedactionNote[];
}

/** Top-level fields whose subtree has a character budget (maxFieldChars). */
const BUDGETED = new Set(['details', 'http.headers', 'http.query', 'http.requestBody', 'http.responseBody']);

type State = [rule: number, seg: number];

/** A path built lazily: one small node per visited key, formatted only for notes and errors. */
interface PathRef {
  readonly up: PathRef | undefined;
  readonly key: string | number;
}

function fmt(ref: PathRef | undefined): string {
  if (ref === undefined) return '';
  return formatPath(fmt(ref.up), ref.key);
}

const INDEX_LIKE = /^(?:0|[1-9][0-9]{0,9})$/;

class Walker {
  readonly notes: RedactionNote[] = [];
  #noteOverflow = 0;
  readonly stack: object[] = [];
  budget = Number.POSITIVE_INFINITY;
  budgetPath: PathRef | undefined;
  budgetNoted = false;
  readonly errors: unknown[] = [];
  /**
   * True while every object copied so far has its keys inserted in sorted order and none is
   * array-index-like (V8 enumerates those first, whatever the insertion order). Then
   * JSON.stringify of the copy is already the canonical form.
   */
  sorted = true;

  constructor(readonly c: CompiledRedaction) {}

  note(path: PathRef | undefined, how: RedactionHow, rule: string): void {
    // Keys in sorted order (how, path, rule), like every object the walk produces.
    if (this.notes.length < MAX_NOTES) this.notes.push({ how, path: fmt(path), rule });
    else this.#noteOverflow++;
  }

  finishNotes(): void {
    if (this.#noteOverflow > 0)
      this.notes.push({ how: 'truncate', path: '(more)', rule: `maxNotes: ${this.#noteOverflow} more not listed` });
  }

  fail(message: string, path: PathRef | undefined): never {
    const p = fmt(path);
    throw new AuditCanonicalError(`${message} at ${p === '' ? '(root)' : p}`, p);
  }

  /**
   * Advances partial rule matches over one key (a small NFA: `**` may consume any number of keys,
   * including none). Returns the next states, and the first rule that ends at this key.
   */
  step(states: readonly State[], key: string): { next: State[]; hit: CompiledRule | undefined } {
    const next: State[] = [];
    let hit: CompiledRule | undefined;
    const lk = key.toLowerCase();
    const add = (r: number, p: number) => {
      const segs = (this.c.rules[r] as CompiledRule).segs;
      let q = p;
      while (q < segs.length && (segs[q] as Segment).t === 'deep') q++;
      if (q === segs.length) {
        hit ??= this.c.rules[r];
        return;
      }
      if (!next.some(([a, b]) => a === r && b === p)) next.push([r, p]);
    };
    for (const [r, i] of states) {
      const segs = (this.c.rules[r] as CompiledRule).segs;
      for (let p = i; p < segs.length; p++) {
        const s = segs[p] as Segment;
        if (s.t === 'deep') {
          add(r, p); // `**` consumes this key and stays
          continue; // ... or matches nothing: try the next segment on this key
        }
        if (s.t === 'any' || s.k === lk) add(r, p + 1);
        break;
      }
    }
    return { next, hit };
  }

  redactValue(value: unknown, path: PathRef, rule: CompiledRule | 'default' | 'key', inArray: boolean): unknown {
    let mode = rule === 'default' || rule === 'key' ? this.c.defaultMode : rule.mode;
    // An array slot cannot vanish without shifting its neighbours: mask it instead.
    if (mode === 'remove' && inArray) mode = 'mask';
    const name = rule === 'default' ? 'default:credential-key' : rule === 'key' ? 'option:keys' : rule.name;
    if (typeof mode === 'function') {
      try {
        const v = mode(value, fmt(path));
        const checked = this.copy(v, path, [], 0, true);
        this.note(path, 'mask', name);
        return checked;
      } catch (err) {
        this.errors.push(err);
        this.note(path, 'mask', `${name} (censor threw; masked)`);
        return MASK;
      }
    }
    if (mode === 'remove') {
      this.note(path, 'remove', name);
      return REMOVED;
    }
    if (mode === 'mask') {
      this.note(path, 'mask', name);
      return MASK;
    }
    this.note(path, 'hash', name);
    let marker: string;
    try {
      marker = keyedHashMarker(value, this.c.hashKey as ResolvedKey);
    } catch {
      marker = MASK; // an uncanonicalizable secret is still a secret: never keep it
    }
    return marker;
  }

  scrub(s: string, path: PathRef | undefined): string {
    let out = s;
    if (this.c.detectors.length > 0) {
      const key = this.c.hashKey;
      const hashing = this.c.detectorMode === 'hash' && key !== undefined;
      const r = scrubString(out, this.c.detectors, (secret, name) => (hashing ? keyedHashMarker(secret, key) : `[REDACTED:${name}]`));
      if (r) {
        out = r.value;
        for (const d of r.fired) this.note(path, hashing ? 'hash' : 'mask', `detector:${d}`);
      }
    }
    let limit = this.c.maxStringLength;
    if (this.budget < limit) limit = Math.max(0, this.budget);
    if (out.length > limit) {
      const cause = limit < this.c.maxStringLength ? 'maxFieldChars' : 'maxStringLength';
      out = truncateString(out, limit);
      this.note(path, 'truncate', cause);
    }
    if (this.budget !== Number.POSITIVE_INFINITY) this.budget -= Math.min(out.length, s.length);
    return out;
  }

  /** Copies `value`, applying rules. `states` are the partial rule matches for this node's path. */
  copy(value: unknown, path: PathRef | undefined, states: readonly State[], depth: number, afterCensor = false): unknown {
    switch (typeof value) {
      case 'string':
        if (!value.isWellFormed()) this.fail('string contains a lone UTF-16 surrogate', path);
        return afterCensor ? value : this.scrub(value, path);
      case 'number':
        if (!Number.isFinite(value)) this.fail(`number ${String(value)} is not allowed`, path);
        return value;
      case 'boolean':
        return value;
      case 'undefined':
        return this.fail('undefined is not allowed here', path);
      case 'bigint':
        return this.fail('BigInt is not allowed (convert it to a string)', path);
      case 'function':
        return this.fail('a function is not allowed', path);
      case 'symbol':
        return this.fail('a symbol is not allowed', path);
    }
    if (value === null) return null;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) this.fail('invalid Date', path);
      return value.toISOString();
    }
    const obj = value as object;
    if (this.stack.includes(obj)) this.fail('cycle', path);
    if (depth >= this.c.maxDepth) {
      this.note(path, 'truncate', 'maxDepth');
      return '…[truncated: nesting deeper than maxDepth]';
    }
    this.stack.push(obj);
    try {
      if (Array.isArray(obj)) {
        const out: unknown[] = [];
        const n = Math.min(obj.length, this.c.maxArrayLength);
        for (let i = 0; i < n; i++) {
          const p: PathRef = { up: path, key: i };
          if (!(i in obj)) this.fail('array hole is not allowed', p);
          out.push(this.child(obj[i], String(i), p, states, depth, true));
        }
        if (obj.length > n) {
          out.push(`…[truncated ${obj.length - n} of ${obj.length} items]`);
          this.note(path, 'truncate', 'maxArrayLength');
        }
        return out;
      }
      const proto = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) {
        const ctor = (obj as { constructor?: { name?: string } }).constructor?.name;
        this.fail(
          `${ctor ? `instance of ${ctor}` : 'object with a foreign prototype'} is not allowed (only plain objects, arrays and Date)`,
          path,
        );
      }
      return this.copyObject(obj as Record<string, unknown>, path, states, depth);
    } finally {
      this.stack.pop();
    }
  }

  copyObject(obj: Record<string, unknown>, path: PathRef | undefined, states: readonly State[], depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = Object.keys(obj).sort();
    for (const key of keys) {
      const v = obj[key];
      if (v === undefined) continue;
      const p: PathRef = { up: path, key };
      if (!key.isWellFormed()) this.fail('key contains a lone UTF-16 surrogate', p);
      if (this.budget <= 0) {
        if (!this.budgetNoted) {
          this.note(this.budgetPath, 'truncate', 'maxFieldChars');
          this.budgetNoted = true;
        }
        continue;
      }
      this.budget -= key.length;
      const child = this.child(v, key, p, states, depth, false);
      if (child === REMOVED) continue;
      const c0 = key.charCodeAt(0);
      if (c0 >= 48 && c0 <= 57 && INDEX_LIKE.test(key)) this.sorted = false;
      if (key === '__proto__') Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
      else out[key] = child;
    }
    return out;
  }

  child(v: unknown, key: string, path: PathRef, states: readonly State[], depth: number, inArray: boolean): unknown {
    let next: State[] = NO_STATES;
    if (states.length > 0) {
      const r = this.step(states, key);
      if (r.hit) return this.redactValue(v, path, r.hit, inArray);
      next = r.next;
    }
    if (!inArray) {
      if (this.c.defaults && isCredentialKey(key)) return this.redactValue(v, path, 'default', false);
      if (this.c.extraKeys.size > 0 && this.c.extraKeys.has(key.toLowerCase())) return this.redactValue(v, path, 'key', false);
    }
    return this.copy(v, path, next, depth + 1);
  }
}

const NO_STATES: State[] = [];
/** Returned by child()/redactValue() for a key that is removed. */
const REMOVED = Symbol('removed');

/**
 * Redacts the app-supplied part of an entry. `body` is a plain object whose top-level keys are
 * entry fields (actor, http, details ...). Returns a new object and the notes; never mutates.
 * Throws AuditCanonicalError for values without canonical form. Errors thrown by custom censors
 * are caught (the value is masked) and returned in `censorErrors`. `sorted` is true when every
 * nested object of the result has its keys in canonical order (see Walker.sorted).
 */
export function redactBody(
  body: Record<string, unknown>,
  c: CompiledRedaction,
): RedactionResult<Record<string, unknown>> & { censorErrors: unknown[]; sorted: boolean } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new AuditInputError('redactBody: body must be an object');
  if (c === null || typeof c !== 'object' || !Array.isArray(c.rules))
    throw new AuditInputError('redactBody: pass the result of compileRedaction()');
  const w = new Walker(c);
  const initial = c.rules.length === 0 ? NO_STATES : c.rules.map((_, i) => [i, 0] as State);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    const v = body[key];
    if (v === undefined) continue;
    const p: PathRef = { up: undefined, key };
    let states: State[] = initial;
    if (initial.length > 0) {
      const r = w.step(initial, key);
      if (r.hit) {
        const red = w.redactValue(v, p, r.hit, false);
        if (red !== REMOVED) out[key] = red;
        continue;
      }
      states = r.next;
    }
    if (key === 'http' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out[key] = copyHttp(w, v as Record<string, unknown>, p, states);
      continue;
    }
    if (BUDGETED.has(key)) startBudget(w, p);
    out[key] = w.copy(v, p, states, 0);
    w.budget = Number.POSITIVE_INFINITY;
  }
  w.finishNotes();
  return { value: out, notes: w.notes, censorErrors: w.errors, sorted: w.sorted };
}

function startBudget(w: Walker, path: PathRef): void {
  w.budget = w.c.maxFieldChars;
  w.budgetPath = path;
  w.budgetNoted = false;
}

function copyHttp(w: Walker, http: Record<string, unknown>, path: PathRef, states: State[]): unknown {
  const proto = Object.getPrototypeOf(http);
  if (proto !== Object.prototype && proto !== null) return w.copy(http, path, states, 0);
  if (w.stack.includes(http)) w.fail('cycle', path);
  w.stack.push(http);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(http).sort()) {
    const v = http[key];
    if (v === undefined) continue;
    const p: PathRef = { up: path, key };
    if (!key.isWellFormed()) w.fail('key contains a lone UTF-16 surrogate', p);
    if (key === 'headers' || key === 'query' || key === 'requestBody' || key === 'responseBody') startBudget(w, p);
    const child = w.child(v, key, p, states, 0, false);
    w.budget = Number.POSITIVE_INFINITY;
    if (child === REMOVED) continue;
    const c0 = key.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57 && INDEX_LIKE.test(key)) w.sorted = false;
    if (key === '__proto__') Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
    else out[key] = child;
  }
  w.stack.pop();
  return out;
}
