import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type ClockStep, createFixedClock, createSystemClock } from '../src/clock.js';
import {
  AuditClosedError,
  AuditConfigError,
  type AuditError,
  AuditSchemaError,
  AuditTransportError,
  AuditUnavailableError,
} from '../src/errors.js';
import { type AuditLoggerOptions, createAuditLogger } from '../src/logger.js';
import { checkEntry } from '../src/schema.js';
import { createMemoryTransport } from '../src/transport.js';
import { verifySync } from '../src/verify/index.js';

function setup(extra: Partial<AuditLoggerOptions> = {}) {
  const transport = createMemoryTransport();
  const errors: AuditError[] = [];
  const logger = createAuditLogger({
    service: { name: 'svc', version: '1.0.0' },
    transports: [transport],
    handleSignals: false,
    onError: (e) => errors.push(e),
    retry: { initialDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
  return { logger, transport, errors };
}

describe('record()', () => {
  it('returns the sealed entry; a genesis record opens the chain; transports get canonical lines', async () => {
    const { logger, transport } = setup();
    const e = logger.record({ action: 'invoice.read', actor: { type: 'user', id: 'u1' }, resource: { type: 'invoice', id: 'inv_1' } });
    expect(e).toMatchObject({
      v: 1,
      kind: 'event',
      seq: 1,
      action: 'invoice.read',
      outcome: 'success',
      service: { name: 'svc', version: '1.0.0' },
    });
    expect(e.ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(await logger.flush()).toEqual({ ok: true, pending: 0 });
    const entries = transport.entries();
    expect(entries.map((x) => x.kind)).toEqual(['genesis', 'event']);
    expect(entries[1]).toEqual(e);
    expect(verifySync(transport.lines()).valid).toBe(true);
    for (const l of transport.lines()) expect(checkEntry(JSON.parse(l)).valid).toBe(true);
  });

  it('the genesis record names the library by its package version (from package.json at build time)', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const { logger, transport } = setup();
    await logger.flush();
    expect(transport.entries()[0]?.details).toMatchObject({ library: `auditready/${version}` });
  });

  it('never mutates the caller input and lists what was redacted', () => {
    const { logger } = setup();
    const input = {
      action: 'login',
      http: { method: 'POST', headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' } },
      details: { password: 'p' },
    };
    const copy = structuredClone(input);
    const e = logger.record(input);
    expect(input).toEqual(copy);
    expect(e.http?.headers).toEqual({});
    expect(e.redacted?.map((r) => r.path)).toEqual(['http.headers.authorization', 'details.password']);
  });

  it('bad input becomes a `rejected` entry and an onError report; nothing recorded before is lost', async () => {
    const { logger, transport, errors } = setup();
    logger.record({ action: 'ok.1' });
    const r = logger.record({ action: 'bad', details: { n: 10n } as never });
    expect(r).toMatchObject({ kind: 'rejected', action: 'bad', outcome: 'error' });
    expect(r.reason).toMatch(/ERR_AUDIT_CANONICAL.*details\.n/);
    expect(errors.map((e) => e.code)).toEqual(['ERR_AUDIT_CANONICAL']);
    logger.record({ action: 'ok.2' });
    await logger.flush();
    expect(transport.entries().map((e) => e.action ?? e.kind)).toEqual(['genesis', 'ok.1', 'bad', 'ok.2']);
    expect(verifySync(transport.lines()).valid).toBe(true);
  });

  it('schema violations are rejected with the field named', () => {
    const { logger, errors } = setup();
    const r = logger.record({ action: 'x', http: { method: 'GET', status: 'two hundred' as never } });
    expect(r.kind).toBe('rejected');
    expect(errors[0]).toBeInstanceOf(AuditSchemaError);
    expect(errors[0]?.message).toMatch(/http\.status/);
  });

  it('strict mode throws instead and seals nothing', () => {
    const { logger } = setup({ strict: true });
    expect(() => logger.record({ action: '' })).toThrow(/action must be a non-empty string/);
    expect(() => logger.record({ action: 'x', extra: 1 } as never)).toThrow(/unknown field "extra"/);
    expect(logger.health().chain.head?.seq).toBe(0);
  });

  it('after close(), record() throws AuditClosedError', async () => {
    const { logger } = setup();
    await logger.close();
    expect(() => logger.record({ action: 'late' })).toThrow(AuditClosedError);
    expect(logger.health().status).toBe('closed');
  });

  it('a throwing onError does not break record()', () => {
    const logger = createAuditLogger({
      service: { name: 's' },
      transports: [createMemoryTransport()],
      handleSignals: false,
      onError: () => {
        throw new Error('handler bug');
      },
    });
    expect(logger.record({ action: 'x', details: { f: (() => 1) as never } }).kind).toBe('rejected');
  });
});

describe('wrap()', () => {
  it('records success with duration for sync and async functions, and returns their results', async () => {
    const { logger, transport } = setup();
    const add = logger.wrap((a: number, b: number) => a + b, { action: 'math.add', actor: { type: 'service', id: 'calc' } });
    expect(add(2, 3)).toBe(5);
    const job = logger.wrap(async (id: string) => ({ id, done: true }), { action: 'job.run', resource: (id) => ({ type: 'job', id }) });
    await expect(job('j1')).resolves.toEqual({ id: 'j1', done: true });
    await logger.flush();
    const [, a, b] = transport.entries();
    expect(a).toMatchObject({ action: 'math.add', outcome: 'success', actor: { id: 'calc' } });
    expect(b).toMatchObject({ action: 'job.run', outcome: 'success', resource: { type: 'job', id: 'j1' } });
    expect(typeof (b?.details as { durationMs?: number } | undefined)?.durationMs).toBe('number');
  });

  it('records failure and denied, and rethrows the original error', async () => {
    const { logger, transport } = setup();
    const boom = new Error('disk on fire');
    const sync = logger.wrap(
      () => {
        throw boom;
      },
      { action: 'sync.fail' },
    );
    expect(() => sync()).toThrow(boom);
    const forbidden = Object.assign(new Error('nope'), { status: 403 });
    const asyncDenied = logger.wrap(
      async () => {
        throw forbidden;
      },
      { action: 'async.denied' },
    );
    await expect(asyncDenied()).rejects.toBe(forbidden);
    await logger.flush();
    const [, f, d] = transport.entries();
    expect(f).toMatchObject({ action: 'sync.fail', outcome: 'failure', reason: 'disk on fire', details: { error: { name: 'Error' } } });
    expect(d).toMatchObject({ action: 'async.denied', outcome: 'denied' });
  });

  it('a resolver that throws never changes the result; the entry notes the error', async () => {
    const { logger, transport, errors } = setup();
    const fn = logger.wrap((x: number) => x * 2, {
      action: 'h',
      actor: () => {
        throw new Error('no user');
      },
    });
    expect(fn(4)).toBe(8);
    await logger.flush();
    expect(transport.entries()[1]).toMatchObject({ outcome: 'success', details: { auditErrors: ['actor resolver threw: no user'] } });
    expect(errors.map((e) => e.code)).toEqual(['ERR_AUDIT_HOOK']);
  });

  it('works as a queue consumer: each message is one entry', async () => {
    const { logger, transport } = setup();
    const handle = logger.wrap(
      async (msg: { id: string; user: string }) => {
        if (msg.id === 'm2') throw new Error('poison message');
        return 'acked';
      },
      { action: 'queue.consume', actor: (m) => ({ type: 'user', id: m.user }), resource: (m) => ({ type: 'message', id: m.id }) },
    );
    const results = await Promise.allSettled([handle({ id: 'm1', user: 'a' }), handle({ id: 'm2', user: 'b' })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    await logger.flush();
    expect(
      transport
        .entries()
        .slice(1)
        .map((e) => [e.resource?.id, e.outcome]),
    ).toEqual([
      ['m1', 'success'],
      ['m2', 'failure'],
    ]);
  });
});

describe('delivery', () => {
  it('retries failed writes with backoff; delivers every entry once, in order', async () => {
    const { logger, transport, errors } = setup();
    transport.failNext(3);
    for (let i = 0; i < 20; i++) logger.record({ action: `a${i}` });
    const res = await logger.flush();
    expect(res).toEqual({ ok: true, pending: 0 });
    expect(transport.entries().map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(transport.stats.failures).toBe(3);
    expect(errors[0]).toBeInstanceOf(AuditTransportError);
    expect(logger.health().transports[0]).toMatchObject({ status: 'ok', delivered: 21, failures: 3 });
  });

  it('health() says when each destination last failed and last took a batch (ISO times)', async () => {
    const { logger, transport } = setup();
    expect(logger.health().transports[0]?.lastSuccessAt).toBeUndefined();
    transport.failNext(1);
    const before = Date.now();
    logger.record({ action: 'a' });
    await logger.flush();
    const after = Date.now();
    const h = logger.health().transports[0];
    for (const at of [h?.lastErrorAt, h?.lastSuccessAt]) {
      expect(at).toBe(new Date(Date.parse(at as string)).toISOString());
      expect(Date.parse(at as string)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(at as string)).toBeLessThanOrEqual(after);
    }
    expect(Date.parse(h?.lastSuccessAt as string)).toBeGreaterThanOrEqual(Date.parse(h?.lastErrorAt as string));
  });

  it('batches writes', async () => {
    const { logger, transport } = setup({ queue: { batchSize: 10 } });
    for (let i = 0; i < 95; i++) logger.record({ action: 'x' });
    await logger.flush();
    expect(transport.records).toHaveLength(96);
    expect(transport.stats.writes).toBeLessThanOrEqual(12);
  });

  describe('a transport that asks for gathering (Transport.gatherMs)', () => {
    /** A transport keeping each batch's actions, asking for `gatherMs`. */
    function gathering(gatherMs: number) {
      const batches: string[][] = [];
      const transport = {
        name: 'gathering',
        gatherMs,
        async write(batch: readonly { entry: { action?: string } }[]) {
          batches.push(batch.map((r) => r.entry.action ?? '-'));
        },
      };
      const logger = createAuditLogger({ service: { name: 'svc' }, transports: [transport], handleSignals: false });
      return { logger, batches };
    }
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
    };

    it('entries arriving soon after a batch started wait and go as one batch; flush() does not wait', async () => {
      const { logger, batches } = gathering(60_000);
      logger.record({ action: 'a' });
      await turns(5);
      expect(batches).toEqual([['-', 'a']]); // the chain's first record and the first entry: at once
      for (const action of ['b', 'c', 'd']) {
        logger.record({ action });
        await turns(3); // each on its own turn: without gathering, each would be its own batch
      }
      await turns(20);
      expect(batches).toHaveLength(1);
      const flushed = await logger.flush({ timeoutMs: 5_000 });
      expect(flushed).toEqual({ ok: true, pending: 0 });
      expect(batches).toEqual([
        ['-', 'a'],
        ['b', 'c', 'd'],
      ]);
      // After the flush, gathering applies again to what follows.
      logger.record({ action: 'e' });
      await turns(20);
      expect(batches).toHaveLength(2);
      await logger.close(); // does not wait either: 'e' is delivered
      expect(batches.slice(2).flat()).toContain('e');
    });

    it('a batch after a quiet spell is written at once', async () => {
      const { logger, batches } = gathering(30);
      logger.record({ action: 'a' });
      await turns(5);
      expect(batches).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 60)); // longer than gatherMs since that batch started
      logger.record({ action: 'b' });
      await turns(5);
      expect(batches).toEqual([['-', 'a'], ['b']]);
      await logger.close();
    });

    it('a script that records and ends delivers what was gathering (the wait keeps the process alive)', async () => {
      const { spawnSync } = await import('node:child_process');
      const script = `
        import { createAuditLogger } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
        const batches = [];
        const transport = { name: 't', gatherMs: 200, async write(b) { batches.push(b.length); } };
        const logger = createAuditLogger({ service: { name: 's' }, transports: [transport], handleSignals: false });
        logger.record({ action: 'a' });
        setImmediate(() => logger.record({ action: 'b' }));
        process.on('exit', () => console.log(JSON.stringify(batches)));
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout.trim())).toEqual([2, 1]);
    });
  });

  it('flush() gives up at its timeout when a destination is down, and says what is pending', async () => {
    const { logger, transport } = setup();
    transport.setDown(true);
    logger.record({ action: 'x' });
    const t0 = performance.now();
    const res = await logger.flush({ timeoutMs: 150 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(res).toEqual({ ok: false, pending: 2 });
    expect(logger.health()).toMatchObject({ status: 'degraded', transports: [{ status: 'retrying', queued: 2 }] });
    transport.setDown(false);
    expect(await logger.flush()).toEqual({ ok: true, pending: 0 });
    expect(logger.health().status).toBe('ok');
  });

  it.each(['drop-newest', 'drop-oldest'] as const)('%s: a full queue drops entries and a gap record says which', async (overflow) => {
    const { logger, transport, errors } = setup({ queue: { maxEntries: 5, overflow } });
    transport.setDown(true);
    for (let i = 0; i < 12; i++) logger.record({ action: `a${i}` });
    expect(logger.health().transports[0]?.dropped).toBe(8);
    expect(errors.some((e) => e instanceof AuditUnavailableError)).toBe(true);
    transport.setDown(false);
    expect((await logger.flush()).ok).toBe(true);
    const entries = transport.entries();
    const gap = entries.find((e) => e.kind === 'gap');
    expect(gap?.details).toMatchObject({ transport: 'memory', count: 8, policy: overflow });
    const report = verifySync(transport.lines());
    expect(report.valid).toBe(true);
    expect(report.chains[0]?.gaps).toEqual([expect.objectContaining({ count: 8 })]);
  });

  it('fail-closed: record() throws AuditUnavailableError when the queue is full and seals nothing', async () => {
    const { logger, transport } = setup({ queue: { maxEntries: 3, overflow: 'fail-closed' } });
    transport.setDown(true);
    logger.record({ action: 'a' });
    logger.record({ action: 'b' });
    expect(logger.health().accepting).toBe(false);
    expect(() => logger.record({ action: 'c' })).toThrow(AuditUnavailableError);
    transport.setDown(false);
    await logger.flush();
    expect(logger.health().accepting).toBe(true);
    logger.record({ action: 'd' });
    await logger.flush();
    expect(transport.entries().map((e) => e.action ?? e.kind)).toEqual(['genesis', 'a', 'b', 'd']);
    expect(verifySync(transport.lines()).valid).toBe(true);
  });

  it('close() flushes, closes transports, and reports undelivered entries', async () => {
    const { logger, transport } = setup();
    const closeSpy = vi.spyOn(transport, 'close');
    logger.record({ action: 'x' });
    expect(await logger.close()).toEqual({ ok: true, pending: 0 });
    expect(closeSpy).toHaveBeenCalledOnce();
    expect(transport.records).toHaveLength(2);
  });

  it('writes to several transports independently', async () => {
    const a = createMemoryTransport({ name: 'a' });
    const b = createMemoryTransport({ name: 'b' });
    const logger = createAuditLogger({
      service: { name: 's' },
      transports: [a, b],
      handleSignals: false,
      retry: { initialDelayMs: 5 },
      onError: () => {},
    });
    b.failNext(2);
    logger.record({ action: 'x' });
    await logger.flush();
    expect(a.lines()).toEqual(b.lines());
  });
});

describe('chain options', () => {
  it('HMAC chains carry the key id', () => {
    const { logger } = setup({ chain: { id: 'k-chain', hmacKey: { id: 'key-2026', secret: `hex:${'01'.repeat(32)}` } } });
    expect(logger.record({ action: 'x' })).toMatchObject({ chain: 'k-chain', kid: 'key-2026' });
  });

  it('links the previous chain from genesis, and resumes a chain a transport can prove', async () => {
    const { logger, transport } = setup({ chain: { previous: { chain: 'old', seq: 9, hash: 'c'.repeat(64) } } });
    await logger.flush();
    expect(transport.entries()[0]?.details).toMatchObject({ previous: { chain: 'old', seq: 9, hash: 'c'.repeat(64) } });
    const head = { chain: 'resumed', seq: 41, hash: 'd'.repeat(64) };
    const t2 = Object.assign(createMemoryTransport(), { resume: () => head });
    const l2 = createAuditLogger({ service: { name: 's' }, transports: [t2], handleSignals: false });
    expect(l2.record({ action: 'x' })).toMatchObject({ chain: 'resumed', seq: 43 });
    await l2.flush();
    expect(t2.entries()[0]).toMatchObject({ kind: 'recovered', seq: 42, prev: 'd'.repeat(64) });
  });
});

describe('time source', () => {
  it('timestamps never run backwards; a wall-clock step is recorded as a clock entry', async () => {
    let wall = Date.parse('2026-03-01T00:00:00Z');
    let mono = 0;
    const clock = createSystemClock({ wallMs: () => wall, monoMs: () => mono });
    const { logger, transport } = setup({ clock });
    mono += 10;
    wall += 10;
    logger.record({ action: 'a' });
    wall += 10 - 3_600_000; // 10 ms pass, and NTP steps the wall clock back one hour
    mono += 10;
    logger.record({ action: 'b' });
    wall += 10 + 7_200_000; // ... then two hours forward
    mono += 10;
    logger.record({ action: 'c' });
    await logger.flush();
    const entries = transport.entries();
    expect(entries.map((e) => e.kind)).toEqual(['genesis', 'event', 'clock', 'event', 'clock', 'event']);
    const ts = entries.map((e) => e.ts);
    expect([...ts].sort()).toEqual(ts);
    expect(entries[2]?.details).toMatchObject({ driftMs: -3600000 });
    expect(entries[4]?.reason).toMatch(/forward/);
  });

  it("a clock of the caller's that reports a step in toISOString()'s form still gets a valid clock record: the log verifies", async () => {
    let us = Date.parse('2026-11-02T09:00:00.000Z') * 1000;
    let step: ClockStep | undefined;
    const clock = {
      nowMicros: () => (us += 7),
      takeStep: () => [step, (step = undefined)][0],
    };
    const { logger, transport } = setup({ clock });
    logger.record({ action: 'a' });
    const at = new Date(us / 1000).toISOString(); // three fractional digits, not the entry format's six
    step = { driftMs: -4200, before: at, after: at, wall: new Date(us / 1000 - 4200).toISOString(), rebased: false };
    logger.record({ action: 'b' });
    await logger.flush();
    const entries = transport.entries();
    const rec = entries.find((e) => e.kind === 'clock');
    expect(rec?.ts).toBe('2026-11-02T09:00:00.000000Z');
    expect(checkEntry(rec).valid).toBe(true);
    expect(rec?.details).toMatchObject({ after: at }); // what the clock said, as it said it
    expect(verifySync(transport.lines()).valid).toBe(true);
  });

  it('fixed clock for deterministic tests', () => {
    const c = createFixedClock('2026-01-01T00:00:00Z', 1);
    expect([c.nowMicros(), c.nowMicros()]).toEqual([1767225600000000, 1767225600000001]);
  });
});

describe('configuration is validated at creation', () => {
  it.each<[unknown, RegExp]>([
    [undefined, /options must be an object/],
    [{ transports: [createMemoryTransport()] }, /service.name is required/],
    [{ service: { name: 's', color: 'red' }, transports: [createMemoryTransport()] }, /service.color is not a known field/],
    [{ service: { name: 's' }, transports: [] }, /at least one transport/],
    [{ service: { name: 's' }, transports: [{}] }, /write\(batch\)/],
    [{ service: { name: 's' }, transports: [createMemoryTransport()], queue: { maxEntries: 0 } }, /queue.maxEntries/],
    [{ service: { name: 's' }, transports: [createMemoryTransport()], queue: { overflow: 'block' } }, /queue.overflow/],
    [{ service: { name: 's' }, transports: [createMemoryTransport()], chain: { id: 'has space' } }, /chain.id/],
    [{ service: { name: 's' }, transports: [createMemoryTransport()], chain: { hmacKey: { id: 'k', secret: 'short' } } }, /chain.hmacKey/],
    [{ service: { name: 's' }, transports: [createMemoryTransport()], chain: { previous: { chain: 'x' } } }, /chain.previous/],
    [{ service: { name: 's' }, transports: [createMemoryTransport()], onError: 'log' }, /onError/],
    [{ service: { name: 's' }, transports: [createMemoryTransport()], redact: { paths: [''] } }, /redact.paths\[0\]/],
  ])('%#: %j', (opts, msg) => {
    expect(() => createAuditLogger(opts as never)).toThrow(AuditConfigError);
    expect(() => createAuditLogger(opts as never)).toThrow(msg);
  });
});

describe('transport hooks', () => {
  it('resume() with a note: the recovered record carries it; attach() lets a transport seal retention, gap and notice records', async () => {
    const head = { chain: 'c-file', seq: 9, hash: 'a'.repeat(64), note: { tornBytes: 17, preservedAs: 'audit.log.torn' } };
    let ctx: import('../src/transport.js').TransportContext | undefined;
    const t = Object.assign(createMemoryTransport(), { resume: () => head, attach: (c: typeof ctx) => (ctx = c) });
    const logger = createAuditLogger({ service: { name: 's' }, transports: [t], handleSignals: false });
    expect(ctx?.chainId).toBe('c-file');
    ctx?.record('retention', {
      reason: 'old segments removed',
      details: { removed: [{ chain: 'c-file', firstSeq: 0, lastSeq: 4, file: 'a.log' }] },
    });
    ctx?.record('notice', { reason: 'active file was replaced; reopened' });
    await logger.flush();
    expect(t.entries().map((e) => [e.kind, e.seq])).toEqual([
      ['recovered', 10],
      ['retention', 11],
      ['notice', 12],
    ]);
    expect(t.entries()[0]?.details).toMatchObject({ tornBytes: 17, preservedAs: 'audit.log.torn', resumedAfter: { seq: 9 } });
    await logger.close();
    expect(ctx?.record('notice', { reason: 'after close' })).toBeUndefined();
  });

  it('a transport head from another chain than the configured id is linked from genesis, not resumed', async () => {
    const t = Object.assign(createMemoryTransport(), { resume: () => ({ chain: 'old', seq: 3, hash: 'b'.repeat(64) }) });
    const logger = createAuditLogger({ service: { name: 's' }, transports: [t], handleSignals: false, chain: { id: 'new' } });
    await logger.flush();
    expect(t.entries()[0]).toMatchObject({ kind: 'genesis', chain: 'new', seq: 0, details: { previous: { chain: 'old', seq: 3 } } });
  });
});

describe('recordLater()', () => {
  it('keeps call order with record(), takes ts at the call, seals in one batch before delivery', async () => {
    let now = Date.parse('2026-11-27T10:00:00Z') * 1000;
    const { logger, transport } = setup({ clock: { nowMicros: () => (now += 1000) } as never });
    logger.recordLater({ action: 'first', actor: { type: 'user', id: 'u1' } });
    logger.recordLater({ action: 'second' });
    expect(logger.health().recorded).toBe(0); // not sealed yet
    const third = logger.record({ action: 'third' }); // seals the waiting ones first
    expect(third.seq).toBe(3);
    logger.recordLater({ action: 'fourth' });
    await new Promise((r) => setImmediate(r));
    expect(logger.health().recorded).toBe(4);
    await logger.flush();
    const entries = transport.entries();
    expect(entries.map((e) => e.action ?? e.kind)).toEqual(['genesis', 'first', 'second', 'third', 'fourth']);
    const ts = entries.map((e) => e.ts);
    expect([...ts].sort()).toEqual(ts);
    expect((entries[1]?.ts as string) < (entries[2]?.ts as string)).toBe(true); // each took its own time at the call
    expect(verifySync(transport.lines()).valid).toBe(true);
  });

  it('flush() seals what is waiting; bad input becomes a rejected entry', async () => {
    const { logger, transport, errors } = setup();
    logger.recordLater({ action: 'ok' });
    logger.recordLater({ action: 'bad', details: { n: Number.NaN } } as never);
    await logger.flush();
    expect(transport.entries().map((e) => e.kind)).toEqual(['genesis', 'event', 'rejected']);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('close() seals what is waiting; recordLater() after it throws AuditClosedError', async () => {
    const { logger, transport } = setup();
    logger.recordLater({ action: 'last' });
    expect(await logger.close()).toEqual({ ok: true, pending: 0 });
    expect(transport.entries().at(-1)?.action).toBe('last');
    expect(() => logger.recordLater({ action: 'after' })).toThrow(AuditClosedError);
  });

  it('fail-closed counts entries waiting to be sealed: it refuses before a queue would overflow', async () => {
    const { logger, transport } = setup({ queue: { maxEntries: 3, overflow: 'fail-closed' } });
    transport.setDown(true);
    logger.recordLater({ action: 'a' });
    logger.recordLater({ action: 'b' });
    expect(logger.health().accepting).toBe(false);
    expect(() => logger.recordLater({ action: 'c' })).toThrow(AuditUnavailableError);
    transport.setDown(false);
    await logger.flush();
    expect(transport.entries().map((e) => e.action ?? e.kind)).toEqual(['genesis', 'a', 'b']);
    expect(logger.health().transports[0]?.dropped).toBe(0);
  });
});

describe('types follow the runtime', () => {
  it("wrap's details resolver gets the awaited result of an async function (type-checked in CI)", async () => {
    const { logger, transport } = setup();
    const f = logger.wrap(async (id: string) => ({ id, total: 42 }), {
      action: 'invoice.total',
      // `result` is { id, total } | undefined here, not a Promise: this line would not compile otherwise.
      details: (_args, result) => ({ total: result?.total }),
    });
    await f('inv_1');
    await logger.flush();
    expect(transport.entries().at(-1)?.details).toMatchObject({ total: 42 });
  });

  it('record() takes no ts (an app cannot backdate an entry): the allow-list and the type agree', async () => {
    const { logger, transport } = setup();
    logger.record({ action: 'x', ts: '2020-01-01T00:00:00.000000Z' } as never);
    await logger.flush();
    expect(transport.entries().at(-1)).toMatchObject({ kind: 'rejected', details: { error: { code: 'ERR_AUDIT_INPUT', path: 'ts' } } });
  });
});

describe('fail-closed admission: reserve() holds room for an entry recorded later', () => {
  it('reservations count against the room; a reserved entry is taken even when the queue has no more room; release() gives room back', async () => {
    const { logger, transport } = setup({ queue: { maxEntries: 3, overflow: 'fail-closed' } });
    transport.setDown(true);
    // genesis takes one place: two more fit.
    expect(logger.reserve()).toBe(true);
    expect(logger.reserve()).toBe(true);
    expect(logger.reserve()).toBe(false);
    expect(logger.accepting()).toBe(false);
    expect(() => logger.recordLater({ action: 'unreserved' })).toThrow(AuditUnavailableError);
    logger.recordLater({ action: 'first' }, { reserved: true });
    logger.release(); // the second request needed no entry
    expect(logger.reserve()).toBe(true);
    logger.recordLater({ action: 'third' }, { reserved: true });
    transport.setDown(false);
    await logger.flush();
    expect(transport.entries().map((e) => e.action ?? e.kind)).toEqual(['genesis', 'first', 'third']);
  });
});
