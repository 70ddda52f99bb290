/**
 * The same transport with @confluentinc/kafka-javascript (librdkafka, KafkaJS-style API) against
 * the real broker, written and read back with that client. It is native and an optional
 * dependency: when it did not build, this suite skips loudly (test/helpers.ts) — unless
 * AUDITREADY_REQUIRE_KAFKA=1 (CI), where that is a failure.
 */
import { AuditConfigError, createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { createKafkaTransport, readTopic } from '../src/index.js';
import { bootstrap, clientsUnderTest, confluent, createTopic } from './helpers.js';

describe('client option', () => {
  it("only 'kafkajs' or 'confluent'", async () => {
    expect(() => createKafkaTransport({ topic: 't', createProducer: () => ({}) as never, client: 'rdkafka' as never })).toThrow(
      AuditConfigError,
    );
    await expect(readTopic({ kafka: {} as never, topic: 't', client: 'rdkafka' as never })).rejects.toThrow(AuditConfigError);
  });
});

describe.skipIf(bootstrap === '' || confluent === undefined)('Kafka transport with @confluentinc/kafka-javascript', () => {
  it('3 chains × 1,000 entries arrive complete, in order per chain, and verify (read back with the same client)', async () => {
    const ck = clientsUnderTest().find((c) => c.name === 'confluent');
    if (!ck) throw new Error('the Confluent client is loaded but not under test');
    const topic = `audit-confluent-${Date.now()}`;
    await createTopic(topic, 3);

    const perChain = 1000;
    const loggers = [0, 1, 2].map((c) =>
      createAuditLogger({
        service: { name: `ck-${c}` },
        // Chain 0 names the client; chains 1 and 2 leave it to the transport to recognise.
        transports: [createKafkaTransport({ topic, ...(c === 0 ? { client: 'confluent' as const } : {}), createProducer: ck.producer })],
        handleSignals: false,
        queue: { batchSize: 250 },
      }),
    );
    for (let i = 0; i < perChain; i++)
      for (const [c, log] of loggers.entries()) log.record({ action: 'doc.read', actor: { type: 'user', id: `u${c}` }, details: { i } });
    for (const log of loggers) expect((await log.close({ timeoutMs: 60_000 })).ok).toBe(true);

    const { lines, checkpoint } = await readTopic({ kafka: ck.reader, client: 'confluent', topic, idleMs: 2000 });
    expect(lines).toHaveLength(3 * (perChain + 1));
    const report = verifySync(lines);
    expect(report.breaks).toEqual([]);
    expect(report.chains.map((c) => [c.firstSeq, c.lastSeq, c.count])).toEqual([
      [0, perChain, perChain + 1],
      [0, perChain, perChain + 1],
      [0, perChain, perChain + 1],
    ]);
    // Offsets of all three partitions add up to every message read.
    expect(Object.values(checkpoint.offsets).reduce((a, o) => a + Number(o), 0)).toBe(3 * (perChain + 1));
  });
});
