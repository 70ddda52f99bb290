/** Against a real Apache Kafka broker (started by the global setup). */
import { createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import kafkajs from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createKafkaTransport } from '../src/index.js';

const { Kafka, logLevel } = kafkajs;
const bootstrap = inject('kafkaBootstrap');

/** Reads a topic from the beginning until `count` messages arrived; returns the values. */
async function readAll(kafka: InstanceType<typeof Kafka>, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `verify-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${values.length} of ${count} messages`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(String(message.value));
        if (values.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

describe.skipIf(bootstrap === '')('Kafka transport against a real broker', () => {
  it('10,000+ entries from several chains arrive complete, in order per chain, and verify', async () => {
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'auditready-test', logLevel: logLevel.NOTHING });
    const topic = `audit-${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const chains = 3;
    const perChain = 3500;
    const loggers = Array.from({ length: chains }, (_, c) =>
      createAuditLogger({
        service: { name: `svc-${c}` },
        transports: [createKafkaTransport({ topic, createProducer: () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }) })],
        handleSignals: false,
        queue: { batchSize: 500, maxEntries: 20000 },
      }),
    );
    for (let i = 0; i < perChain; i++)
      for (const [c, log] of loggers.entries())
        log.record({ action: 'invoice.read', actor: { type: 'user', id: `u${c}` }, details: { i } });
    for (const log of loggers) expect((await log.close({ timeoutMs: 60_000 })).ok).toBe(true);

    const total = chains * (perChain + 1); // + genesis
    const values = await readAll(kafka, topic, total);
    // Exact duplicates (a resend after a lost acknowledgement) are dropped by (chain, seq, hash).
    const seen = new Set<string>();
    const unique = values.filter((v) => {
      const e = JSON.parse(v);
      const k = `${e.chain}:${e.seq}:${e.hash}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    expect(unique).toHaveLength(total);
    const report = verifySync(unique);
    expect(report.breaks).toEqual([]);
    expect(report.chains).toHaveLength(chains);
    for (const c of report.chains) expect([c.firstSeq, c.lastSeq, c.count]).toEqual([0, perChain, perChain + 1]);
  });
});
