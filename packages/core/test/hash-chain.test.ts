import { describe, expect, it } from 'vitest';
import { AuditConfigError } from '../src/errors.js';
import { resolveKey, ZERO_HASH } from '../src/hash.js';
import { computeEntryHash, HashChain, serializeEntry } from '../src/hash-chain.js';

const body = (n: number) => ({
  kind: 'event' as const,
  ts: '2026-01-01T00:00:00.000000Z',
  action: `a${n}`,
  outcome: 'success' as const,
  actor: { type: 'system' as const },
});

describe('HashChain', () => {
  it('links seq, prev and hash, starting from 64 zeros', () => {
    const c = new HashChain({ id: 'c1' });
    const a = c.seal(body(0));
    const b = c.seal(body(1));
    expect(a.entry).toMatchObject({ v: 1, chain: 'c1', seq: 0, prev: ZERO_HASH });
    expect(b.entry.prev).toBe(a.entry.hash);
    expect(b.entry.seq).toBe(1);
    expect(computeEntryHash(b.entry)).toBe(b.entry.hash);
    expect(c.head).toEqual({ chain: 'c1', seq: 1, hash: b.entry.hash });
  });

  it('the line is the canonical form of the whole entry, hash included', () => {
    const c = new HashChain({ id: 'c1' });
    const r = c.seal({ ...body(0), details: { z: 1, a: [{ http: 1, kind: 2 }] } });
    expect(r.line).toBe(serializeEntry(r.entry));
    expect(JSON.parse(r.line)).toEqual(r.entry);
  });

  it('a body cannot override chain fields', () => {
    const c = new HashChain({ id: 'c1' });
    const r = c.seal({ ...body(0), chain: 'evil', seq: 99, prev: 'f'.repeat(64), hash: 'x', v: 2 } as never);
    expect(r.entry).toMatchObject({ chain: 'c1', seq: 0, prev: ZERO_HASH, v: 1 });
    expect(r.entry.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('HMAC chains name the key id and need the key to recompute', () => {
    const key = resolveKey({ id: 'k1', secret: `hex:${'ab'.repeat(32)}` }, 'k');
    const c = new HashChain({ id: 'c1', key });
    const r = c.seal(body(0));
    expect(r.entry.kid).toBe('k1');
    expect(computeEntryHash(r.entry, key)).toBe(r.entry.hash);
    expect(computeEntryHash(r.entry)).not.toBe(r.entry.hash);
  });

  it('resumes after a given head', () => {
    const c = new HashChain({ id: 'c1', resume: { chain: 'c1', seq: 41, hash: 'e'.repeat(64) } });
    const r = c.seal(body(0));
    expect(r.entry.seq).toBe(42);
    expect(r.entry.prev).toBe('e'.repeat(64));
  });

  it.each([
    [{ id: 'bad id' }, /chain id/],
    [{ id: '' }, /chain id/],
    [{ id: 'c', resume: { chain: 'other', seq: 1, hash: 'e'.repeat(64) } }, /cannot resume/],
    [{ id: 'c', resume: { chain: 'c', seq: -1, hash: 'e'.repeat(64) } }, /resume/],
    [{ id: 'c', resume: { chain: 'c', seq: 1, hash: 'nothex' } }, /resume/],
  ])('rejects bad options %j', (opts, msg) => {
    expect(() => new HashChain(opts)).toThrow(AuditConfigError);
    expect(() => new HashChain(opts)).toThrow(msg);
  });

  it('does not advance when sealing fails', () => {
    const c = new HashChain({ id: 'c1' });
    expect(() => c.seal({ ...body(0), details: { n: Number.NaN } })).toThrow();
    expect(c.nextSeq).toBe(0);
  });
});
