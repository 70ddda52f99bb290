/** The disk spool shared by the network transports (@auditready/core/spool), on real files. */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, AuditTransportError, HashChain, type SealedRecord } from '../src/index.js';
import { batchKey, Spool } from '../src/spool.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ar-core-spool-'));
function batches(n: number, size: number): SealedRecord[][] {
  const chain = new HashChain({ id: 'spool-test' });
  return Array.from({ length: n }, (_, b) =>
    Array.from({ length: size }, (_, i) => chain.seal({ kind: 'event', ts: '2026-11-27T00:00:00.000000Z', action: `b${b}.${i}` } as never)),
  );
}

describe('Spool', () => {
  it('delivers batches oldest first, retries failures with backoff, and empties the directory', async () => {
    const got: string[] = [];
    let fail = 3;
    const errors: Error[] = [];
    const spool = new Spool({
      dir: dir(),
      name: 't',
      maxBackoffMs: 50,
      reportError: (e) => errors.push(e),
      deliver: async (records) => {
        if (fail-- > 0) throw new Error('destination down');
        got.push(batchKey(records));
      },
    });
    const bs = batches(4, 3);
    for (const b of bs) spool.add(b);
    expect(spool.health().pending).toBe(12);
    expect(await spool.idle(10_000)).toBe(true);
    expect(got).toEqual(bs.map(batchKey));
    expect(errors[0]?.message).toBe('destination down');
    expect(spool.health()).toEqual({ status: 'ok', pending: 0 });
    expect(readdirSync(spool.dir).filter((f) => f.endsWith('.batch'))).toEqual([]);
    await spool.close();
  });

  it('spools the same batch once (the logger retrying it), honours retryAfterMs, and reports when full', async () => {
    const d = dir();
    const tries: number[] = [];
    const spool = new Spool({
      dir: d,
      name: 't',
      maxBytes: 1,
      deliver: async () => {
        tries.push(Date.now());
        if (tries.length === 1) throw Object.assign(new Error('429'), { retryAfterMs: 300 });
      },
    });
    const [b0, b1] = batches(2, 2) as [SealedRecord[], SealedRecord[]];
    spool.add(b0);
    spool.add(b0);
    expect(() => spool.add(b1)).toThrow(AuditTransportError);
    expect(() => spool.add(b1)).toThrow(/spool full/);
    expect(await spool.idle(5000)).toBe(true);
    expect(tries).toHaveLength(2);
    expect((tries[1] as number) - (tries[0] as number)).toBeGreaterThanOrEqual(290);
    // Delivered batches free their room: the spool takes the refused batch now.
    spool.add(b1);
    expect(spool.batches()).toBe(1);
    expect(await spool.idle(5000)).toBe(true);
    expect(tries).toHaveLength(3);
    await spool.close();
  });

  it('a new Spool on the same directory resumes from its head and delivers what the last one left', async () => {
    const d = dir();
    const first = new Spool({ dir: d, name: 't', deliver: () => new Promise(() => {}) }); // never acknowledged
    const bs = batches(3, 2);
    for (const b of bs) first.add(b);
    const head = ((bs[2] as SealedRecord[])[1] as SealedRecord).entry;
    expect(first.resume()).toEqual({ chain: head.chain, seq: head.seq, hash: head.hash });
    for (const f of readdirSync(d)) expect(statSync(join(d, f)).mode & 0o777).toBe(0o600);

    const got: string[] = [];
    const second = new Spool({ dir: d, name: 't', deliver: async (r) => void got.push(batchKey(r)) });
    expect(second.health().pending).toBe(6);
    expect(second.resume()).toEqual({ chain: head.chain, seq: head.seq, hash: head.hash });
    second.kick();
    expect(await second.idle(5000)).toBe(true);
    expect(got).toEqual(bs.map(batchKey));
  });

  it('bad options are named errors', () => {
    expect(() => new Spool({ dir: '', name: 't', deliver: async () => {} })).toThrow(AuditConfigError);
    expect(() => new Spool({ dir: dir(), name: 't', deliver: 'no' as never })).toThrow(AuditConfigError);
    expect(() => new Spool({ dir: dir(), name: 't', maxBytes: -1, deliver: async () => {} })).toThrow(/maxBytes/);
  });
});
