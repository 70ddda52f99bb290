/**
 * close() lets transports finish background work that records (Transport.beforeClose) while the
 * logger still takes records: what they record is sealed and delivered. A transport whose
 * beforeClose hangs or rejects cannot keep close() from finishing: each is bounded by timeoutMs.
 */
import { describe, expect, it } from 'vitest';
import { createAuditLogger } from '../src/logger.js';
import { createMemoryTransport, type Transport, type TransportContext } from '../src/transport.js';

function withBeforeClose(before: (ctx: TransportContext) => Promise<void>) {
  const mem = createMemoryTransport();
  let ctx: TransportContext | undefined;
  const t: Transport = {
    name: 'with-before-close',
    write: (batch) => mem.write(batch),
    attach: (c) => {
      ctx = c;
    },
    beforeClose: () => before(ctx as TransportContext),
  };
  return { t, mem };
}

const log = (t: Transport) => createAuditLogger({ service: { name: 'close-test' }, transports: [t], handleSignals: false, heartbeatMs: 0 });

describe('close() and Transport.beforeClose', () => {
  it('what a transport records in beforeClose is sealed and delivered before the logger closes', async () => {
    const { t, mem } = withBeforeClose(async (ctx) => {
      await new Promise((r) => setTimeout(r, 20));
      ctx.record('notice', { reason: 'recorded while closing', details: { late: true } });
    });
    const l = log(t);
    l.record({ action: 'invoice.read', actor: { type: 'system' } });
    expect((await l.close()).ok).toBe(true);
    expect(mem.entries().some((e) => e.kind === 'notice' && e.reason === 'recorded while closing')).toBe(true);
  });

  it('a beforeClose that never settles, or one that rejects, delays close by timeoutMs at most; nothing is lost', async () => {
    for (const before of [() => new Promise<void>(() => {}), () => Promise.reject(new Error('broken'))]) {
      const { t, mem } = withBeforeClose(before);
      const l = log(t);
      for (let i = 0; i < 5; i++) l.record({ action: 'invoice.read', actor: { type: 'system' } });
      expect((await l.close({ timeoutMs: 300 })).ok).toBe(true);
      expect(mem.entries().filter((e) => e.action === 'invoice.read')).toHaveLength(5);
    }
  }, 20_000);
});
