import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditConfigError, type AuditError, createAuditLogger, createMemoryTransport, type SealedRecord } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { runToEnd } from '../../../test-support/child.js';
import { validateEcs, validateOcsf, validateOtelLogs } from '../../../test-support/schemas.js';
import { createHttpTransport, encode, type HttpTransportOptions } from '../src/index.js';
import { type Behaviour, startReceiver, tempDir } from './helpers.js';

const fixtures = join(import.meta.dirname, 'fixtures');

function setup(url: string, extra: Partial<HttpTransportOptions> = {}) {
  const spool = tempDir('ar-spool-');
  const transport = createHttpTransport({ url, spool: { dir: spool }, timeoutMs: 500, ...extra });
  const errors: AuditError[] = [];
  const logger = createAuditLogger({
    service: { name: 'http-test' },
    transports: [transport],
    handleSignals: false,
    queue: { batchSize: 10 },
    retry: { initialDelayMs: 10, maxDelayMs: 100 },
    onError: (e) => errors.push(e),
  });
  return { transport, logger, errors, spool };
}

/** The receiver's log: verifies, every seq exactly once, in order. */
function expectComplete(lines: string[], count: number) {
  const report = verifySync(lines);
  expect(report.breaks).toEqual([]);
  const seqs = lines.map((l) => JSON.parse(l).seq);
  expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));
  return report;
}

describe('http transport against servers that fail on purpose', () => {
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(() => {
    // A self-signed certificate for 127.0.0.1, committed for the tests only (valid for 100 years).
    tls = { key: readFileSync(join(fixtures, 'test-key.pem')), cert: readFileSync(join(fixtures, 'test-cert.pem')) };
  });

  const scenarios: [string, Behaviour[]][] = [
    ['500s', [{ status: 500 }, { status: 503 }, { status: 502 }]],
    ['429 with Retry-After', [{ status: 429, retryAfter: '1' }]],
    ['a connection reset mid-body', ['reset', 'reset']],
    ['a slow response past the timeout', [{ slowMs: 1500 }]],
    ['a receiver that acknowledges then crashes', ['ack-then-crash', 'ack-then-crash']],
  ];
  for (const protocol of ['http', 'https'] as const) {
    it.each(scenarios)(`${protocol}: %s: everything arrives exactly once, in order, and verifies`, async (_name, plan) => {
      const recv = await startReceiver([...plan], protocol === 'https' ? { tls } : {});
      const { logger, transport } = setup(recv.url, protocol === 'https' ? { tls: { ca: tls.cert } } : {});
      for (let i = 0; i < 35; i++) logger.record({ action: 'a', details: { i } });
      expect((await logger.flush({ timeoutMs: 10000 })).ok).toBe(true); // spooled: durable
      expect(await transport.idle(10000)).toBe(true); // delivered
      await logger.close();
      expectComplete(recv.lines(), 36);
      expect(transport.stats.retries).toBeGreaterThan(0);
      expect(transport.spooled()).toBe(0);
      if (plan.includes('ack-then-crash')) expect(recv.stats.duplicates).toBeGreaterThan(0);
      await recv.close();
    });
  }

  it('honours Retry-After before the next attempt', async () => {
    const recv = await startReceiver([{ status: 429, retryAfter: '1' }]);
    const { logger, transport } = setup(recv.url);
    const t0 = Date.now();
    logger.record({ action: 'a' });
    await logger.flush({ timeoutMs: 5000 });
    expect(await transport.idle(5000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    await logger.close();
    await recv.close();
  });

  it('a server down for a while then back: nothing lost', async () => {
    const recv = await startReceiver();
    const port = recv.port;
    await recv.close();
    const { logger, transport } = setup(`http://127.0.0.1:${port}/ingest`);
    for (let i = 0; i < 25; i++) logger.record({ action: 'a', details: { i } });
    await new Promise((r) => setTimeout(r, 300));
    expect(logger.health().transports[0]?.status).toBe('retrying');
    expect(transport.spooled()).toBeGreaterThan(0);
    const back = await startReceiver([], { port, dir: recv.dir });
    expect((await logger.flush({ timeoutMs: 10000 })).ok).toBe(true);
    expect(await transport.idle(10000)).toBe(true);
    await logger.close();
    expectComplete(back.lines(), 26);
    await back.close();
  });

  it('a 400 is permanent: the batch goes to the dead-letter file, onError says so, a gap record declares it, delivery moves on', async () => {
    const recv = await startReceiver([{ status: 400 }]);
    const { logger, errors, spool, transport } = setup(recv.url);
    for (let i = 0; i < 5; i++) logger.record({ action: 'a', details: { i } });
    await logger.flush({ timeoutMs: 5000 });
    expect(await transport.idle(5000)).toBe(true);
    logger.record({ action: 'after' });
    expect((await logger.flush({ timeoutMs: 5000 })).ok).toBe(true);
    expect(await transport.idle(5000)).toBe(true);
    await logger.close();
    const dead = readFileSync(join(spool, 'dead-letter.ndjson'), 'utf8').trim().split('\n');
    expect(dead.length).toBeGreaterThan(0);
    expect(verifySync(dead, { allowPartialStart: true }).breaks).toEqual([]); // dead letters are still sealed lines
    expect(errors.some((e) => e.code === 'ERR_AUDIT_TRANSPORT' && /refused permanently/.test(e.message))).toBe(true);
    expect(logger.health().transports[0]?.lastError).toMatch(/dead-lettered/);
    const report = verifySync(recv.lines());
    expect(report.valid).toBe(true); // the hole is declared, not hidden
    expect(report.chains[0]?.gaps).toEqual([expect.objectContaining({ count: dead.length })]);
    await recv.close();
  });

  it('a full spool hands over to the logger overflow policy: entries dropped with a gap record, delivery resumes', async () => {
    const recv = await startReceiver();
    const { port, dir } = recv;
    await recv.close();
    const spool = tempDir('ar-spool-full-');
    const transport = createHttpTransport({
      url: `http://127.0.0.1:${port}/ingest`,
      spool: { dir: spool, maxBytes: 4000 },
      timeoutMs: 300,
    });
    const errors: AuditError[] = [];
    const logger = createAuditLogger({
      service: { name: 'spool-full' },
      transports: [transport],
      handleSignals: false,
      queue: { batchSize: 5, maxEntries: 5 },
      retry: { initialDelayMs: 10, maxDelayMs: 50 },
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 60; i++) {
      logger.record({ action: 'a', details: { i } });
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(logger.health().transports[0]?.dropped).toBeGreaterThan(0);
    expect(errors.some((e) => /spool full/.test(e.message))).toBe(true);
    const back = await startReceiver([], { port, dir });
    await logger.flush({ timeoutMs: 5000 });
    expect(await transport.idle(10000)).toBe(true);
    await logger.close();
    const report = verifySync(back.lines());
    expect(report.valid).toBe(true); // what was dropped is declared
    expect(report.chains[0]?.gaps.length).toBeGreaterThan(0);
    await back.close();
  });

  it('https with a private CA; certificate checks stay on by default', async () => {
    const key = readFileSync(join(fixtures, 'test-key.pem'));
    const cert = readFileSync(join(fixtures, 'test-cert.pem'));
    const recv = await startReceiver([], { tls: { key, cert } });
    const untrusted = setup(recv.url);
    untrusted.logger.record({ action: 'a' });
    await untrusted.logger.flush({ timeoutMs: 400 });
    expect(await untrusted.transport.idle(400)).toBe(false);
    expect(untrusted.logger.health().transports[0]).toMatchObject({
      status: 'retrying',
      lastError: expect.stringMatching(/self-signed|certificate/i),
    });
    await untrusted.logger.close({ timeoutMs: 100 });
    const trusted = setup(recv.url, { tls: { ca: cert }, gzip: true, auth: { bearer: 'ingest-token' } });
    for (let i = 0; i < 12; i++) trusted.logger.record({ action: 'a', details: { i } });
    expect((await trusted.logger.flush({ timeoutMs: 5000 })).ok).toBe(true);
    expect(await trusted.transport.idle(5000)).toBe(true);
    await trusted.logger.close();
    expectComplete(recv.lines(), 13);
    await recv.close();
  });
});

describe('formats', () => {
  // Records the real logger sealed: an access (with HTTP and trace), a business event, the genesis.
  let real: SealedRecord[] = [];
  beforeAll(async () => {
    const mem = createMemoryTransport();
    const log = createAuditLogger({ service: { name: 'billing-api', host: 'api-1' }, transports: [mem], handleSignals: false });
    log.record({
      kind: 'access',
      action: 'GET /invoices/:id',
      outcome: 'success',
      actor: { type: 'user', id: 'u1', ip: '203.0.113.5' },
      resource: { type: 'invoice', id: '7' },
      http: { method: 'GET', route: '/invoices/:id', path: '/invoices/7', status: 200, requestId: 'r1' },
      trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
    });
    log.record({ action: 'invoice.issued', actor: { type: 'system' } });
    await log.close();
    real = mem.entries().map((entry, i) => ({ entry, line: mem.lines()[i] as string })) as SealedRecord[];
  });

  it('Elasticsearch _bulk sends ECS documents (the canonical line as event.original) with chain:seq as _id', () => {
    const { body, contentType } = encode(real, { type: 'elasticsearch', index: 'audit' });
    const docs = body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(contentType).toBe('application/x-ndjson');
    expect(docs[0]).toEqual({ index: { _index: 'audit', _id: `${real[0]?.entry.chain}:0` } });
    expect(docs[1].event.original).toBe(real[0]?.line);
    expect(validateEcs(docs[1])).toEqual([]);
  });

  it('Splunk HEC sends OCSF events (the canonical line as raw_data)', () => {
    const { body } = encode(real, { type: 'splunk-hec', index: 'main' });
    const first = JSON.parse(body.split('\n')[0] as string);
    expect(first).toMatchObject({ sourcetype: 'ocsf:auditready', index: 'main', event: { raw_data: real[0]?.line } });
    expect(validateOcsf(first.event)).toEqual([]);
  });

  it('ocsf / ecs: one valid document per line; otel-json: one OTLP/JSON request with every record', () => {
    for (const [type, validate, lineOf] of [
      ['ocsf', validateOcsf, (d: { raw_data: string }) => d.raw_data],
      ['ecs', validateEcs, (d: { event: { original: string } }) => d.event.original],
    ] as const) {
      const docs = encode(real, { type })
        .body.trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(docs.map((d) => (lineOf as (d: unknown) => string)(d))).toEqual(real.map((r) => r.line));
      for (const d of docs) expect(validate(d)).toEqual([]);
    }
    const otel = encode(real, { type: 'otel-json' });
    expect(otel.contentType).toBe('application/json');
    const req = JSON.parse(otel.body);
    expect(validateOtelLogs(req)).toEqual([]);
    expect(
      req.resourceLogs.map(
        (r: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }) => r.scopeLogs[0]?.logRecords[0]?.body.stringValue,
      ),
    ).toEqual(real.map((r) => r.line));
  });
});

describe('configuration', () => {
  it.each<[object, RegExp]>([
    [{ url: 'not a url' }, /absolute http/],
    [{ url: 'ftp://x/y' }, /http: or https:/],
    [{ url: 'http://x/y' }, /deadLetterFile is required/],
    [{ url: 'http://x/y', deadLetterFile: '/tmp/dl', format: { type: 'elasticsearch' } }, /index is required/],
    [{ url: 'http://x/y', deadLetterFile: '/tmp/dl', format: { type: 'xml' } }, /format.type must be one of ndjson, ocsf, ecs, otel-json/],
    [{ url: 'http://x/y', deadLetterFile: '/tmp/dl', auth: { token: 'x' } }, /auth must be/],
  ])('%j', (opts, msg) => {
    expect(() => createHttpTransport(opts as never)).toThrow(AuditConfigError);
    expect(() => createHttpTransport(opts as never)).toThrow(msg);
  });
});

describe('delivery under partial failure and long pauses (no spool)', () => {
  it('connection resets on every third request: a batch resumes after its last acknowledged part, every entry arrives once', async () => {
    const plan: Behaviour[] = [];
    for (let i = 0; i < 200; i++) plan.push('ok', 'ok', 'reset');
    const recv = await startReceiver(plan);
    const transport = createHttpTransport({
      url: recv.url,
      timeoutMs: 500,
      maxBodyBytes: 1200,
      deadLetterFile: join(tempDir(), 'dead.ndjson'),
    });
    const logger = createAuditLogger({
      service: { name: 'http-resets' },
      transports: [transport],
      handleSignals: false,
      queue: { batchSize: 40 },
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
      onError: () => {},
    });
    for (let i = 0; i < 120; i++) logger.record({ action: 'a', details: { i } });
    expect((await logger.flush({ timeoutMs: 20_000 })).ok).toBe(true);
    await logger.close();
    expectComplete(recv.lines(), 121);
    // Progress, not resends: a reset costs one more request, not a replay of the batch so far.
    expect(recv.seen.filter((b) => b === 'ok').length).toBeLessThan(121);
    await recv.close();
  });

  it('a Retry-After of 120 s without a spool does not keep the process alive once the app is done', async () => {
    const recv = await startReceiver(Array.from({ length: 50 }, () => ({ status: 429, retryAfter: '120' })));
    const script = `
      import { createAuditLogger } from '@auditready/core';
      import { createHttpTransport } from '@auditready/transport-http';
      const transport = createHttpTransport({ url: ${JSON.stringify(recv.url)}, deadLetterFile: ${JSON.stringify(join(tempDir(), 'dead.ndjson'))} });
      const logger = createAuditLogger({ service: { name: 'paused' }, transports: [transport], shutdownTimeoutMs: 500, onError: () => {} });
      for (let i = 0; i < 3; i++) logger.record({ action: 'a' });
      // the main module ends here
    `;
    // Not spawnSync: the receiver in this process must keep answering.
    const t0 = Date.now();
    const r = await runToEnd('--input-type=module', ['-e', script], join(import.meta.dirname, '..'));
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000); // the 120 s pause does not hold the process
    await recv.close();
  }, 40_000);
});
