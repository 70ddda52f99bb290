/** feedStream's onLine: every line the verifier took, as bytes, whatever the chunking; overlong lines are not passed on. */
import { createAuditLogger, createMemoryTransport } from '@auditready/core';
import { feedStream, Verifier } from '@auditready/core/verify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('feedStream onLine', () => {
  it('sees each line once, with its exact bytes, for any split of the stream into chunks', async () => {
    const mem = createMemoryTransport();
    const log = createAuditLogger({ service: { name: 't' }, transports: [mem], handleSignals: false });
    for (let i = 0; i < 20; i++) log.record({ action: 'a.read', details: { text: `ünïcödé ${i}` } });
    await log.close();
    const text = `${mem.lines().join('\n')}\n`;
    const bytes = new TextEncoder().encode(text);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const at = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
        const chunks = at.slice(1).map((end, i) => bytes.slice(at[i], end));
        const seen: string[] = [];
        const v = new Verifier();
        const n = await feedStream(v, chunks, { onLine: (b, s, e) => seen.push(new TextDecoder().decode(b.subarray(s, e))) });
        expect(n).toBe(mem.lines().length);
        expect(seen).toEqual(mem.lines());
        expect(v.finish().valid).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('does not pass on a line over maxLineBytes (the verifier reports it)', async () => {
    const seen: number[] = [];
    const v = new Verifier();
    await feedStream(v, [new Uint8Array(100).fill(0x61), new Uint8Array([0x0a])], {
      maxLineBytes: 50,
      onLine: (_b, s, e) => seen.push(e - s),
    });
    expect(seen).toEqual([]);
    expect(v.finish().breaks.map((b) => b.kind)).toEqual(['unparseable']);
  });
});
