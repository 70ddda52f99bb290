/**
 * The HTTP transport as a checkpoint destination: the collector receives the signed checkpoint
 * records through a real HTTP server that fails the first attempts (the destination lane retries),
 * and what it stored proves the log complete, and a cut log truncated.
 */
import { createAuditLogger, createMemoryTransport, generateNoteKey } from '@auditready/core';
import { verifyText } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { createHttpTransport } from '../src/index.js';
import { startReceiver, tempDir } from './helpers.js';

describe('HTTP transport as a checkpoint destination', () => {
  it('delivers every checkpoint record through injected failures; they prove the log complete, and a cut copy truncated', async () => {
    const recv = await startReceiver([{ status: 503 }, 'reset']);
    const key = generateNoteKey('http-test.example/audit');
    const mem = createMemoryTransport();
    const dest = createHttpTransport({ url: recv.url, spool: { dir: tempDir() }, timeoutMs: 500 });
    const log = createAuditLogger({
      service: { name: 'http-cp' },
      transports: [mem],
      handleSignals: false,
      retry: { initialDelayMs: 10, maxDelayMs: 50 },
      checkpoints: { signer: key.signerKey, everyEntries: 10, destinations: [dest] },
    });
    for (let i = 0; i < 33; i++) log.record({ action: 'doc.read' });
    expect((await log.flush({ timeoutMs: 10_000 })).ok).toBe(true);
    expect(await dest.idle(10_000)).toBe(true);
    await log.close();
    const held = recv.lines();
    const records = mem.entries().filter((e) => e.kind === 'checkpoint');
    expect(held).toEqual(records.map((e) => mem.lines()[e.seq]));
    expect(recv.seen.slice(0, 2)).toEqual([JSON.stringify({ status: 503 }), 'reset']);
    const ok = await verifyText(mem.lines().join('\n'), { trust: [key.verifierKey], checkpoints: held });
    expect(ok.complete).toBe(true);
    const cut = await verifyText(mem.lines().slice(0, -5).join('\n'), { trust: [key.verifierKey], checkpoints: held });
    expect(cut.breaks.map((b) => b.kind)).toContain('truncated');
    await recv.close();
  });
});
