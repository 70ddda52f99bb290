import fc from 'fast-check';
import stableStringify from 'fast-json-stable-stringify';
import { describe, expect, it } from 'vitest';
import { assertCanonicalizable, canonicalize, MAX_CANONICAL_DEPTH } from '../src/canonical.js';
import { AuditCanonicalError } from '../src/errors.js';
import { canonicalizeReference } from './reference.js';

function rejects(value: unknown, path: string, what: RegExp) {
  for (const fn of [canonicalize, canonicalizeReference, assertCanonicalizable]) {
    let err: unknown;
    try {
      fn(value);
    } catch (e) {
      err = e;
    }
    expect(err, `${fn.name} should throw`).toBeInstanceOf(AuditCanonicalError);
    expect((err as AuditCanonicalError).code).toBe('ERR_AUDIT_CANONICAL');
    expect((err as AuditCanonicalError).path).toBe(path);
    expect((err as Error).message).toMatch(what);
  }
}

describe('canonicalize', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalize({ b: 1, a: [true, null, 'x'], é: 2, Z: {} })).toBe('{"Z":{},"a":[true,null,"x"],"b":1,"é":2}');
  });

  it('formats numbers as ECMAScript does (JCS)', () => {
    expect(canonicalize([1e21, 1e-7, -0, 0.1 + 0.2, JSON.parse('333333333.33333329')])).toBe(
      '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333]',
    );
  });

  it('turns Dates into ISO strings and omits undefined properties', () => {
    expect(canonicalize({ at: new Date('2026-01-02T03:04:05.006Z'), gone: undefined })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
  });

  it.each([
    ['NaN', { a: { b: Number.NaN } }, 'a.b', /NaN/],
    ['Infinity', { n: [1, Number.POSITIVE_INFINITY] }, 'n[1]', /Infinity/],
    ['undefined in array', { xs: [1, undefined] }, 'xs[1]', /undefined/],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the bad input under test
    ['array hole', { xs: [1, , 3] }, 'xs[1]', /hole/],
    ['BigInt', { big: 10n }, 'big', /BigInt/],
    ['function', { f: () => 1 }, 'f', /function/],
    ['symbol', { s: Symbol('x') }, 's', /symbol/],
    ['lone high surrogate', { s: 'a\uD800b' }, 's', /lone/],
    ['lone low surrogate in a key (escaped in the path)', { 'k\uDC00': 1 }, '["k\\udc00"]', /lone/],
    ['class instance', { m: new Map() }, 'm', /Map/],
    ['boxed string', { s: new String('x') }, 's', /String/],
    ['Buffer', { b: Buffer.from('x') }, 'b', /Buffer/],
    ['invalid Date', { d: new Date('nope') }, 'd', /invalid Date/],
  ])('rejects %s, naming the path', (_name, value, path, what) => {
    rejects(value, path, what);
  });

  it('rejects cycles but accepts shared references', () => {
    const shared = { x: 1 };
    expect(canonicalize({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyc: Record<string, unknown> = { a: {} };
    (cyc.a as Record<string, unknown>).back = cyc;
    rejects(cyc, 'a.back', /cycle/);
  });

  it('rejects nesting deeper than the limit instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_CANONICAL_DEPTH + 5; i++) deep = [deep];
    expect(() => canonicalize(deep)).toThrow(AuditCanonicalError);
  });

  it('keeps __proto__ as plain data', () => {
    const v = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
    expect(canonicalize(v)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// JSON values fast-check can generate, restricted to what canonical form allows.
const jsonValue = fc.jsonValue({ maxDepth: 4 }).filter((v) => {
  try {
    assertCanonicalizable(v);
    return true;
  } catch {
    return false;
  }
});

describe('canonical form properties', () => {
  it('the single-pass serializer is byte-identical to fast-json-stable-stringify', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        expect(canonicalize(v)).toBe(stableStringify(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        fc.pre(Object.keys(obj).every((k) => k.isWellFormed()) && JSON.stringify(obj).isWellFormed());
        expect(canonicalize(reversed)).toBe(canonicalize(obj));
      }),
    );
  });

  it('is idempotent: parse(canonical) canonicalizes to the same text', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const once = canonicalize(v);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });
});
