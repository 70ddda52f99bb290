/**
 * The same transport with @confluentinc/kafka-javascript (librdkafka, KafkaJS-style API) against
 * the real broker. The client is native and an optional dependency: when it did not build, this
 * suite skips loudly — unless AUDITREADY_REQUIRE_KAFKA=1 (CI), where that is a failure.
 */
import { createRequire } from 'node:module';
import { AuditConfigError, createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import kafkajs from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createKafkaTransport, readTopic } from '../src/index.js';

const bootstrap = inject('kafkaBootstrap');
type Confluent = { KafkaJS: { Kafka: new (c: object) => { producer(c: object): never } } };
let confluent: Confluent | undefined;
let loadError = '';
try {
  confluent = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as Confluent;
} catch (e) {
  loadError = (e as Error).message.split('\n')[0] ?? '';
  const msg = `@confluentinc/kafka-javascript is not installed or did not build (${loadError}); install with CKJS_LINKING=dynamic npm ci`;
  if (process.env.AUDITREADY_REQUIRE_KAFKA === '1') throw new Error(msg);
  console.warn(`\n!!! SKIPPING the Confluent client suite: ${msg}\n`);
}

describe('client option', () => {
  it("only 'kafkajs' or 'confluent'", () => {
    expect(() => createKafkaTransport({ topic: 't', createProducer: () => ({}) as never, client: 'rdkafka' as never })).toThrow(
      AuditConfigError,
    );
  });
});

describe.skipIf(bootstrap === '' || confluent === undefined)('Kafka transport with @confluentinc/kafka-javascript', () => {
  it('3 chains × 1,000 entries arrive complete, in order per chain, and verify', async () => {
    const { Kafka } = (confluent as Confluent).KafkaJS;
    const ck = new Kafka({ kafkaJS: { brokers: [bootstrap], logLevel: 0 } });
    const reader = new kafkajs.Kafka({ brokers: [bootstrap], clientId: 'ck-reader', logLevel: kafkajs.logLevel.NOTHING });
    const topic = `audit-confluent-${Date.now()}`;
    const admin = reader.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const perChain = 1000;
    const loggers = [0, 1, 2].map((c) =>
      createAuditLogger({
        service: { name: `ck-${c}` },
        transports: [
          createKafkaTransport({
            topic,
            client: 'confluent',
            createProducer: () => ck.producer({ kafkaJS: { acks: -1, idempotent: true } }),
          }),
        ],
        handleSignals: false,
        queue: { batchSize: 250 },
      }),
    );
    for (let i = 0; i < perChain; i++)
      for (const [c, log] of loggers.entries()) log.record({ action: 'doc.read', actor: { type: 'user', id: `u${c}` }, details: { i } });
    for (const log of loggers) expect((await log.close({ timeoutMs: 60_000 })).ok).toBe(true);

    const { lines } = await readTopic({ kafka: reader, topic, idleMs: 2000 });
    expect(lines).toHaveLength(3 * (perChain + 1));
    const report = verifySync(lines);
    expect(report.breaks).toEqual([]);
    expect(report.chains.map((c) => [c.firstSeq, c.lastSeq, c.count])).toEqual([
      [0, perChain, perChain + 1],
      [0, perChain, perChain + 1],
      [0, perChain, perChain + 1],
    ]);
  });
});
