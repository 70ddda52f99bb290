/**
 * The detector rules against their examples (test/fixtures/redaction/rules.json, data): every
 * positive example is caught by its rule and no longer readable; no negative example and no
 * ordinary value (ids, hashes, UUIDs, timestamps, idempotency keys, order numbers ...) trips any
 * rule; credential key names are told from look-alikes by their tokens.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCredentialKey } from '../src/credential-keys.js';
import { cannotHoldSecret, DETECTORS, type DetectorName, scrubString } from '../src/detectors.js';
import { compileRedaction, redactBody } from '../src/redact.js';

const data = JSON.parse(readFileSync(new URL('./fixtures/redaction/rules.json', import.meta.url), 'utf8')) as {
  rules: Record<string, { positive: string[]; negative: string[] }>;
  keys: { credential: string[]; safe: string[] };
  benign: string[];
};

const scrub = (s: string) => scrubString(s, DETECTORS, (_secret, name) => `[REDACTED:${name}]`);
/** Rules whose match keeps a readable prefix (the scheme, `Bearer `, the key name ...): the whole example may not vanish. */
const KEEPS_CONTEXT = new Set(['bearer', 'basic-auth', 'url-credentials', 'query-secret', 'key-value', 'slack-webhook', 'discord-webhook']);

describe('detector rules, from their examples', () => {
  it('every rule has positive and negative examples, and every detector has a rule entry', () => {
    for (const d of DETECTORS) {
      const r = data.rules[d.name];
      expect(r, d.name).toBeDefined();
      expect(r?.positive.length, d.name).toBeGreaterThan(0);
      expect(r?.negative.length, d.name).toBeGreaterThan(0);
    }
  });

  for (const [name, { positive, negative }] of Object.entries(data.rules)) {
    it(`${name}: catches its positives, leaves its negatives alone`, () => {
      for (const p of positive) {
        const r = scrub(p);
        expect(r?.fired, `${name} missed ${JSON.stringify(p)}`).toContain(name as DetectorName);
        expect(r?.value).not.toBe(p);
        if (!KEEPS_CONTEXT.has(name)) expect(r?.value.includes(p.trim())).toBe(false);
      }
      for (const n of negative) expect(scrub(n)?.fired, `${JSON.stringify(n)} should not be flagged`).toBeUndefined();
    });
  }

  it(`${data.benign.length} ordinary values trip no rule, as strings or under ordinary keys`, () => {
    expect(data.benign.length).toBeGreaterThanOrEqual(100);
    for (const v of data.benign) expect(scrub(v)?.fired, `false positive on ${JSON.stringify(v)}`).toBeUndefined();
    const details = Object.fromEntries(data.benign.map((v, i) => [`field${i}`, v]));
    const r = redactBody({ details }, compileRedaction({}));
    expect(r.notes).toEqual([]);
    expect(r.value.details).toEqual(details);
  });

  it('credential key names, by their tokens; look-alikes and metadata names are kept', () => {
    for (const k of data.keys.credential) expect(isCredentialKey(k), `${k} holds a credential`).toBe(true);
    for (const k of data.keys.safe) expect(isCredentialKey(k), `${k} is not a credential`).toBe(false);
  });
});

describe('cannotHoldSecret: the values record() may leave unscanned', () => {
  /** Every detector tried on its own, its pattern without the pre-filter (the scans behind their own hints, as the pipeline runs them). */
  function anyFires(s: string): string | undefined {
    for (const d of DETECTORS) {
      if (d.scan) {
        if (!d.hint(s)) continue;
        const fired = new Set<DetectorName>();
        if (d.scan(s, (x) => `<${x}>`, fired) !== undefined || fired.size > 0) return d.name;
        continue;
      }
      const re = new RegExp((d.pattern as RegExp).source, (d.pattern as RegExp).flags);
      for (const m of s.matchAll(re)) {
        const secret = m.groups?.secret ?? m[0];
        if (!d.accept || d.accept(secret)) return d.name;
      }
    }
    return undefined;
  }

  it('no detector fires on a value it passes (random strings of its alphabet, card-like digit groups)', () => {
    const unit = fc.constantFrom(...'0123456789abcdef.:-', '4', '1', '5');
    const groups = fc
      .array(fc.stringMatching(/^[0-9]{1,6}$/), { minLength: 1, maxLength: 6 })
      .chain((g) => fc.constantFrom('.', '-', ':', 'a').map((sep) => g.join(sep)));
    let passed = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit, maxLength: 39 }),
          groups,
          fc.constantFrom('4111.1111.1111.1111', '378282246310005', '4111-1111-1111-1', '4222222222222'),
        ),
        (s) => {
          if (!cannotHoldSecret(s)) return;
          passed++;
          expect(anyFires(s), s).toBeUndefined();
          expect(scrub(s), s).toBeUndefined();
        },
      ),
      { numRuns: 20_000, seed: 20261206 },
    );
    expect(passed).toBeGreaterThan(5_000);
  });

  it('passes the fixed formats it is for, and nothing that may hold a secret', () => {
    for (const v of [
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '00f067aa0ba902b7',
      '203.0.113.42',
      '2001:db8::8a2e:370:7334',
      '2026-12-06',
      '12.5',
    ])
      expect(cannotHoldSecret(v), v).toBe(true);
    for (const v of [
      '4111111111111111',
      '4111-1111-1111-1111',
      '4111.1111.1111.1',
      'x'.repeat(8),
      'a'.repeat(40),
      'AKIAIOSFODNN7EXAMPLE',
      'usr_1',
      '/a//b',
      '%41',
    ])
      expect(cannotHoldSecret(v), v).toBe(false);
    // A card number in a trace id: not passed, so the compiled path scans it (and the general path rejects the entry).
    expect(cannotHoldSecret('41111111111111110000000000000000')).toBe(false);
    for (const v of ['4111111111111111', '4111-1111-1111-1111']) expect(scrub(v)?.fired).toContain('card');
  });
});
