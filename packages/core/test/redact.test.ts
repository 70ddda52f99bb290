import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../src/detectors.js';
import { AuditCanonicalError, AuditConfigError } from '../src/errors.js';
import { compileRedaction, MASK, type RedactionOptions, redactBody, truncateString } from '../src/redact.js';

const red = (body: Record<string, unknown>, options: RedactionOptions = {}) => redactBody(body, compileRedaction(options));
const HASH_KEY = { id: 'r1', secret: `hex:${'11'.repeat(16)}` };

describe('default redaction (no configuration)', () => {
  it.each(['Authorization', 'authorization', 'Cookie', 'Set-Cookie', 'Proxy-Authorization', 'X-Api-Key', 'x-api-key'])(
    'removes the %s header',
    (h) => {
      const r = red({ http: { method: 'GET', headers: { [h]: 'secret-value', accept: '*/*' } } });
      expect(r.value).toEqual({ http: { method: 'GET', headers: { accept: '*/*' } } });
      expect(r.notes).toEqual([{ path: expect.stringContaining(h), how: 'remove', rule: 'default:credential-key' }]);
    },
  );

  it.each([
    'password',
    'newPassword',
    'passwd',
    'access_token',
    'refreshToken',
    'id_token',
    'client_secret',
    'secretKey',
    'api_key',
    'apiKey',
    'private_key',
    'credentials',
    'passphrase',
  ])('removes a %s body/query key at any depth', (k) => {
    const r = red({ details: { body: { user: 'ann', nested: { [k]: 'xyz' } } }, http: { method: 'POST', query: { [k]: 'q' } } });
    expect(r.value).toEqual({ details: { body: { user: 'ann', nested: {} } }, http: { method: 'POST', query: {} } });
    expect(r.notes.map((n) => n.how)).toEqual(['remove', 'remove']);
  });

  it('keeps ordinary keys that merely contain credential-ish words', () => {
    const body = { details: { author: 'ann', tokenCount: 3, passage: 'p', secretary: 'bob' } };
    expect(red(body).value).toEqual(body);
  });

  it.each([
    ['bearer', 'calling with Bearer abcdefghijklmnopqrstuvwxyz012345', 'calling with Bearer [REDACTED:bearer]'],
    [
      'jwt',
      'tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
      'tok [REDACTED:jwt] end',
    ],
    ['card (Luhn)', 'paid with 4111-1111-1111-1111 today', 'paid with [REDACTED:card] today'],
    ['aws key', 'key AKIAIOSFODNN7EXAMPLE', 'key [REDACTED:aws-key]'],
    ['github token', `t ghp_${'a'.repeat(36)}`, 't [REDACTED:github-token]'],
    ['query secret', '/cb?code=1&access_token=abc&state=2', '/cb?code=1&access_token=[REDACTED:query-secret]&state=2'],
    ['url credentials', 'postgres://app:s3cret@db:5432/x', 'postgres://app:[REDACTED:url-credentials]@db:5432/x'],
    ['the shortest query secret', '?pwd=x', '?pwd=[REDACTED:query-secret]'],
  ])('detects %s inside strings', (_n, input, output) => {
    const r = red({ details: { msg: input } });
    expect(r.value).toEqual({ details: { msg: output } });
    expect(r.notes[0]).toMatchObject({ path: 'details.msg', how: 'mask' });
  });

  it('leaves numbers that fail the Luhn check, hex hashes and uuids alone', () => {
    const body = {
      details: {
        order: '4111 1111 1111 1112',
        hash: 'a1234567890123456789b1234567890123456789c12345678901234567890123',
        id: '123e4567-e89b-12d3-a456-426614174000',
      },
    };
    expect(red(body).value).toEqual(body);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});

describe('configured rules', () => {
  it('wildcards, array indexes and the recursive form', () => {
    const body = {
      details: { items: [{ card: '1', n: 1 }, { card: '2' }], a: { b: { c: { ssn: 'x' } } }, ssn: 'y', list: ['keep', 'drop'] },
    };
    const r = red(body, { defaults: false, paths: ['details.items[*].card', 'details.**.ssn', 'details.list[1]'] });
    expect(r.value).toEqual({ details: { items: [{ n: 1 }, {}], a: { b: { c: {} } }, list: ['keep', MASK] } });
    // Notes follow canonical key order.
    expect(r.notes.map((n) => n.path)).toEqual([
      'details.a.b.c.ssn',
      'details.items[0].card',
      'details.items[1].card',
      'details.list[1]',
      'details.ssn',
    ]);
    expect(r.notes.find((n) => n.path === 'details.list[1]')?.how).toBe('mask'); // array slots are masked, not removed
  });

  it('`*` matches one level only; paths are case-insensitive', () => {
    const r = red({ details: { A: { Secret: 1 }, b: { c: { secret: 2 } } } }, { defaults: false, paths: ['details.*.SECRET'] });
    expect(r.value).toEqual({ details: { A: {}, b: { c: { secret: 2 } } } });
  });

  it('mask and keyed-hash modes; equal values give equal markers', () => {
    const r = red(
      { details: { email: 'a@x.io', other: 'a@x.io', name: 'Ann' } },
      {
        defaults: false,
        hashKey: HASH_KEY,
        paths: [
          { path: 'details.email', mode: 'hash' },
          { path: 'details.other', mode: 'hash' },
          { path: 'details.name', mode: 'mask' },
        ],
      },
    );
    const d = r.value.details as Record<string, string>;
    expect(d.email).toMatch(/^hmac-sha256:r1:[0-9a-f]{64}$/);
    expect(d.other).toBe(d.email);
    expect(d.name).toBe(MASK);
    expect(r.notes.map((n) => [n.path, n.how])).toEqual([
      ['details.email', 'hash'],
      ['details.name', 'mask'],
      ['details.other', 'hash'],
    ]);
  });

  it('detectors can hash instead of mask', () => {
    const r = red({ details: { m: 'Bearer abcdefghijklmnop' } }, { detectorMode: 'hash', hashKey: HASH_KEY });
    expect((r.value.details as { m: string }).m).toMatch(/^Bearer hmac-sha256:r1:[0-9a-f]{64}$/);
  });

  it('a custom censor that throws masks the value and reports the error', () => {
    const r = red(
      { details: { x: 'v' } },
      {
        paths: [
          {
            path: 'details.x',
            mode: () => {
              throw new Error('boom');
            },
          },
        ],
      },
    );
    expect(r.value).toEqual({ details: { x: MASK } });
    expect(r.censorErrors).toHaveLength(1);
    expect(r.notes[0]?.rule).toMatch(/censor threw/);
  });

  it.each<[RedactionOptions, RegExp]>([
    [{ paths: [''] }, /non-empty path/],
    [{ paths: ['a..b'] }, /empty segment/],
    [{ paths: [{ path: 'a', mode: 'shred' as never }] }, /mode must be/],
    [{ paths: [{ path: 'a', mode: 'hash' }] }, /hashKey is required/],
    [{ detectors: ['nope' as never] }, /unknown detector/],
    [{ maxStringLength: 0 }, /positive integer/],
    [{ defaultMode: 'x' as never }, /defaultMode/],
  ])('rejects bad options %j', (opts, msg) => {
    expect(() => compileRedaction(opts)).toThrow(AuditConfigError);
    expect(() => compileRedaction(opts)).toThrow(msg);
  });
});

describe('size caps', () => {
  it('truncates long strings with a marker and never splits a surrogate pair', () => {
    expect(truncateString('abc def', 5)).toBe('abc …[truncated 3 of 7 chars]');
    // A cut through a token drops the token's first half too (half a secret is still a leak).
    expect(truncateString('abcdef', 3)).toBe('…[truncated 6 of 6 chars]');
    const token = `ghp_${'A1b2'.repeat(9)}`;
    expect(truncateString(`see ${token} here`, 20)).toBe(`see …[truncated ${token.length + 5} of ${token.length + 9} chars]`);
    const s = `${'a'.repeat(4)}😀😀`;
    const t = truncateString(s, 5); // index 5 is inside the first emoji
    expect(t.startsWith('aaaa…')).toBe(true);
    expect(t.isWellFormed()).toBe(true);
  });

  it('caps a field at maxFieldChars and lists the cut', () => {
    const big = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'x'.repeat(50)]));
    const r = red({ details: big }, { maxFieldChars: 1000 });
    expect(JSON.stringify(r.value.details).length).toBeLessThan(1500);
    expect(r.notes.some((n) => n.rule === 'maxFieldChars')).toBe(true);
  });

  it('handles a 10 MB string quickly and safely', () => {
    const r = red({ details: { blob: 'x'.repeat(10 * 1024 * 1024) } });
    expect((r.value.details as { blob: string }).blob.length).toBeLessThan(5000);
    expect(r.notes[0]).toMatchObject({ path: 'details.blob', how: 'truncate' });
  });
});

describe('safety', () => {
  it('rejects values without a canonical form, naming the path', () => {
    expect(() => red({ details: { a: [1, 2n] } })).toThrow(AuditCanonicalError);
    expect(() => red({ details: { a: [1, 2n] } })).toThrow(/details\.a\[1\]/);
  });

  it('copies __proto__ and constructor.prototype keys as data and pollutes nothing', () => {
    const input = JSON.parse('{"details":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}}');
    const r = red(input, { paths: ['details.constructor.prototype.x'] });
    expect(Object.getPrototypeOf(r.value.details)).toBe(Object.prototype);
    expect(Object.keys(r.value.details as object)).toContain('__proto__');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect((r.value.details as { constructor: unknown }).constructor).toEqual({ prototype: {} });
  });
});

// ---- properties ---------------------------------------------------------------------------------

const key = fc.constantFrom('a', 'b', 'card', 'ssn', 'email', 'items', 'x');
const tree: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(key, tie('node'), { maxKeys: 4 }),
  ),
})).node;

function pathsOf(v: unknown, prefix: string[] = []): string[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, String(i)], ...pathsOf(x, [...prefix, String(i)])]);
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...pathsOf(x, [...prefix, k])]);
  return [];
}

describe('redaction properties', () => {
  it('never leaves a listed path, never mutates the input', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, tree, { maxKeys: 5 }),
        fc.constantFrom('details.**.card', 'details.*.ssn', 'details.items[*].email', 'details.a'),
        (details, rule) => {
          const input = { details };
          const before = structuredClone(input);
          const r = red(input, { defaults: false, detectors: false, paths: [rule] });
          expect(input).toEqual(before);
          const segs = rule.replace(/\[\*\]/g, '.*').split('.');
          const matchesRule = (p: string[]): boolean => {
            const go = (i: number, j: number): boolean => {
              if (i === segs.length) return j === p.length;
              if (segs[i] === '**') return go(i + 1, j) || (j < p.length && go(i, j + 1));
              if (j >= p.length) return false;
              return (segs[i] === '*' || segs[i] === p[j]) && go(i + 1, j + 1);
            };
            return go(0, 0);
          };
          for (const p of pathsOf(r.value)) {
            if (matchesRule(p)) {
              // Only allowed as a masked array slot.
              const v = p.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], r.value);
              expect(v).toBe(MASK);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
