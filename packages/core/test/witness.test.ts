/**
 * Witnesses (C2SP tlog-witness) with a real litewitness (filippo.io/torchwood v0.6.1, built with
 * Go by scripts/witness/install-litewitness.sh): it cosigns the logger's checkpoints and its
 * cosignatures verify here; a second history signed by the same log key is refused (no split view);
 * a witness that is down, slow, answers garbage or a stale 409 never holds up the app, shows in
 * health(), and cosigning catches up once it answers again.
 */
import { createServer, request, type Server } from 'node:http';
import {
  type AuditEntry,
  type AuditError,
  createAuditLogger,
  createMemoryTransport,
  generateNoteKey,
  openNote,
  parseVerifierKey,
  parseWitnessKey,
} from '@auditready/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installLitewitness, type Litewitness, startLitewitness, witnessAvailable } from '../../../test-support/litewitness.js';

const key = generateNoteKey('audit.example/witnessed');
let bin = '';
let witness: Litewitness;

function logger(chain: string, url: string, extra: Record<string, unknown> = {}) {
  const mem = createMemoryTransport();
  const errors: AuditError[] = [];
  const log = createAuditLogger({
    service: { name: 'witnessed' },
    transports: [mem],
    handleSignals: false,
    chain: { id: chain },
    onError: (e) => errors.push(e),
    checkpoints: {
      signer: key.signerKey,
      everyEntries: 10,
      intervalMs: 0,
      witnesses: [{ url, key: witness.key }],
      witnessTimeoutMs: 2000,
      ...extra,
    },
  });
  return { log, mem, errors };
}

const witnessed = (entries: AuditEntry[]) =>
  entries
    .filter((e) => e.kind === 'checkpoint' && (e.details as { witnessed?: unknown }).witnessed)
    .map((e) => (e.details as { witnessed: { size: number; note: string } }).witnessed);

describe.skipIf(!witnessAvailable)('witnessing with a real litewitness', () => {
  beforeAll(async () => {
    bin = installLitewitness();
    witness = await startLitewitness(bin);
  }, 600_000);
  afterAll(async () => {
    await witness?.close();
  });

  it('cosigns every checkpoint; the cosignatures are sealed into the log and verify here, with their time', async () => {
    witness.addLog('audit.example/witnessed/chain-a', key.verifierKey);
    const { log, mem, errors } = logger('chain-a', witness.url);
    for (let i = 0; i < 35; i++) {
      log.record({ action: 'doc.read' });
      await new Promise((r) => setImmediate(r));
    }
    await vi.waitFor(() => expect(log.health().checkpoints?.witnesses?.[0]?.cosigned).toBe(log.health().checkpoints?.last?.size), {
      timeout: 10_000,
      interval: 20,
    });
    expect(log.health().checkpoints?.witnessed).toBe(log.health().checkpoints?.last?.size); // k = 1 of 1
    // When it cosigned, and when the checkpoint was cut: the ages @auditready/metrics exports.
    expect(Date.now() - Date.parse(log.health().checkpoints?.witnesses?.[0]?.cosignedAt ?? '')).toBeLessThan(60_000);
    expect(log.health().checkpoints?.last?.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    await log.close();
    expect(errors).toEqual([]);
    const notes = witnessed(mem.entries());
    expect(notes.length).toBeGreaterThanOrEqual(2);
    const keys = [parseVerifierKey(key.verifierKey), parseWitnessKey(witness.key)];
    const now = Date.now() / 1000;
    for (const n of notes) {
      const opened = openNote(n.note, keys);
      const cosig = opened.verified.find((s) => s.timestamp !== undefined);
      expect(cosig?.name).toBe(witness.name);
      expect(Math.abs((cosig?.timestamp ?? 0) - now)).toBeLessThan(120);
    }
    // The close sealed the cosignatures of the last real checkpoint too.
    const cps = mem.entries().filter((e) => e.kind === 'checkpoint');
    expect(notes.at(-1)?.size).toBe(((cps.at(-2) as AuditEntry).details as { size: number }).size);
    // After close only the carrier record (the last cosignatures) is left uncosigned.
    expect(log.health().checkpoints?.witnesses?.[0]?.cosigned).toBeGreaterThanOrEqual(notes.at(-1)?.size ?? Number.POSITIVE_INFINITY);
  });

  it('the policy: witnessThreshold above the witnesses configured is a configuration error', () => {
    expect(() => logger('chain-x', witness.url, { witnessThreshold: 2 })).toThrow(/witnessThreshold 2 > 1 witnesses/);
  });

  it('a second history signed by the same log key is refused: the witness does not cosign a split view', async () => {
    witness.addLog('audit.example/witnessed/chain-b', key.verifierKey);
    const first = logger('chain-b', witness.url);
    for (let i = 0; i < 25; i++) first.log.record({ action: 'doc.read', details: { i } });
    await vi.waitFor(
      () => expect(first.log.health().checkpoints?.witnesses?.[0]?.cosigned).toBe(first.log.health().checkpoints?.last?.size),
      {
        timeout: 10_000,
        interval: 20,
      },
    );
    await first.log.close();
    // The insider replays the chain with other content, signed by the same key.
    const second = logger('chain-b', witness.url);
    for (let i = 0; i < 45; i++) second.log.record({ action: 'doc.delete', details: { i } });
    await vi.waitFor(() => expect(second.log.health().checkpoints?.witnesses?.[0]?.status).toBe('refusing'), {
      timeout: 10_000,
      interval: 20,
    });
    await second.log.close();
    expect(second.errors.map((e) => e.message).join('\n')).toMatch(/add-checkpoint: HTTP (409|422)/);
    expect(witnessed(second.mem.entries())).toEqual([]);
  });

  it('a witness down, slow, answering garbage or a stale 409: entries keep flowing, health says so, cosigning catches up', async () => {
    witness.addLog('audit.example/witnessed/chain-c', key.verifierKey);
    // A real HTTP front for the witness that misbehaves on purpose, then forwards.
    const plan: ('down' | 'garbage' | 'stale' | 'slow' | 'ok')[] = ['down', 'down', 'garbage', 'stale', 'slow'];
    const target = new URL(witness.url);
    const front: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const b = plan.shift() ?? 'ok';
        if (b === 'down') return void res.writeHead(503).end('unavailable');
        if (b === 'garbage') return void res.writeHead(200).end('— witness.test/w1 bm90IGEgc2lnbmF0dXJl\n');
        if (b === 'stale') return void res.writeHead(409, { 'content-type': 'text/x.tlog.size' }).end('0\n');
        const forward = () => {
          const p = request({ host: target.hostname, port: target.port, path: req.url, method: 'POST' }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          });
          p.end(Buffer.concat(chunks));
        };
        if (b === 'slow')
          setTimeout(forward, 2500); // past witnessTimeoutMs
        else forward();
      });
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(front.address() as { port: number }).port}`;
    const { log, mem, errors } = logger('chain-c', url);
    let requests = 0;
    front.on('request', () => requests++);
    for (let i = 0; i < 40; i++) log.record({ action: 'doc.read' });
    expect(requests).toBe(0); // record() returned 40 times, three checkpoints cut, before any witness was contacted
    await vi.waitFor(() => expect(log.health().checkpoints?.witnesses?.[0]?.status).not.toBe('ok'), { timeout: 20_000, interval: 10 });
    // It catches up on its own (backoff) and with the next checkpoint.
    for (let i = 0; i < 10; i++) log.record({ action: 'doc.read' });
    await vi.waitFor(
      () =>
        expect(log.health().checkpoints?.witnesses?.[0]).toMatchObject({ status: 'ok', cosigned: log.health().checkpoints?.last?.size }),
      { timeout: 20_000, interval: 50 },
    );
    await log.close();
    await new Promise((r) => front.close(r));
    expect(mem.entries().filter((e) => e.action === 'doc.read')).toHaveLength(50);
    const reported = errors.map((e) => e.message).join('\n');
    expect(reported).toMatch(/HTTP 503/);
    expect(reported).toMatch(/not a valid cosignature/);
    expect(reported).toMatch(/aborted|timeout/i);
    expect(witnessed(mem.entries()).length).toBeGreaterThan(0);
  }, 40_000);

  it('verify with witness keys: complete only through a checkpoint cosigned by k of them; entries later than a cosignature are reported', async () => {
    const { verifySync } = await import('@auditready/core/verify');
    const { cosignatureSigner } = await import('@auditready/core');
    witness.addLog('audit.example/witnessed/chain-d', key.verifierKey);
    const { log, mem } = logger('chain-d', witness.url);
    for (let i = 0; i < 30; i++) log.record({ action: 'doc.read' });
    await log.close();
    const lines = mem.lines();
    const one = verifySync(lines, { trust: [key.verifierKey], witnesses: [witness.key] });
    expect(one.breaks).toEqual([]);
    expect(one.complete).toBe(true);
    const c = one.chains[0];
    expect(c?.checkpoints?.witnessed?.cosigners.map((x) => x.name)).toEqual([witness.name]);
    expect(c?.commitment?.by).toMatch(/cosigned by witness\.test\/w1/);
    expect(c?.checkpoints?.clockAhead).toBeUndefined();
    // A second witness that never cosigned: with k = 2 nothing proves completeness.
    const other = cosignatureSigner('witness.test/w2', new Uint8Array(32).fill(9));
    const two = verifySync(lines, { trust: [key.verifierKey], witnesses: [witness.key, other.verifierKey], witnessThreshold: 2 });
    expect(two.valid).toBe(true);
    expect(two.complete).toBe(false);
    expect(two.chains[0]?.checkpoints?.witnessed).toBeUndefined();
    expect(() => verifySync(lines, { trust: [key.verifierKey], witnesses: [witness.key], witnessThreshold: 2 })).toThrow(
      /witnessThreshold/,
    );
  });

  it('trusted time: a log whose clock runs a day ahead is reported against the witness cosignature times', async () => {
    const { verifySync } = await import('@auditready/core/verify');
    const { createFixedClock } = await import('@auditready/core');
    const mem = createMemoryTransport();
    witness.addLog('audit.example/witnessed/chain-e2', key.verifierKey);
    const clocked = createAuditLogger({
      service: { name: 'witnessed' },
      transports: [mem],
      handleSignals: false,
      chain: { id: 'chain-e2' },
      clock: createFixedClock(new Date(Date.now() + 86_400_000).toISOString()),
      checkpoints: { signer: key.signerKey, everyEntries: 10, intervalMs: 0, witnesses: [{ url: witness.url, key: witness.key }] },
    });
    for (let i = 0; i < 25; i++) clocked.record({ action: 'doc.read' });
    await clocked.close();
    const r = verifySync(mem.lines(), { trust: [key.verifierKey], witnesses: [witness.key] });
    expect(r.valid).toBe(true);
    const ahead = r.chains[0]?.checkpoints?.clockAhead ?? [];
    expect(ahead.length).toBeGreaterThan(0);
    expect((ahead[0]?.latestTs ?? '') > (ahead[0]?.cosignedAt ?? 'z')).toBe(true);
  });

  it('a witness process that is down (connection refused), then back: unreachable meanwhile, then it cosigns the newest checkpoint', async () => {
    witness.addLog('audit.example/witnessed/chain-f', key.verifierKey);
    await witness.down();
    const { log, errors } = logger('chain-f', witness.url);
    for (let i = 0; i < 25; i++) log.record({ action: 'doc.read' });
    await vi.waitFor(() => expect(log.health().checkpoints?.witnesses?.[0]?.status).toBe('unreachable'), { timeout: 20_000, interval: 20 });
    await witness.up();
    for (let i = 0; i < 10; i++) log.record({ action: 'doc.read' });
    await vi.waitFor(
      () =>
        expect(log.health().checkpoints?.witnesses?.[0]).toMatchObject({ status: 'ok', cosigned: log.health().checkpoints?.last?.size }),
      { timeout: 20_000, interval: 50 },
    );
    await log.close();
    expect(errors.length).toBeGreaterThan(0);
  }, 40_000);

  it('a log the witness does not know: refusing, with the HTTP status in onError', async () => {
    const { log, errors } = logger('chain-unregistered', witness.url);
    for (let i = 0; i < 12; i++) log.record({ action: 'doc.read' });
    await vi.waitFor(() => expect(log.health().checkpoints?.witnesses?.[0]?.status).toBe('refusing'), { timeout: 20_000, interval: 20 });
    await log.close();
    expect(errors.map((e) => e.message).join('\n')).toMatch(/HTTP 40[34]/);
  });
});
