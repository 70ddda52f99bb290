/**
 * The detector rules against their examples (test/fixtures/redaction/rules.json, data): every
 * positive example is caught by its rule and no longer readable; no negative example and no
 * ordinary value (ids, hashes, UUIDs, timestamps, idempotency keys, order numbers ...) trips any
 * rule; credential key names are told from look-alikes by their tokens.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCredentialKey } from '../src/credential-keys.js';
import { DETECTORS, type DetectorName, scrubString } from '../src/detectors.js';
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
