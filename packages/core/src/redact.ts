/**
 * Redaction (docs/spec/entry-format.md §Redaction). Runs before validation and sealing, on a copy:
 * the caller's objects are never modified. Every removal, mask, keyed hash and truncation is listed
 * in the entry's `redacted` array, so an auditor sees that something was cut and where.
 *
 * The same walk enforces the canonical-form rules (it throws AuditCanonicalError naming the path of
 * a value that has no canonical form) and turns Dates into ISO strings, so sealing never fails
 * half-way. Keys such as `__proto__` are copied as plain data and never touch a prototype.
 */
import { formatPath } from './canonical.js';
import { isCredentialKey } from './credential-keys.js';
import { isCardNumber, scrubString } from './detectors.js';
import { AuditCanonicalError, AuditInputError } from './errors.js';
import type { ResolvedKey } from './hash.js';
import {
  type CompiledRedaction,
  type CompiledRule,
  keyedHashMarker,
  MASK,
  MAX_NOTES,
  type Segment,
  truncateString,
} from './redact-options.js';
import type { RedactionHow, RedactionNote } from './types.js';

export type { CompiledRedaction, RedactionCensor, RedactionMode, RedactionOptions, RedactionRule } from './redact-options.js';
export { compileRedaction, keyedHashMarker, MASK, truncateString } from './redact-options.js';

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
  /** The string being copied has a fixed random format (a trace or span id): no detector runs on it. */
  fixedFormat = false;

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

  /** What a detected secret becomes: a keyed hash marker, or `[REDACTED:<detector>]`. */
  readonly replaceSecret = (secret: string, name: string): string =>
    this.c.detectorMode === 'hash' && this.c.hashKey !== undefined ? keyedHashMarker(secret, this.c.hashKey) : `[REDACTED:${name}]`;

  scrub(s: string, path: PathRef | undefined): string {
    let out = s;
    if (this.c.detectors.length > 0 && s.length >= 6 && !this.fixedFormat) {
      const hashing = this.c.detectorMode === 'hash' && this.c.hashKey !== undefined;
      const r = scrubString(out, this.c.detectors, this.replaceSecret);
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

  #cards: boolean | undefined;
  /** The card detector is on. */
  cards(): boolean {
    this.#cards ??= this.c.detectors.some((d) => d.name === 'card');
    return this.#cards;
  }

  /** A number; a card number sent as a JSON number (13-19 digits) is the only secret a number can be. */
  number(value: number, path: PathRef | undefined): number | string {
    if (!Number.isFinite(value)) this.fail(`number ${String(value)} is not allowed`, path);
    if (value >= 1e12 && Number.isInteger(value) && this.cards() && isCardNumber(String(value))) {
      this.note(path, 'mask', 'detector:card');
      return '[REDACTED:card]';
    }
    return value;
  }

  /** A key that is itself a secret (a token used as a query parameter name) is replaced like a value. */
  scrubKey(key: string, path: PathRef | undefined): string {
    if (key.length < 12 || this.c.detectors.length === 0) return key;
    const r = scrubString(key, this.c.detectors, (_secret, name) => `[REDACTED:${name}]`);
    if (r === undefined) return key;
    for (const d of r.fired) this.note(path, 'mask', `detector:${d} (in a key)`);
    this.sorted = false;
    return r.value;
  }

  /** Copies `value`, applying rules. `states` are the partial rule matches for this node's path. */
  copy(value: unknown, path: PathRef | undefined, states: readonly State[], depth: number, afterCensor = false): unknown {
    switch (typeof value) {
      case 'string':
        if (!value.isWellFormed()) this.fail('string contains a lone UTF-16 surrogate', path);
        return afterCensor ? value : this.scrub(value, path);
      case 'number':
        return this.number(value, path);
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
    for (const key0 of keys) {
      const v = obj[key0];
      if (v === undefined) continue;
      if (!key0.isWellFormed()) this.fail('key contains a lone UTF-16 surrogate', { up: path, key: key0 });
      const key = this.scrubKey(key0, path);
      const p: PathRef = { up: path, key };
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
      // true / false / null under a credential name (`mfa: true`) hold no secret: kept.
      if (this.c.defaults && typeof v !== 'boolean' && v !== null && isCredentialKey(key))
        return this.redactValue(v, path, 'default', false);
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
    if ((key === 'http' || key === 'trace') && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out[key] = copyMembers(w, v as Record<string, unknown>, p, states, key === 'http' ? httpMember : traceMember);
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

/**
 * W3C trace-context ids in their own format (traceId 32, spanId 16, flags 2 lowercase hex digits)
 * are random by definition: detectors do not run on them. Before, a span id of 16 digits that
 * passed the card checks (about one in 60,000) was masked, the entry then failed the schema's
 * pattern, and the access entry became a `rejected` record. Rules by path still apply.
 */
export const TRACE_FORMATS: Readonly<Record<string, RegExp>> = {
  traceId: /^[0-9a-f]{32}$/,
  spanId: /^[0-9a-f]{16}$/,
  flags: /^[0-9a-f]{2}$/,
};

/** Before each member of `http`: headers, query and bodies have a character budget. */
function httpMember(w: Walker, key: string, _v: unknown, p: PathRef): void {
  if (key === 'headers' || key === 'query' || key === 'requestBody' || key === 'responseBody') startBudget(w, p);
}

/** Before each member of `trace`: an id in its fixed format is not scanned. */
function traceMember(w: Walker, key: string, v: unknown): void {
  const format = Object.hasOwn(TRACE_FORMATS, key) ? TRACE_FORMATS[key] : undefined;
  w.fixedFormat = typeof v === 'string' && format !== undefined && format.test(v);
}

/** A top-level object of schema fields (http, trace): its members' keys are the schema's, each prepared by `before`. */
function copyMembers(
  w: Walker,
  obj: Record<string, unknown>,
  path: PathRef,
  states: State[],
  before: (w: Walker, key: string, v: unknown, p: PathRef) => void,
): unknown {
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) return w.copy(obj, path, states, 0);
  if (w.stack.includes(obj)) w.fail('cycle', path);
  w.stack.push(obj);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    const p: PathRef = { up: path, key };
    if (!key.isWellFormed()) w.fail('key contains a lone UTF-16 surrogate', p);
    before(w, key, v, p);
    const child = w.child(v, key, p, states, 0, false);
    w.budget = Number.POSITIVE_INFINITY;
    w.fixedFormat = false;
    if (child === REMOVED) continue;
    const c0 = key.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57 && INDEX_LIKE.test(key)) w.sorted = false;
    if (key === '__proto__') Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
    else out[key] = child;
  }
  w.stack.pop();
  return out;
}
