/**
 * The spool (`spool: { dir }`): outages longer than the logger's queue holds, and a process killed
 * during an outage, against the real broker. Nothing is dropped, no gap is declared, and the topic
 * holds one complete chain afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it, vi } from 'vitest';
import { killAfter, runToEnd } from '../../../test-support/child.js';
import { createKafkaTransport, readTopic } from '../src/index.js';
import { bootstrap, createTopic, kafkajsClient, sh } from './helpers.js';

const tempDir = (p: string) => mkdtempSync(join(tmpdir(), p));

describe.skipIf(bootstrap === '')('Kafka transport with a spool', () => {
  it('an outage longer than the logger queue: 5x its capacity is spooled, nothing dropped, all delivered once the broker is back', async () => {
    const topic = `audit-spool-${Date.now()}`;
    await createTopic(topic, 1);
    const kafka = kafkajsClient('spool-test', { connectionTimeout: 500, retry: { retries: 1, initialRetryTime: 100 } });
    const spool = tempDir('ar-kafka-spool-');
    const transport = createKafkaTransport({
      topic,
      spool: { dir: spool },
      createProducer: () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
    });
    const errors: Error[] = [];
    const logger = createAuditLogger({
      service: { name: 'spool-outage' },
      transports: [transport],
      handleSignals: false,
      queue: { batchSize: 50, maxEntries: 200 },
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 100; i++) logger.record({ action: 'before-outage', details: { i } });
    expect((await logger.flush({ timeoutMs: 30_000 })).ok).toBe(true);
    expect(await transport.idle(30_000)).toBe(true);
    expect(transport.health().pending).toBe(0);

    sh('stop-kafka.sh', '--keep-data');
    try {
      // Traffic over time (not one synchronous burst, which no in-memory queue could absorb).
      for (let i = 0; i < 1000; i++) {
        logger.record({ action: 'during-outage', details: { i } });
        if (i % 50 === 49) expect((await logger.flush({ timeoutMs: 30_000 })).ok).toBe(true); // spooled: durable
      }
      expect(transport.spooled()).toBeGreaterThan(0);
      expect(logger.health().transports[0]?.dropped).toBe(0);
      expect(transport.health().pending).toBe(1000);
      // The outage is reported: health() says the spool is retrying, with the error, and onError was told.
      await vi.waitFor(() => expect(transport.health()).toMatchObject({ status: 'retrying', lastError: expect.any(String) }), {
        timeout: 20_000,
        interval: 100,
      });
      expect(logger.health().status).toBe('degraded');
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      sh('start-kafka.sh', '--reuse-data');
    }
    await transport.flush(); // wake the sender from its backoff
    expect(await transport.idle(60_000)).toBe(true);
    expect(transport.health()).toMatchObject({ status: 'ok', pending: 0 });
    expect((await logger.close({ timeoutMs: 30_000 })).ok).toBe(true);

    const { lines } = await readTopic({ kafka, topic, idleMs: 2000 });
    const report = verifySync(lines);
    expect(report.breaks).toEqual([]);
    expect(report.chains.map((c) => [c.firstSeq, c.lastSeq, c.count])).toEqual([[0, 1100, 1101]]);
    expect(lines.filter((l) => l.includes('"kind":"gap"'))).toEqual([]);
  });

  it('a process killed during an outage loses nothing: the next one replays the spool first, on the same chain', async () => {
    const topic = `audit-spool-kill-${Date.now()}`;
    await createTopic(topic, 1);
    const spool = tempDir('ar-kafka-spool-kill-');
    const child = join(import.meta.dirname, 'fixtures', 'spool-child.mjs');
    const cwd = join(import.meta.dirname, '..');
    // Nothing listens on port 9 (discard) here: the broker is unreachable for the first process.
    await killAfter(child, ['outage', '127.0.0.1:9', topic, spool], cwd, 'spooled');
    const { out, err } = await runToEnd(child, ['resume', bootstrap, topic, spool], cwd);
    expect(err).toBe('');
    expect(JSON.parse(out)).toEqual({ ok: true, spooled: 0 });

    const { lines } = await readTopic({ kafka: kafkajsClient('spool-kill-read'), topic, idleMs: 2000 });
    const report = verifySync(lines);
    expect(report.breaks).toEqual([]);
    expect(report.chains).toHaveLength(1); // resumed from the spool's head
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.filter((e) => e.action === 'during-outage')).toHaveLength(40);
    expect(entries.filter((e) => e.action === 'after-restart')).toHaveLength(10);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));
  });
});
