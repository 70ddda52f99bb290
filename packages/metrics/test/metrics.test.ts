/**
 * The logger's operational metrics through prom-client and the OpenTelemetry SDK, from a logger
 * whose HTTP transport meets a real failing server, whose queue overflows, and whose checkpoints
 * a real litewitness cosigns.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosignatureSigner, createAuditLogger, createMemoryTransport, generateNoteKey } from '@auditready/core';
import { createHttpTransport } from '@auditready/transport-http';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installLitewitness, type Litewitness, startLitewitness, witnessAvailable } from '../../../test-support/litewitness.js';
import { collectMetrics, registerOpenTelemetryMetrics } from '../src/index.js';
import { registerPrometheusMetrics } from '../src/prometheus.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ar-metrics-'));

/** A collector that answers 503 until told otherwise. */
async function collector(): Promise<{ url: string; server: Server; up: () => void; received: () => number }> {
  let healthy = false;
  let received = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += String(d);
    });
    req.on('end', () => {
      if (!healthy) {
        res.writeHead(503).end('down');
        return;
      }
      received += body.split('\n').filter((l) => l.trim() !== '').length;
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    server,
    up: () => {
      healthy = true;
    },
    received: () => received,
  };
}

/** A sample's value in Prometheus text, by metric name and a label substring. */
function value(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!line.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('Prometheus (prom-client)', () => {
  it('exports recorded, rejected, per-transport queue depth, delivery errors and retrying while a collector fails, and their recovery', async () => {
    const c = await collector();
    const http = createHttpTransport({ url: c.url, deadLetterFile: join(tmp(), 'dead.ndjson') });
    const log = createAuditLogger({
      service: { name: 'm' },
      transports: [http, createMemoryTransport()],
      handleSignals: false,
      onError: () => {},
    });
    const registry = new Registry();
    const off = registerPrometheusMetrics(log, { registry, labels: { log: 'access' } });
    for (let i = 0; i < 20; i++) log.record({ action: 'doc.read', actor: { type: 'user', id: `u${i}` } });
    log.record({ action: 'doc.read', actor: { type: 'nobody' as 'user' } }); // refused by the schema: a rejected record
    await vi.waitFor(
      async () =>
        expect(value(await registry.metrics(), 'auditready_transport_delivery_errors_total', 'lane="entries"')).toBeGreaterThan(0),
      {
        timeout: 10_000,
        interval: 20,
      },
    );
    const failing = await registry.metrics();
    expect(value(failing, 'auditready_entries_recorded_total', 'log="access"')).toBe(log.health().recorded);
    expect(value(failing, 'auditready_entries_rejected_total')).toBe(1);
    const httpName = log.health().transports[0]?.name as string;
    expect(value(failing, 'auditready_transport_queue_depth', `transport="${httpName}"`)).toBeGreaterThan(0);
    expect(value(failing, 'auditready_transport_retrying', `transport="${httpName}"`)).toBe(1);
    expect(value(failing, 'auditready_accepting')).toBe(1);
    expect(failing).toContain('# TYPE auditready_entries_recorded_total counter');
    expect(failing).toContain('# TYPE auditready_transport_queue_depth gauge');
    c.up();
    await vi.waitFor(
      async () => expect(value(await registry.metrics(), 'auditready_transport_queue_depth', `transport="${httpName}"`)).toBe(0),
      {
        timeout: 10_000,
        interval: 20,
      },
    );
    const healthy = await registry.metrics();
    expect(value(healthy, 'auditready_transport_retrying', `transport="${httpName}"`)).toBe(0);
    expect(value(healthy, 'auditready_transport_delivered_total', `transport="${httpName}"`)).toBe(c.received());
    expect(c.received()).toBeGreaterThanOrEqual(21); // the 20 entries, the rejected record, the chain's own
    await log.close();
    expect(log.health().accepting).toBe(false);
    expect(value(await registry.metrics(), 'auditready_accepting')).toBe(0);
    off();
    expect(await registry.getSingleMetric('auditready_entries_recorded_total')).toBeUndefined();
    await new Promise((r) => c.server.close(r));
  });

  it('counts entries a full queue dropped; two loggers share a registry by their labels; unregistering one keeps the other', async () => {
    const c = await collector(); // never healthy
    const log = createAuditLogger({
      service: { name: 'm' },
      transports: [createHttpTransport({ url: c.url, deadLetterFile: join(tmp(), 'dead.ndjson') })],
      queue: { maxEntries: 5, overflow: 'drop-newest' },
      handleSignals: false,
      onError: () => {},
    });
    const other = createAuditLogger({ service: { name: 'reads' }, transports: [createMemoryTransport()], handleSignals: false });
    const registry = new Registry();
    const offA = registerPrometheusMetrics(log, { registry, labels: { log: 'access' } });
    const offB = registerPrometheusMetrics(other, { registry, labels: { log: 'reads' } });
    for (let i = 0; i < 30; i++) log.record({ action: 'doc.read' });
    other.record({ action: 'logs.read' });
    const text = await registry.metrics();
    expect(value(text, 'auditready_entries_dropped_total', 'log="access"')).toBe(log.health().transports[0]?.dropped);
    expect(value(text, 'auditready_entries_dropped_total', 'log="access"')).toBeGreaterThan(0);
    expect(value(text, 'auditready_entries_recorded_total', 'log="reads"')).toBe(other.health().recorded);
    offA();
    const after = await registry.metrics();
    expect(value(after, 'auditready_entries_recorded_total', 'log="access"')).toBeUndefined();
    expect(value(after, 'auditready_entries_recorded_total', 'log="reads"')).toBe(other.health().recorded);
    offB();
    await Promise.all([log.close({ timeoutMs: 100 }), other.close()]);
    await new Promise((r) => c.server.close(r));
  });
});

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

describe('OpenTelemetry (sdk-metrics)', () => {
  it('observes the same figures as instruments of the meter given, with units; removing them stops the observations', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const key = generateNoteKey('metrics.example/log');
    const log = createAuditLogger({
      service: { name: 'otel' },
      transports: [createMemoryTransport()],
      handleSignals: false,
      checkpoints: { signer: key.signerKey, everyEntries: 1000, intervalMs: 0 },
    });
    const off = registerOpenTelemetryMetrics(log, provider.getMeter('auditready'), { attributes: { log: 'access' } });
    for (let i = 0; i < 7; i++) log.record({ action: 'doc.read' });
    await log.checkpoint();
    log.record({ action: 'doc.read' });
    const { resourceMetrics } = await reader.collect();
    const metrics = new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
    const point = (name: string) => metrics.get(name)?.dataPoints[0];
    expect(point('auditready.entries.recorded')?.value).toBe(log.health().recorded);
    expect(point('auditready.entries.recorded')?.attributes).toEqual({ log: 'access' });
    expect(metrics.get('auditready.entries.recorded')?.descriptor.unit).toBe('{entry}');
    expect(point('auditready.checkpoint.uncovered')?.value).toBe(1);
    expect(point('auditready.checkpoint.age')?.value).toBeLessThan(60);
    expect(metrics.get('auditready.checkpoint.age')?.descriptor.unit).toBe('s');
    expect(point('auditready.transport.queue.depth')?.attributes).toMatchObject({ lane: 'entries' });
    off();
    log.record({ action: 'doc.read' });
    const later = await reader.collect();
    const recorded = later.resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'auditready.entries.recorded');
    expect(recorded?.dataPoints[0]?.value ?? 0).toBeLessThan(log.health().recorded); // no longer observed
    await log.close();
    await provider.shutdown();
  });
});

describe('checkpoint and witness ages', () => {
  it('the checkpoint age counts from the newest checkpoint, or from registration before the first', () => {
    const key = generateNoteKey('metrics.example/age');
    const log = createAuditLogger({
      service: { name: 'age' },
      transports: [createMemoryTransport()],
      handleSignals: false,
      checkpoints: { signer: key.signerKey, everyEntries: 1000, intervalMs: 0 },
    });
    const since = Date.now() - 90_000;
    expect(collectMetrics(log, { since }).checkpointAge[0]?.value).toBeGreaterThanOrEqual(90);
    log.record({ action: 'a' });
    return log.checkpoint().then(async () => {
      const at = Date.parse(log.health().checkpoints?.last?.at ?? '');
      expect(collectMetrics(log, { since, now: () => at + 30_000 }).checkpointAge[0]?.value).toBe(30);
      await log.close();
    });
  });

  describe.skipIf(!witnessAvailable)('with a real litewitness', () => {
    let witness: Litewitness;
    beforeAll(async () => {
      witness = await startLitewitness(installLitewitness(), 'metrics.test/w1');
    }, 600_000);
    afterAll(async () => {
      await witness?.close();
    });

    it('witness_up is 1 and the cosignature age small once it cosigned; an unreachable witness reads 0', async () => {
      const key = generateNoteKey('metrics.example/witnessed');
      witness.addLog('metrics.example/witnessed/c1', key.verifierKey);
      const dead = cosignatureSigner('dead.example/w', new Uint8Array(32).fill(7));
      const log = createAuditLogger({
        service: { name: 'w' },
        transports: [createMemoryTransport()],
        handleSignals: false,
        chain: { id: 'c1' },
        onError: () => {},
        checkpoints: {
          signer: key.signerKey,
          everyEntries: 5,
          intervalMs: 0,
          witnesses: [
            { url: witness.url, key: witness.key },
            { url: 'http://127.0.0.1:9', key: dead.verifierKey },
          ],
          witnessThreshold: 1,
          witnessTimeoutMs: 2000,
        },
      });
      const registry = new Registry();
      const off = registerPrometheusMetrics(log, { registry });
      for (let i = 0; i < 6; i++) log.record({ action: 'doc.read' });
      await vi.waitFor(() => expect(log.health().checkpoints?.witnesses?.[0]?.cosignedAt).toBeDefined(), { timeout: 15_000, interval: 20 });
      const text = await registry.metrics();
      expect(value(text, 'auditready_witness_up', `witness="${witness.name}"`)).toBe(1);
      expect(value(text, 'auditready_witness_cosignature_age_seconds', `witness="${witness.name}"`)).toBeLessThan(60);
      await vi.waitFor(async () => expect(value(await registry.metrics(), 'auditready_witness_up', 'witness="dead.example/w"')).toBe(0), {
        timeout: 15_000,
        interval: 50,
      });
      off();
      await log.close({ timeoutMs: 3000 });
    }, 60_000);
  });
});
