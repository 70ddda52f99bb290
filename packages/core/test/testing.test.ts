import { readFileSync } from 'node:fs';
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

describe("findSecrets: a second line of defence beside the logger's own rules", () => {
  const data = JSON.parse(readFileSync(new URL('./fixtures/redaction/rules.json', import.meta.url), 'utf8')) as { benign: string[] };

  it('catches what the logger let through before issue #14 (each line as the old logger wrote it)', () => {
    const leaked = [
      { kind: 'access', reason: 'db down: password=hunter2-Xq' },
      { http: { requestBody: '{"user":"alice","password":"pw-Zr81kq"}' } },
      { details: { aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } },
      { details: { card: 4111111111111111 } },
      { details: { key: '-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQdGBF4' } },
      { details: { hook: 'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx' } },
      { http: { path: '/download?X-Amz-Signature=9b74c9897bac770ffc029102a200c5de9b74c9897bac770ffc029102a200c5de' } },
      { details: { target: '//svc:pw-Ab12cd@cache:6379' } },
    ].map((x) => JSON.stringify(x));
    const found = findSecrets(leaked);
    expect(new Set(found.map((f) => f.line))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it('finds a planted value in any form a log may hold it: JSON-escaped, base64, URL-encoded', () => {
    const planted = 'p@ss "w0rd"/x';
    const lines = [
      JSON.stringify({ a: planted }),
      JSON.stringify({ a: Buffer.from(planted).toString('base64') }),
      JSON.stringify({ a: `/x?q=${encodeURIComponent(planted)}` }),
      JSON.stringify({ a: 'nothing here' }),
    ];
    expect(findSecrets(lines, { secrets: [planted] }).map((f) => f.line)).toEqual([1, 2, 3]);
  });

  it('flags random-looking tokens of no known family, and leaves ordinary look-alikes alone', () => {
    const unknownFamily = 'zq_Lm4Rt8Vw2Yx6Za9Bc3De7Fg1Hj5Kn0P';
    expect(findSecrets([JSON.stringify({ details: { note: `token ${unknownFamily}` } })])).toEqual([
      expect.objectContaining({ kind: 'high-entropy', path: 'details.note' }),
    ]);
    expect(findSecrets([JSON.stringify({ details: { note: unknownFamily } })], { entropy: false })).toEqual([]);
    expect(findSecrets([JSON.stringify({ details: { note: unknownFamily } })], { allow: [/^zq_/] })).toEqual([]);
    const benign = data.benign.map((v, i) => JSON.stringify({ details: { [`f${i}`]: v } }));
    expect(findSecrets(benign)).toEqual([]);
    // A real log: chain hashes, request and trace ids are random by design and not findings.
    const audit = createTestAuditLogger({ deterministic: false });
    audit.logger.record({
      action: 'x',
      http: { method: 'GET', path: '/a', requestId: crypto.randomUUID() },
      trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
    });
    expect(findSecrets(audit.records())).toEqual([]);
  });
});

const PINNED_SHA256_HEAD = '57fe1b692156c58be07a336b09e3cd8e1c5c5733ae5e9441a391f26ac02a0f07';
const PINNED_HMAC_HEAD = 'f879a6f81d118210f9113313124ac752f7e048fd8acbe00aeca69eeaace80346';
