import { expect as jestExpect } from 'expect';
import { describe, expect, it } from 'vitest';
import { AuditAssertionError } from '../src/errors.js';
import { type AuditMatchers, assertNoSecrets, auditMatchers, createTestAuditLogger, findSecrets } from '../src/testing.js';
// What a user writes: the matchers registered and typed, no hand-written module augmentation.
import '../src/testing-vitest.js';

jestExpect.extend(auditMatchers);

function scenario(keyed = false) {
  const audit = createTestAuditLogger({ keyed });
  audit.logger.record({ action: 'invoice.read', actor: { type: 'user', id: 'u1' }, resource: { type: 'invoice', id: 'inv_1' } });
  audit.logger.record({ action: 'admin.delete', actor: { type: 'user', id: 'u2' }, outcome: 'denied', reason: 'not an admin' });
  return audit;
}

describe('createTestAuditLogger', () => {
  it('captures entries synchronously', () => {
    const audit = scenario();
    expect(audit.entries().map((e) => e.action)).toEqual(['invoice.read', 'admin.delete']);
    expect(audit.entries({ all: true })[0]?.kind).toBe('genesis');
  });

  it('is deterministic: the same records give the same bytes and hashes, run after run', () => {
    const a = scenario().lines();
    const b = scenario().lines();
    expect(a).toEqual(b);
    const last = JSON.parse(a[2] as string);
    expect(last.ts).toBe('2026-01-01T00:00:00.002000Z');
    expect(last.chain).toBe('test-chain');
    // Pinned: changing the entry format or canonical form must be a deliberate, visible change.
    expect(last.hash).toBe(PINNED_SHA256_HEAD);
    expect(JSON.parse(scenario(true).lines()[2] as string).hash).toBe(PINNED_HMAC_HEAD);
  });

  it('verifies and schema-checks what it captured', async () => {
    const audit = scenario(true);
    expect(audit.verify().valid).toBe(true);
    expect(audit.schemaErrors()).toEqual([]);
    audit.assertValid();
    await audit.logger.flush();
    expect(audit.transport.lines()).toEqual(audit.lines());
  });
});

describe('matchers (vitest)', () => {
  it('toHaveAudited matches a deep partial entry, with actor shorthand and RegExp', () => {
    const audit = scenario();
    expect(audit).toHaveAudited({ action: 'invoice.read', actor: 'u1', outcome: 'success' });
    expect(audit).toHaveAudited({ action: /^admin\./, actor: { id: 'u2' }, outcome: 'denied' });
    expect(audit).not.toHaveAudited({ action: 'invoice.read', outcome: 'denied' });
    expect(audit.entries()).toHaveAudited({ resource: { type: 'invoice' } });
    expect(audit).toHaveAuditedTimes(1, { actor: 'u2' });
    expect(audit).toHaveValidAuditChain();
  });

  it('a failing toHaveAudited lists what was recorded', () => {
    const audit = scenario();
    expect(() => expect(audit).toHaveAudited({ action: 'nope' })).toThrow(/#1 event invoice\.read actor=u1 outcome=success/);
  });

  it('toHaveValidAuditChain fails on a tampered log', () => {
    const lines = scenario().lines();
    lines[1] = (lines[1] as string).replace('"u1"', '"u9"');
    expect(() => expect(lines).toHaveValidAuditChain()).toThrow(/modified seq 1/);
  });
});

describe('matchers (jest expect)', () => {
  it('the same matchers work with jest', () => {
    const audit = scenario();
    (jestExpect(audit) as unknown as AuditMatchers).toHaveAudited({ action: 'admin.delete', outcome: 'denied' });
    expect(() => (jestExpect(audit) as unknown as AuditMatchers).toHaveAudited({ action: 'missing' })).toThrow(
      /expected an entry matching/,
    );
    (jestExpect(audit).not as unknown as AuditMatchers).toHaveAudited({ action: 'missing' });
  });
});

describe('assertNoSecrets', () => {
  it('passes on redacted output', () => {
    const audit = createTestAuditLogger();
    audit.logger.record({
      action: 'login',
      http: {
        method: 'POST',
        path: '/login?token=abc123',
        headers: { cookie: 'sid=s3cr3t', authorization: 'Bearer abcdefghijklmnopqrst' },
      },
      details: { note: 'card 4111 1111 1111 1111', jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl' },
    });
    assertNoSecrets(audit, { secrets: ['s3cr3t', 'abc123', 'abcdefghijklmnopqrst'] });
  });

  it('finds tokens, cookies, card numbers and named secrets, with line and path, without echoing them whole', () => {
    const lines = [
      JSON.stringify({ ok: 1 }),
      JSON.stringify({ http: { headers: { cookie: 'sid=s3cr3tvalue' } } }),
      JSON.stringify({ details: { t: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl', pan: '4111111111111111' } }),
      'free text with hunter2 in it',
    ];
    const found = findSecrets(lines, { secrets: ['hunter2'] });
    expect(found.map((f) => [f.line, f.kind, f.path])).toEqual([
      [2, 'credential-key:cookie', 'http.headers.cookie'],
      [3, 'jwt', 'details.t'],
      [3, 'card', 'details.pan'],
      [4, 'literal', undefined],
    ]);
    expect(() => assertNoSecrets(lines, { secrets: ['hunter2'] })).toThrow(AuditAssertionError);
    try {
      assertNoSecrets(lines);
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cr3tvalue');
      expect((e as Error).message).not.toContain('4111111111111111');
    }
  });
});

const PINNED_SHA256_HEAD = '57fe1b692156c58be07a336b09e3cd8e1c5c5733ae5e9441a391f26ac02a0f07';
const PINNED_HMAC_HEAD = 'f879a6f81d118210f9113313124ac752f7e048fd8acbe00aeca69eeaace80346';
