/**
 * The broker misbehaves mid-stream — restarted, killed with SIGKILL and restarted, paused with
 * SIGSTOP longer than the request timeout — while loggers keep recording (10,002 entries from two
 * chains per fault), with each client.
 * Afterwards readTopic (with the same client) returns every seq of every chain exactly once after
 * dropping exact duplicates, in order, and the topic verifies.
 */
import { createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { createKafkaTransport, readTopic } from '../src/index.js';
import { bootstrap, brokerPid, clientsUnderTest, createTopic, sh } from './helpers.js';

const faults: [string, () => void | Promise<void>][] = [
  [
    'restarted',
    () => {
      sh('stop-kafka.sh', '--keep-data');
      sh('start-kafka.sh', '--reuse-data');
    },
  ],
  [
    'killed with SIGKILL and restarted',
    () => {
      sh('stop-kafka.sh', '--kill', '--keep-data');
      sh('start-kafka.sh', '--reuse-data');
    },
  ],
  [
    'paused with SIGSTOP past the request timeout',
    async () => {
      const pid = brokerPid();
      process.kill(pid, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 4000));
      process.kill(pid, 'SIGCONT');
    },
  ],
];

describe.skipIf(bootstrap === '')('Kafka transport while the broker fails', () => {
  for (const client of clientsUnderTest()) {
    for (const [name, fault] of faults) {
      it(`${client.name}: the broker ${name} mid-stream: nothing lost, nothing out of order`, async () => {
        const topic = `audit-fault-${client.name}-${Date.now()}`;
        await createTopic(topic, 2);
        const loggers = Array.from({ length: 2 }, (_, c) =>
          createAuditLogger({
            service: { name: `svc-${c}` },
            transports: [createKafkaTransport({ topic, client: client.name, createProducer: client.producer })],
            handleSignals: false,
            queue: { batchSize: 200, maxEntries: 50_000 },
            retry: { initialDelayMs: 100, maxDelayMs: 1000 },
            onError: () => {},
          }),
        );
        // 2 chains × 5,000 entries (+ genesis each): at least 10,000 through every fault.
        const perChain = 5000;
        const record = (from: number, to: number) => {
          for (let i = from; i < to; i++)
            for (const [c, log] of loggers.entries()) log.record({ action: 'a', actor: { type: 'user', id: `u${c}` }, details: { i } });
        };
        record(0, 2500);
        await Promise.all(loggers.map((l) => l.flush({ timeoutMs: 30_000 })));
        record(2500, 3500);
        await fault(); // while entries are queued or in flight
        record(3500, perChain);
        for (const log of loggers) expect((await log.close({ timeoutMs: 90_000 })).ok).toBe(true);

        const { lines } = await readTopic({ kafka: client.reader, client: client.name, topic, idleMs: 2000 });
        expect(lines).toHaveLength(loggers.length * (perChain + 1));
        const report = verifySync(lines);
        expect(report.breaks).toEqual([]);
        expect(report.chains).toHaveLength(loggers.length);
        for (const c of report.chains) expect([c.firstSeq, c.lastSeq, c.count]).toEqual([0, perChain, perChain + 1]);
      });
    }
  }
});
