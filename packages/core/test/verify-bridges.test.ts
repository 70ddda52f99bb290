/**
 * Bridges (VerifyOptions.bridges): ranges of a chain deliberately not read, vouched for by the
 * hashes at their ends. A hole a bridge covers is not `deleted` when the entries around it link to
 * those hashes; it is `modified` when they do not; a bridge that does not fit the hole changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { ZERO_HASH } from '../src/hash.js';
import { HashChain } from '../src/hash-chain.js';
import type { AuditEntry } from '../src/types.js';
import { type Bridge, verifySync } from '../src/verify/index.js';

function chainOf(n: number): { lines: string[]; entries: AuditEntry[] } {
  const c = new HashChain({ id: 'c1' });
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      c.seal({ kind: 'event', ts: '2026-01-01T00:00:00.000000Z', action: `a${i}`, outcome: 'success', actor: { type: 'system' } }).line,
    );
  return { lines, entries: lines.map((l) => JSON.parse(l) as AuditEntry) };
}

const bridge = (entries: AuditEntry[], from: number, to: number, over: Partial<Bridge> = {}): Bridge => ({
  chain: 'c1',
  from,
  to,
  prev: (entries[from] as AuditEntry).prev,
  hash: (entries[to] as AuditEntry).hash,
  source: 'the index of test segments',
  ...over,
});

describe('Verifier bridges', () => {
  const { lines, entries } = chainOf(30);
  const head = { chain: 'c1', seq: 29, hash: (entries[29] as AuditEntry).hash, source: 'the head' };
  const without = (from: number, to: number) => lines.filter((_, i) => i < from || i > to);

  it('a middle range and the start not read, each bridged: complete, and the report names them', () => {
    const r = verifySync(
      lines.filter((_, i) => (i >= 5 && i <= 9) || i >= 18),
      {
        anchors: [head],
        bridges: [bridge(entries, 0, 4), bridge(entries, 10, 17)],
      },
    );
    expect(r.breaks).toEqual([]);
    expect(r.complete).toBe(true);
    expect(r.chains[0]?.bridged).toEqual([
      { from: 0, to: 4, source: 'the index of test segments' },
      { from: 10, to: 17, source: 'the index of test segments' },
    ]);
    expect(r.chains[0]?.count).toBe(17);
  });

  it('without the bridge the same input is a deletion', () => {
    const r = verifySync(without(10, 17), { anchors: [head] });
    expect(r.breaks.map((b) => b.kind)).toEqual(['deleted']);
  });

  it('a bridge whose hashes the neighbours do not link to is a `modified` break, naming its source', () => {
    const bad = verifySync(without(10, 17), { anchors: [head], bridges: [bridge(entries, 10, 17, { hash: 'a'.repeat(64) })] });
    expect(bad.valid).toBe(false);
    expect(bad.breaks).toHaveLength(1);
    expect(bad.breaks[0]?.kind).toBe('modified');
    expect(bad.breaks[0]?.message).toMatch(/the index of test segments says seq 17 \(not read\) had hash aaaaaaaaaaaa/);
    const badPrev = verifySync(without(10, 17), { anchors: [head], bridges: [bridge(entries, 10, 17, { prev: 'b'.repeat(64) })] });
    expect(badPrev.breaks[0]?.kind).toBe('modified');
    const badStart = verifySync(without(0, 4), { anchors: [head], bridges: [bridge(entries, 0, 4, { prev: 'c'.repeat(64) })] });
    expect(badStart.valid).toBe(false);
    expect(bridge(entries, 0, 4).prev).toBe(ZERO_HASH);
  });

  it('a bridge that does not cover the hole exactly explains nothing', () => {
    const r = verifySync(without(10, 17), { anchors: [head], bridges: [bridge(entries, 10, 15)] });
    expect(r.breaks.map((b) => b.kind)).toEqual(['deleted']);
  });

  it("the chain's tail not read: a bridge ending at the committed head meets the commitment", () => {
    const r = verifySync(lines.slice(0, 20), { anchors: [head], bridges: [bridge(entries, 20, 29)] });
    expect(r.breaks).toEqual([]);
    expect(r.complete).toBe(true);
    expect(r.chains[0]?.bridged).toEqual([{ from: 20, to: 29, source: 'the index of test segments' }]);
    const cut = verifySync(lines.slice(0, 20), { anchors: [head] });
    expect(cut.breaks.map((b) => b.kind)).toEqual(['truncated']);
    const wrong = verifySync(lines.slice(0, 20), { anchors: [head], bridges: [bridge(entries, 20, 29, { prev: 'd'.repeat(64) })] });
    expect(wrong.breaks.map((b) => b.kind)).toEqual(['truncated']);
  });

  it('malformed bridges are a named configuration error', () => {
    expect(() => verifySync([], { bridges: [{ chain: 'c1', from: 5, to: 2, prev: '', hash: '', source: 's' }] })).toThrow(
      /bridges must be an array/,
    );
    expect(() => verifySync([], { bridges: 'x' as unknown as Bridge[] })).toThrow(/bridges must be an array/);
  });
});
