/**
 * formatEntry(): every kind of entry the library writes — produced by the real logger (accesses,
 * events, logins, rejected input, checkpoints, gaps, retention, notices, clock steps, recovery,
 * forward-secure epochs, heartbeats, the genesis) — mapped to OCSF, ECS and OpenTelemetry, and
 * each mapping validated against its published schema pinned in test/fixtures/schemas; every
 * mapped record leads back to its verifiable canonical line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditClock,
  type AuditEntry,
  type ClockStep,
  createAuditLogger,
  createMemoryTransport,
  ENTRY_FORMATS,
  entrySchema,
  formatEntry,
  generateNoteKey,
  type Transport,
  type TransportContext,
} from '@auditready/core';
import { fileKeyState } from '@auditready/core/spool';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it, vi } from 'vitest';
import { validateEcs, validateOcsf, validateOtelLogs } from '../../../test-support/schemas.js';

/** A clock we move by hand, which reports one wall-clock step when asked to. */
function handClock(): AuditClock & { advance(ms: number): void; step(): void } {
  let us = Date.parse('2026-11-02T09:00:00.000Z') * 1000;
  let pending: ClockStep | undefined;
  return {
    nowMicros: () => (us += 7),
    takeStep: () => {
      const s = pending;
      pending = undefined;
      return s;
    },
    advance: (ms) => {
      us += ms * 1000;
    },
    step: () => {
      const at = new Date(us / 1000).toISOString();
      pending = { driftMs: 4200, before: at, after: at, wall: new Date(us / 1000 + 4200).toISOString(), rebased: false };
    },
  };
}

/** A transport that holds what it gets and lends us its context (to declare gaps, retention, notices). */
function holdingTransport(): Transport & { ctx?: TransportContext } {
  const t: Transport & { ctx?: TransportContext } = {
    name: 'holding',
    async write() {},
    attach(ctx) {
      t.ctx = ctx;
    },
  };
  return t;
}

async function corpus(): Promise<{ lines: string[]; entries: AuditEntry[] }> {
  const clock = handClock();
  const mem = createMemoryTransport();
  const holding = holdingTransport();
  const key = generateNoteKey('formats.example/audit');
  const log = createAuditLogger({
    service: { name: 'billing-api', version: '3.14.0', env: 'production', host: 'api-7', instance: 'i-1' },
    transports: [mem, holding],
    handleSignals: false,
    onError: () => {},
    clock,
    checkpoints: { signer: key.signerKey, everyEntries: 1000, intervalMs: 0 },
    chain: {
      forwardSecure: {
        store: fileKeyState(join(mkdtempSync(join(tmpdir(), 'ar-fmt-')), 'fss')),
        initialKey: { id: 'fss1', secret: `hex:${'42'.repeat(32)}` },
        epochMs: 3_600_000,
      },
    },
  });
  const http = {
    method: 'GET',
    route: '/invoices/:id',
    path: '/invoices/inv_1?x=1',
    status: 200,
    durationMs: 12.4,
    bytesIn: 0,
    bytesOut: 512,
    requestId: 'req-1',
    protocol: 'HTTP/1.1',
  };
  const trace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' };
  const alice = {
    type: 'user' as const,
    id: 'u-alice',
    name: 'alice',
    ip: '203.0.113.7',
    userAgent: 'curl/8',
    session: 's-1',
    roles: ['user'],
  };
  log.record({
    kind: 'access',
    action: 'invoice.read',
    outcome: 'success',
    actor: alice,
    resource: { type: 'invoice', id: 'inv_1' },
    http,
    trace,
  });
  log.record({
    kind: 'access',
    action: 'DELETE /invoices/:id',
    outcome: 'denied',
    reason: 'requires role admin',
    actor: alice,
    resource: { type: 'invoice', id: 'inv_1' },
    http: { ...http, method: 'DELETE', status: 403 },
  });
  log.record({
    kind: 'access',
    action: 'POST /invoices',
    outcome: 'error',
    actor: { type: 'anonymous', ip: '2001:db8::1' },
    http: { method: 'POST', route: '/invoices', status: 500 },
  });
  log.record({
    kind: 'access',
    action: 'PATCH /x',
    outcome: 'aborted',
    actor: { type: 'service', id: 'svc-batch' },
    http: { method: 'PATCH', path: '/x' },
  });
  log.record({
    kind: 'access',
    action: 'POST /login',
    outcome: 'failure',
    actor: { type: 'anonymous', name: 'mallory', ip: '198.51.100.4' },
    http: { method: 'POST', route: '/login', status: 401 },
  });
  log.record({ kind: 'event', action: 'user.logout', outcome: 'success', actor: { type: 'user', id: 'u-alice' } });
  log.record({
    kind: 'event',
    action: 'invoice.issued',
    actor: { type: 'system', impersonator: { id: 'u-root', type: 'user' } },
    resource: { type: 'invoice', id: '42' },
    details: { amount: 12 },
  });
  log.record({ action: 'report.export', outcome: 'success', actor: { type: 'user', id: 'u-bob' }, resource: { type: 'report' } });
  log.record({ action: 'x', actor: { type: 'nobody' as 'user' } }); // refused by the schema: sealed as `rejected`
  holding.ctx?.record('gap', { reason: 'the collector lost 3 entries', details: { from: 1, to: 3, count: 3 } });
  holding.ctx?.record('retention', { reason: 'retention policy removed 1 segment(s)', details: { policy: { maxFiles: 3 }, removed: [] } });
  holding.ctx?.record('notice', { reason: 'spool moved' });
  clock.step();
  log.record({ action: 'after.step' });
  await log.checkpoint();
  clock.advance(3_700_000); // a new forward-secure epoch
  log.record({ action: 'next.epoch' });
  await log.close();
  // A second logger resumes the chain: its first record is `recovered`.
  const head = mem.entries().at(-1) as AuditEntry;
  const resumed = createMemoryTransport();
  const log2 = createAuditLogger({
    service: { name: 'billing-api' },
    transports: [Object.assign(resumed, { resume: () => ({ chain: head.chain, seq: head.seq, hash: head.hash, note: { torn: 0 } }) })],
    handleSignals: false,
  });
  log2.record({ action: 'after.restart' });
  await log2.close();
  // A quiet logger: after its interval with nothing sealed, a heartbeat.
  const quiet = createMemoryTransport();
  const log3 = createAuditLogger({ service: { name: 'quiet' }, transports: [quiet], handleSignals: false, heartbeatMs: 40 });
  await vi.waitFor(() => expect(quiet.entries().some((e) => e.kind === 'heartbeat')).toBe(true), { timeout: 20_000, interval: 10 });
  await log3.close();
  // Encryption at rest and erasure: sealed content (enc, pii inside it) and an erasure record.
  const sealed = createMemoryTransport();
  const subjectKeys = new Map<string, Uint8Array>();
  const log4 = createAuditLogger({
    service: { name: 'billing-api' },
    transports: [sealed],
    handleSignals: false,
    encryption: { recipients: [{ type: 'test', id: 't', wrapKey: async (k: Uint8Array) => k }], keyStore: { put: async () => {} } },
    erasure: {
      pseudonymKey: { id: 'p', secret: `hex:${'11'.repeat(32)}` },
      keyStore: {
        put: async (sid: string, kid: string, key: Uint8Array) => void subjectKeys.set(`${sid}/${kid}`, key),
        get: async (sid: string, kid: string) => subjectKeys.get(`${sid}/${kid}`),
        erase: async () => 1,
      },
    },
  });
  log4.record({ kind: 'access', action: 'invoice.read', actor: alice, resource: { type: 'invoice', id: 'inv_9' }, http, trace });
  log4.record({ action: 'user.logout', actor: { type: 'user', id: 'u-alice' } });
  await log4.eraseSubject('u-alice');
  await log4.close();
  return {
    lines: [...mem.lines(), ...resumed.lines(), ...quiet.lines(), ...sealed.lines()],
    entries: [...mem.entries(), ...resumed.entries(), ...quiet.entries(), ...sealed.entries()],
  };
}

describe('entry formats against their published schemas', async () => {
  const { lines, entries } = await corpus();

  it('the corpus holds every kind the library writes', () => {
    const kinds = new Set(entries.map((e) => e.kind));
    const all = entrySchema.properties.kind.enum as readonly string[];
    expect([...all].filter((k) => !kinds.has(k as AuditEntry['kind']))).toEqual([]);
  });

  for (const format of ENTRY_FORMATS)
    it(`${format}: every entry validates, and carries its canonical line and chain position`, () => {
      entries.forEach((e, i) => {
        const out = formatEntry(format, e, lines[i]);
        const problems = format === 'ocsf' ? validateOcsf(out) : format === 'ecs' ? validateEcs(out) : validateOtelLogs(out);
        expect(problems, `${e.kind} ${e.action ?? ''}`).toEqual([]);
        const text = JSON.stringify(out);
        expect(text).toContain(JSON.stringify(lines[i]).slice(1, -1)); // the original line, escaped as a JSON string
        expect(text).toContain(e.hash);
      });
    });

  it('the lines carried in the mapped records verify as the log they came from', () => {
    const back = entries.map((e, i) => {
      const ocsf = formatEntry('ocsf', e, lines[i]) as { raw_data: string };
      const ecs = formatEntry('ecs', e, lines[i]) as { event: { original: string } };
      const otel = formatEntry('otel-json', e, lines[i]) as {
        resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[];
      };
      expect(ecs.event.original).toBe(ocsf.raw_data);
      expect(otel.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.body.stringValue).toBe(ocsf.raw_data);
      return ocsf.raw_data;
    });
    const fss = { forwardSecure: [{ id: 'fss1', secret: `hex:${'42'.repeat(32)}` }] };
    expect(back).toEqual(lines);
    const first = back.filter((l) => l.includes('"kid":"fss1'));
    expect(first.length).toBeGreaterThan(10);
    expect(verifySync(first, fss).breaks).toEqual([]);
  });

  it("classes and categories: API Activity for accesses (CRUD from the method), Authentication for logins, Base Event for the chain's own records", () => {
    const ocsf = entries.map((e, i) => formatEntry('ocsf', e, lines[i]) as Record<string, unknown>);
    const byAction = (a: string) => ocsf[entries.findIndex((e) => e.action === a)] as Record<string, unknown>;
    expect(byAction('invoice.read')).toMatchObject({
      class_uid: 6003,
      activity_id: 2,
      type_uid: 600302,
      status_id: 1,
      actor: { user: { uid: 'u-alice' } },
    });
    expect(byAction('DELETE /invoices/:id')).toMatchObject({
      activity_id: 4,
      status_id: 2,
      severity_id: 3,
      status_detail: 'requires role admin',
      http_response: { code: 403 },
    });
    expect(byAction('POST /login')).toMatchObject({ class_uid: 3002, activity_id: 1, user: { name: 'mallory' }, status_id: 2 });
    expect(byAction('user.logout')).toMatchObject({ class_uid: 3002, activity_id: 2 });
    const gap = ocsf[entries.findIndex((e) => e.kind === 'gap')] as Record<string, unknown>;
    expect(gap).toMatchObject({ class_uid: 0, activity_name: 'gap', severity_id: 4 });
    const second = ocsf[1] as {
      attestation_list: { chain_uid: string; fingerprint: { value: string }; prev_event: { fingerprint: { value: string } } }[];
    };
    expect(second.attestation_list[0]).toMatchObject({
      chain_uid: entries[1]?.chain,
      fingerprint: { value: entries[1]?.hash },
      prev_event: { fingerprint: { value: entries[0]?.hash } },
    });
    const ecs = formatEntry('ecs', entries[1] as AuditEntry, lines[1]) as {
      event: Record<string, unknown>;
      labels: Record<string, string>;
    };
    expect(ecs.event).toMatchObject({ sequence: entries[1]?.seq, hash: entries[1]?.hash, outcome: 'success' });
    expect(ecs.labels.auditready_prev).toBe(entries[0]?.hash);
  });
});

describe('the schema validators are not vacuous', async () => {
  const { lines, entries } = await corpus();
  const i = entries.findIndex((e) => e.action === 'invoice.read');
  const e = entries[i] as AuditEntry;
  const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

  it('OCSF: an unknown attribute, a missing required one, a wrong type, a value outside an enum, a profile not applied', () => {
    const base = formatEntry('ocsf', e, lines[i]) as Record<string, unknown> & {
      api: Record<string, unknown>;
      http_response: Record<string, unknown>;
    };
    const a = clone(base);
    (a as Record<string, unknown>).nonsense = 1;
    delete a.api.operation;
    a.http_response.code = '200';
    a.severity_id = 42;
    (a as Record<string, unknown>).cloud = { provider: 'x' };
    const problems = validateOcsf(a).join('\n');
    expect(problems).toMatch(/nonsense: not an attribute/);
    expect(problems).toMatch(/api: required operation missing/);
    expect(problems).toMatch(/http_response\.code: expected an integer/);
    expect(problems).toMatch(/severity_id: 42 is not in its enum/);
    expect(problems).toMatch(/cloud: belongs to the cloud profile/);
  });

  it('ECS: an unknown field, a wrong type, a value not allowed, an array where ECS has none', () => {
    const d = clone(formatEntry('ecs', e, lines[i])) as {
      event: Record<string, unknown>;
      http: { response: Record<string, unknown> };
      user: Record<string, unknown>;
    };
    d.event.outcome = 'denied';
    d.event.nonsense = 'x';
    d.http.response.status_code = '200';
    d.user.id = ['a', 'b'];
    const problems = validateEcs(d).join('\n');
    expect(problems).toMatch(/event\.outcome: denied is not an allowed value/);
    expect(problems).toMatch(/event\.nonsense: not an ECS/);
    expect(problems).toMatch(/http\.response\.status_code: "200" is not of type long/);
    expect(problems).toMatch(/user\.id: not an array field/);
  });

  it('OpenTelemetry: a snake_case field, a trace id that is not 32 hex digits, a deprecated or unknown attribute, a wrongly typed one', () => {
    const r = clone(formatEntry('otel-json', e, lines[i])) as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    const rec = r.resourceLogs[0]?.scopeLogs[0]?.logRecords[0] as Record<string, unknown> & { attributes: unknown[] };
    rec.time_unix_nano = '1';
    rec.traceId = 'not-hex';
    rec.attributes.push(
      { key: 'http.method', value: { stringValue: 'GET' } },
      { key: 'made.up', value: { stringValue: 'x' } },
      { key: 'http.response.status_code', value: { stringValue: '200' } },
    );
    const problems = validateOtelLogs(r).join('\n');
    expect(problems).toMatch(/time_unix_nano: not a field of LogRecord/);
    expect(problems).toMatch(/traceId: OTLP\/JSON carries trace_id as 32 hex/);
    expect(problems).toMatch(/http\.method: deprecated/);
    expect(problems).toMatch(/made\.up: not in the semantic-conventions registry/);
    expect(problems).toMatch(/http\.response\.status_code: the registry types it int/);
  });
});
