/**
 * Heartbeats (docs/spec/hash-chain.md §Heartbeat): a quiet logger seals `heartbeat` records so that
 * silence can be told from loss; the verifier reports stretches longer than twice the declared
 * interval with neither an entry nor a heartbeat.
 */
import { type AuditClock, type AuditEntry, createAuditLogger, createMemoryTransport } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it, vi } from 'vitest';

describe('heartbeats', () => {
  it('a quiet logger seals heartbeats at its interval; the chain declares it; no silence is reported', async () => {
    const mem = createMemoryTransport();
    const log = createAuditLogger({ service: { name: 'hb' }, transports: [mem], handleSignals: false, heartbeatMs: 200 });
    log.record({ action: 'a.b' });
    await vi.waitFor(() => expect(mem.entries().filter((e) => e.kind === 'heartbeat').length).toBeGreaterThanOrEqual(2), {
      timeout: 3000,
      interval: 50,
    });
    await log.close();
    expect(((mem.entries()[0] as AuditEntry).details as { heartbeatMs?: number }).heartbeatMs).toBe(200);
    const r = verifySync(mem.lines());
    expect(r.valid).toBe(true);
    expect(r.chains[0]?.silences).toBeUndefined();
  });

  it('a stretch of ten minutes with no record on a chain with one-minute heartbeats is reported, with its bounds', async () => {
    let us = Date.parse('2026-12-06T10:00:00Z') * 1000;
    const clock: AuditClock = { nowMicros: () => us++ };
    const mem = createMemoryTransport();
    const log = createAuditLogger({ service: { name: 'hb' }, transports: [mem], handleSignals: false, clock, heartbeatMs: 60_000 });
    log.record({ action: 'before' });
    us += 10 * 60_000_000; // the process was down (or its records of that time are gone)
    log.record({ action: 'after' });
    await log.close();
    const r = verifySync(mem.lines());
    expect(r.valid).toBe(true);
    expect(r.chains[0]?.silences).toEqual([
      { from: expect.stringMatching(/^2026-12-06T10:00:00/), to: expect.stringMatching(/^2026-12-06T10:10:00/), ms: expect.any(Number) },
    ]);
    expect(r.chains[0]?.silences?.[0]?.ms).toBeGreaterThan(120_000);
    // heartbeatMs: 0 turns them off: nothing declared, nothing reported.
    const quiet = createMemoryTransport();
    const off = createAuditLogger({ service: { name: 'hb' }, transports: [quiet], handleSignals: false, clock, heartbeatMs: 0 });
    off.record({ action: 'x' });
    us += 60 * 60_000_000;
    off.record({ action: 'y' });
    await off.close();
    expect(verifySync(quiet.lines()).chains[0]?.silences).toBeUndefined();
  });
});
