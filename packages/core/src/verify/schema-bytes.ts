/**
 * The entry schema (schema.ts), compiled for checking a line's bytes (entry-scan.ts): the same
 * schema object ajv compiles, read keyword by keyword. A keyword this compiler does not know is a
 * compile error (the verifier's tests compile it), so the schema cannot grow a rule the byte check
 * silently skips. Patterns become byte classes with counts where that is exact (every pattern of
 * the entry schema), else the pattern's RegExp, as ajv runs it (`u` flag).
 */
import { AuditSchemaError } from '../errors.js';
import { entrySchema } from '../schema-def.js';

export const K_ANY = 0;
export const K_NEVER = 1;
export const K_OBJECT = 2;
export const K_STRING = 3;
export const K_NUMBER = 4;
export const K_INTEGER = 5;
export const K_ARRAY = 6;
export const K_ENUM = 7;
export const K_CONST = 8;

/** One quantified byte class of a pattern: `ok[byte]` is 1 for bytes of the class. */
export interface PatternStep {
  ok: Uint8Array;
  min: number;
  max: number;
}

export interface SchemaNode {
  k: number;
  /** Objects with listed properties (closed): names sorted as the canonical form sorts keys, their bytes, their nodes. */
  names: string[] | undefined;
  nameBytes: Uint8Array[] | undefined;
  kids: SchemaNode[] | undefined;
  /** Key lookup: `first[byte]` is 1 + the first name starting with that byte (0: none), `next[i]` 1 + the next one after name i. */
  first: Int16Array | undefined;
  next: Int16Array | undefined;
  /** Bit i: names[i] is required. */
  required: number;
  /** Strings: code point bounds; pattern as steps (exact) or as a RegExp. */
  minLength: number;
  maxLength: number;
  steps: PatternStep[] | undefined;
  /** The steps accept only printable ASCII other than `"` and `\\`: matching them reads the string itself. */
  stepsPlain: boolean;
  re: RegExp | undefined;
  /** Enums (strings), as bytes. */
  values: Uint8Array[] | undefined;
  /** Numbers: bounds; const: the value. */
  minimum: number;
  maximum: number;
  value: number;
  /** Arrays. */
  items: SchemaNode | undefined;
  maxItems: number;
}

/** Every node with the same fields in the same order: the byte check reads them per value, and one object shape keeps those reads fast. */
function node(f: Partial<SchemaNode> & { k: number }): SchemaNode {
  return {
    k: f.k,
    names: f.names,
    nameBytes: f.nameBytes,
    kids: f.kids,
    first: f.first,
    next: f.next,
    required: f.required ?? 0,
    minLength: f.minLength ?? 0,
    maxLength: f.maxLength ?? Number.POSITIVE_INFINITY,
    steps: f.steps,
    stepsPlain: f.stepsPlain ?? false,
    re: f.re,
    values: f.values,
    minimum: f.minimum ?? Number.NEGATIVE_INFINITY,
    maximum: f.maximum ?? Number.POSITIVE_INFINITY,
    value: f.value ?? 0,
    items: f.items,
    maxItems: f.maxItems ?? Number.POSITIVE_INFINITY,
  };
}

/** A rule of the top-level allOf: when `kinds` (undefined: any), `absent` and `present` hold, `required` must be present and `forbidden` absent (bit masks). */
export interface TopRule {
  kinds: Uint8Array[] | undefined;
  absent: number;
  present: number;
  required: number;
  forbidden: number;
}

export interface CompiledEntrySchema {
  top: SchemaNode;
  rules: TopRule[];
}

const enc = new TextEncoder();
type Json = Record<string, unknown>;

function unsupported(what: string): never {
  throw new AuditSchemaError(`the verifier's byte check does not support ${what} in the entry schema`, []);
}

function only(s: Json, allowed: string[]): void {
  for (const k of Object.keys(s)) if (!allowed.includes(k)) unsupported(`the keyword "${k}"`);
}

/** Sorted as the canonical form sorts keys: by UTF-16 code units (Array#sort's default). */
function sortedNames(props: Json): string[] {
  const names = Object.keys(props).sort();
  for (const n of names) if (!/^[\x20-\x7e]*$/.test(n) || n.includes('"') || n.includes('\\')) unsupported(`the property name ${n}`);
  return names;
}

function mask(names: string[], list: unknown): number {
  let m = 0;
  for (const r of (list as string[] | undefined) ?? []) {
    const i = names.indexOf(r);
    if (i < 0 || i > 30) unsupported(`the name "${r}" in required`);
    m |= 1 << i;
  }
  return m;
}

function compileObject(s: Json): SchemaNode {
  only(s, ['type', 'properties', 'additionalProperties', 'required']);
  if (s.properties === undefined) {
    if (s.additionalProperties !== undefined || s.required !== undefined) unsupported('an open object with rules');
    return node({ k: K_OBJECT });
  }
  if (s.additionalProperties !== false) unsupported('properties without additionalProperties: false');
  const props = s.properties as Json;
  const names = sortedNames(props);
  if (names.length > 31) unsupported('more than 31 properties');
  const first = new Int16Array(256);
  const next = new Int16Array(names.length);
  for (let i = names.length - 1; i >= 0; i--) {
    const b = (names[i] as string).charCodeAt(0);
    next[i] = first[b] as number;
    first[b] = i + 1;
  }
  return node({
    k: K_OBJECT,
    names,
    first,
    next,
    nameBytes: names.map((n) => enc.encode(n)),
    kids: names.map((n) => compileNode(props[n])),
    required: mask(names, s.required),
  });
}

/** Compiles one subschema. */
export function compileNode(s: unknown): SchemaNode {
  if (s === false) return node({ k: K_NEVER });
  if (s === null || typeof s !== 'object') return unsupported(`the schema ${String(s)}`);
  const o = s as Json;
  if (Object.keys(o).length === 0) return node({ k: K_ANY });
  if (o.enum !== undefined) {
    only(o, ['enum']);
    const values = o.enum as unknown[];
    if (!values.every((v) => typeof v === 'string')) unsupported('an enum of non-strings');
    return node({ k: K_ENUM, values: (values as string[]).map((v) => enc.encode(v)) });
  }
  if (o.const !== undefined) {
    only(o, ['const']);
    if (typeof o.const !== 'number') unsupported('a non-number const');
    return node({ k: K_CONST, value: o.const });
  }
  switch (o.type) {
    case 'object':
      return compileObject(o);
    case 'string': {
      only(o, ['type', 'minLength', 'maxLength', 'pattern']);
      const pattern = typeof o.pattern === 'string' ? o.pattern : undefined;
      const steps = pattern === undefined ? undefined : patternSteps(pattern);
      return node({
        k: K_STRING,
        minLength: (o.minLength as number | undefined) ?? 0,
        maxLength: (o.maxLength as number | undefined) ?? Number.POSITIVE_INFINITY,
        steps,
        stepsPlain: steps?.every((st) => st.ok.every((v, b) => v === 0 || (b >= 0x20 && b <= 0x7e && b !== 0x22 && b !== 0x5c))) ?? false,
        re: pattern !== undefined && steps === undefined ? new RegExp(pattern, 'u') : undefined,
      });
    }
    case 'integer':
    case 'number':
      only(o, ['type', 'minimum', 'maximum']);
      return node({
        k: o.type === 'integer' ? K_INTEGER : K_NUMBER,
        minimum: (o.minimum as number | undefined) ?? Number.NEGATIVE_INFINITY,
        maximum: (o.maximum as number | undefined) ?? Number.POSITIVE_INFINITY,
      });
    case 'array':
      only(o, ['type', 'items', 'maxItems']);
      return node({
        k: K_ARRAY,
        items: compileNode(o.items ?? {}),
        maxItems: (o.maxItems as number | undefined) ?? Number.POSITIVE_INFINITY,
      });
    default:
      return unsupported(`the type ${String(o.type)}`);
  }
}

/** `[...]` at `p[i]` (after the bracket) as a byte table; returns the index after `]`, or -1. */
function charClass(p: string, i: number, ok: Uint8Array): number {
  if (p[i] === '^') return -1; // negated classes: not handled here (the RegExp runs instead)
  for (; i < p.length && p[i] !== ']'; i++) {
    let c = p[i] as string;
    if (c === '\\') {
      c = p[++i] ?? '';
      if (!/^[-\]\\.^$[/]$/.test(c)) return -1; // \d, \w and the like: the RegExp
    }
    if (p[i + 1] === '-' && p[i + 2] !== undefined && p[i + 2] !== ']') {
      const to = p[i + 2] as string;
      if (to === '\\') return -1;
      for (let b = c.charCodeAt(0); b <= to.charCodeAt(0); b++) ok[b] = 1;
      i += 2;
    } else ok[c.charCodeAt(0)] = 1;
  }
  return i < p.length ? i + 1 : -1;
}

/** A quantifier at `p[i]`: [min, max, next index]. */
function quantifier(p: string, i: number): [number, number, number] | undefined {
  const c = p[i];
  if (c === '+') return [1, Infinity, i + 1];
  if (c === '*') return [0, Infinity, i + 1];
  if (c === '?') return [0, 1, i + 1];
  if (c !== '{') return [1, 1, i];
  const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
  return [min, max, i + m[0].length];
}

/**
 * An anchored pattern of ASCII classes and literals with counts (`^[0-9a-f]{64}$`,
 * `^[A-Za-z0-9+/]+=*$`) as steps matched greedily, or undefined when greedy matching would not be
 * exact (a variable step whose class meets what may follow it) or the pattern has anything else.
 */
export function patternSteps(p: string): PatternStep[] | undefined {
  if (!p.startsWith('^') || !p.endsWith('$') || p.endsWith('\\$') || /[^\x20-\x7e]/.test(p)) return undefined;
  const steps: PatternStep[] = [];
  for (let i = 1; i < p.length - 1; ) {
    const ok = new Uint8Array(256);
    const c = p[i] as string;
    if (c === '[') i = charClass(p, i + 1, ok);
    else if (c === '\\' && /^[-.\\/^$]$/.test(p[i + 1] ?? '')) {
      ok[(p[i + 1] as string).charCodeAt(0)] = 1;
      i += 2;
    } else if (/^[A-Za-z0-9:_ =,'"#%&!~@<>;`/-]$/.test(c)) {
      ok[c.charCodeAt(0)] = 1;
      i++;
    } else return undefined;
    if (i < 0) return undefined;
    const q = quantifier(p, i);
    if (q === undefined) return undefined;
    steps.push({ ok, min: q[0], max: q[1] });
    i = q[2];
  }
  // Greedy is exact when no variable step's class meets a class that may follow it.
  for (let s = 0; s < steps.length; s++) {
    const st = steps[s] as PatternStep;
    if (st.min === st.max) continue;
    for (let t = s + 1; t < steps.length; t++) {
      const next = steps[t] as PatternStep;
      for (let b = 0; b < 256; b++) if (st.ok[b] && next.ok[b]) return undefined;
      if (next.min > 0) break;
    }
  }
  return steps;
}

/** The top-level allOf: if/then rules over the kind and which members are present. */
function compileRules(allOf: unknown[], names: string[]): TopRule[] {
  return allOf.map((r) => {
    const { if: cond, then, ...rest } = r as { if: Json; then: Json };
    if (Object.keys(rest).length > 0) unsupported('an allOf item other than if/then');
    only(cond, ['properties', 'required']);
    only(then, ['properties', 'required']);
    const rule: TopRule = {
      kinds: undefined,
      absent: 0,
      present: mask(names, cond.required),
      required: mask(names, then.required),
      forbidden: 0,
    };
    for (const [name, sub] of Object.entries((cond.properties as Json | undefined) ?? {})) {
      if (sub === false) rule.absent |= mask(names, [name]);
      else if (name === 'kind') {
        const s = sub as Json;
        only(s, ['enum', 'const']);
        rule.kinds = ((s.enum as string[] | undefined) ?? [s.const as string]).map((k) => enc.encode(k));
      } else unsupported(`the condition on "${name}"`);
    }
    for (const [name, sub] of Object.entries((then.properties as Json | undefined) ?? {})) {
      if (sub !== false) unsupported(`the consequence on "${name}"`);
      rule.forbidden |= mask(names, [name]);
    }
    return rule;
  });
}

let compiled: CompiledEntrySchema | undefined;

/** The entry schema, compiled once per process. */
export function compiledEntrySchema(): CompiledEntrySchema {
  if (compiled) return compiled;
  const { $id: _id, title: _title, allOf, ...rest } = entrySchema as unknown as Json;
  const top = compileObject(rest);
  compiled = { top, rules: compileRules((allOf as unknown[] | undefined) ?? [], top.names as string[]) };
  return compiled;
}
