/**
 * The byte check of entry-scan.ts compiled into code for the entry schema's own objects: each
 * closed object becomes a function that tries its property names in canonical order, byte by byte
 * against constants, and checks each value as its schema says (plain strings and fixed-format
 * strings inline, numbers and anything open through entry-scan.ts). Walking the schema per value
 * cost about twice the code's time: the verifier's fast path reads every line this way.
 *
 * The code decides exactly as the walk does (the tests run both on every crafted line); where
 * code generation is not allowed (a CSP, --disallow-code-generation-from-strings), the walk runs.
 */
import { K_ANY, K_ARRAY, K_CONST, K_ENUM, K_INTEGER, K_NEVER, K_NUMBER, K_OBJECT, K_STRING, type SchemaNode } from './schema-bytes.js';

/** What the generated code calls back (entry-scan.ts). */
export interface ScanHelpers {
  PLAIN: Uint8Array;
  TOP: Float64Array;
  R: Float64Array;
  strAt(b: Uint8Array, p: number, e: number): number;
  numAt(b: Uint8Array, p: number, e: number): number;
  valueAt(b: Uint8Array, p: number, e: number, n: SchemaNode, depth: number): number;
}

/** Reads the line `b[start, end)` as the top-level object: the index after it, or -1 (TOP and R[3] as topAt leaves them). */
export type TopScanner = (b: Uint8Array, start: number, end: number) => number;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Deeper than this the walk answers no (entry-scan.ts's MAX_DEPTH). */
const MAX_DEPTH = 64;

const isPlainByte = (c: number) => c >= 0x20 && c <= 0x7f && c !== QUOTE && c !== BACKSLASH;

class Generator {
  readonly fns: string[] = [];
  /** Values the code refers to: nodes handed back to the walk, byte classes. */
  readonly consts: unknown[] = [];

  constant(v: unknown): string {
    this.consts.push(v);
    return `K[${this.consts.length - 1}]`;
  }

  /** `p` at the value: code that moves it past the value, or returns -1. */
  value(n: SchemaNode, depth: number): string {
    switch (n.k) {
      case K_OBJECT:
        if (n.names !== undefined)
          return `if (b[p] !== 0x7b) return -1; p = ${this.object(n, depth + 1, false)}(b, p, e); if (p < 0) return -1;`;
        return this.walk(n, depth);
      case K_STRING:
        if (n.stepsPlain) return this.steps(n);
        if (n.steps === undefined && n.re === undefined) return this.plainString(n);
        return this.walk(n, depth);
      case K_ENUM:
        return this.enumeration(n, depth);
      case K_NUMBER:
      case K_INTEGER:
        return `p = h.numAt(b, p, e); if (p < 0) return -1; { const x = R[0]; if (!(x >= ${n.minimum} && x <= ${n.maximum})${
          n.k === K_INTEGER ? ' || !Number.isInteger(x)' : ''
        }) return -1; }`;
      case K_CONST:
        return `p = h.numAt(b, p, e); if (p < 0 || R[0] !== ${n.value}) return -1;`;
      case K_NEVER:
        return 'return -1;';
      case K_ANY:
      case K_ARRAY:
        return this.walk(n, depth);
      default:
        return 'return -1;';
    }
  }

  walk(n: SchemaNode, depth: number): string {
    return `p = h.valueAt(b, p, e, ${this.constant(n)}, ${depth}); if (p < 0) return -1;`;
  }

  /** Length bounds of a string of `len` code points. */
  bounds(n: SchemaNode, len: string): string {
    const tests: string[] = [];
    if (n.minLength > 0) tests.push(`${len} < ${n.minLength}`);
    if (n.maxLength !== Number.POSITIVE_INFINITY) tests.push(`${len} > ${n.maxLength}`);
    return tests.length === 0 ? '' : `if (${tests.join(' || ')}) return -1;`;
  }

  /** A string with only length bounds: printable ASCII read here, anything else (escapes, UTF-8) by strAt. */
  plainString(n: SchemaNode): string {
    return `if (b[p] !== 0x22) return -1; { let q = p + 1; while (q < e && PLAIN[b[q]] === 1) q++; let len;
  if (q < e && b[q] === 0x22) { len = q - p - 1; p = q + 1; } else { p = h.strAt(b, p, e); if (p < 0) return -1; len = R[0]; }
  ${this.bounds(n, 'len')} }`;
  }

  /** A string matched by its pattern's steps (their bytes stand for themselves in JSON). */
  steps(n: SchemaNode): string {
    const out = ['if (b[p] !== 0x22) return -1; { let q = p + 1; const s = q;'];
    for (const st of n.steps ?? []) {
      const members: number[] = [];
      for (let c = 0; c < 256; c++) if (st.ok[c] === 1) members.push(c);
      if (st.min === st.max && st.min === 1 && members.length === 1) {
        out.push(`if (q >= e || b[q] !== ${members[0]}) return -1; q++;`);
        continue;
      }
      const ok = this.constant(st.ok);
      if (st.min === st.max) {
        out.push(`if (q + ${st.min} > e) return -1; for (const stop = q + ${st.min}; q < stop; q++) if (${ok}[b[q]] !== 1) return -1;`);
        continue;
      }
      const stop = st.max === Number.POSITIVE_INFINITY ? 'e' : `Math.min(e, q + ${st.max})`;
      out.push(`{ const stop = ${stop}; const from = q; while (q < stop && ${ok}[b[q]] === 1) q++; if (q - from < ${st.min}) return -1; }`);
    }
    out.push(`if (b[q] !== 0x22) return -1; ${this.bounds(n, '(q - s)')} p = q + 1; }`);
    return out.join('\n  ');
  }

  /** One of a few strings: compared byte by byte (printable ASCII values only, else the walk). */
  enumeration(n: SchemaNode, depth: number): string {
    const values = n.values ?? [];
    if (values.length === 0 || !values.every((v) => v.every(isPlainByte))) return this.walk(n, depth);
    const tests = values.map((v) => `(n === ${v.length}${[...v].map((c, i) => ` && b[s + ${i}] === ${c}`).join('')})`);
    return `if (b[p] !== 0x22) return -1; { const s = p + 1; let q = s; while (q < e && PLAIN[b[q]] === 1) q++;
  if (!(q < e && b[q] === 0x22)) return -1; const n = q - s; if (!(${tests.join(' || ')})) return -1; p = q + 1; }`;
  }

  /** A closed object (its own depth `depth`): the name of a function (b, p, e) => index after it, or -1. */
  object(n: SchemaNode, depth: number, top: boolean): string {
    const name = `o${this.fns.length}`;
    this.fns.push(''); // its place, before the functions it calls
    const at = this.fns.length - 1;
    const names = n.nameBytes ?? [];
    const kids = n.kids ?? [];
    const req = n.required;
    const lines: string[] = [`function ${name}(b, p, e) {`];
    if (depth > MAX_DEPTH) lines.push('return -1;');
    lines.push('let i = p + 1; let pr = 0;');
    lines.push(`if (b[i] === 0x7d) { ${req !== 0 ? 'return -1;' : `${top ? 'R[3] = 0; ' : ''}return i + 1;`} }`);
    lines.push('m: {');
    names.forEach((bytes, j) => {
      const key = [QUOTE, ...bytes, QUOTE, 0x3a].map((c, k) => `b[i + ${k}] === ${c}`).join(' && ');
      lines.push(`if (${key}) {`, `p = i + ${bytes.length + 3};`);
      if (top) lines.push(`TOP[${3 * j}] = i; TOP[${3 * j + 1}] = p;`);
      lines.push(this.value(kids[j] as SchemaNode, depth));
      if (top) lines.push(`TOP[${3 * j + 2}] = p;`);
      lines.push(`pr |= ${1 << j};`, 'if (b[p] === 0x7d) break m;', 'if (b[p] !== 0x2c) return -1;', 'i = p + 1;', '}');
    });
    lines.push('return -1;', '}'); // a key none of the names after the last one read, or a comma before the brace
    if (req !== 0) lines.push(`if ((pr & ${req}) !== ${req}) return -1;`);
    if (top) lines.push('R[3] = pr;');
    lines.push('return p + 1;', '}');
    this.fns[at] = lines.join('\n');
    return name;
  }
}

/** The top-level object's scanner, or undefined when code cannot be generated here. */
export function compileScanner(top: SchemaNode, h: ScanHelpers): TopScanner | undefined {
  const g = new Generator();
  const entry = g.object(top, 1, true);
  const body = `"use strict";
const PLAIN = h.PLAIN, TOP = h.TOP, R = h.R;
${g.fns.join('\n')}
return ${entry};`;
  try {
    return new Function('h', 'K', body)(h, g.consts) as TopScanner;
  } catch {
    return undefined; // code generation refused (a CSP, a flag): entry-scan.ts's walk reads every line
  }
}
