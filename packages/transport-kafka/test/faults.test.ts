/**
 * The broker misbehaves mid-stream — restarted, killed with SIGKILL and restarted, paused with
 * SIGSTOP longer than the request timeout — while loggers keep recording. Afterwards every seq of
 * every chain is in the topic exactly once after dropping exact duplicates, in order, verified.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import kafkajs from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createKafkaTransport } from '../src/index.js';

const { Kafka, logLevel } = kafkajs;
const bootstrap = inject('kafkaBootstrap');
const port = inject('kafkaPort');
const scripts = join(import.meta.dirname, '..', '..', '..', 'scripts', 'kafka');
const env = { ...process.env, KAFKA_PORT: port, KAFKA_CONTROLLER_PORT: String(Number(port) + 1000) };
const sh = (script: string, ...args: string[]) => {
  const r = spawnSync('bash', [join(scripts, script), ...args], { encoding: 'utf8', env, timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
};
const brokerPid = () => Number(readFileSync(join(process.env.TMPDIR ?? tmpdir(), `kafka-test-${port}`, 'kafka.pid'), 'utf8').trim());

async function readAll(kafka: InstanceType<typeof Kafka>, topic: string, atLeast: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `verify-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${values.length} of ${atLeast} messages`)), 90_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(String(message.value));
        if (values.length >= atLeast) {
          clearTimeout(timer);
          // a little longer, for duplicates still on their way
          setTimeout(resolve, 500);
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

const faults: [string, () => void | Promise<void>][] = [
  ['restarted', () => (sh('stop-kafka.sh', '--keep-data'), sh('start-kafka.sh', '--reuse-data'))],
  ['killed with SIGKILL and restarted', () => (sh('stop-kafka.sh', '--kill', '--keep-data'), sh('start-kafka.sh', '--reuse-data'))],
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
  for (const [name, fault] of faults) {
    it(`the broker ${name} mid-stream: nothing lost, nothing out of order`, async () => {
      const kafka = new Kafka({
        brokers: [bootstrap],
        clientId: 'auditready-faults',
        logLevel: logLevel.NOTHING,
        retry: { retries: 3, initialRetryTime: 100 },
      });
      const topic = `audit-fault-${Date.now()}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const loggers = Array.from({ length: 2 }, (_, c) =>
        createAuditLogger({
          service: { name: `svc-${c}` },
          transports: [
            createKafkaTransport({
              topic,
              createProducer: () =>
                kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2, initialRetryTime: 100 } }),
            }),
          ],
          handleSignals: false,
          queue: { batchSize: 200, maxEntries: 50_000 },
          retry: { initialDelayMs: 100, maxDelayMs: 1000 },
          onError: () => {},
        }),
      );
      const perChain = 1500;
      const record = (from: number, to: number) => {
        for (let i = from; i < to; i++)
          for (const [c, log] of loggers.entries()) log.record({ action: 'a', actor: { type: 'user', id: `u${c}` }, details: { i } });
      };
      record(0, 700);
      await Promise.all(loggers.map((l) => l.flush({ timeoutMs: 30_000 })));
      record(700, 1000);
      await fault(); // while entries are queued or in flight
      record(1000, perChain);
      for (const log of loggers) expect((await log.close({ timeoutMs: 90_000 })).ok).toBe(true);

      const values = await readAll(kafka, topic, loggers.length * (perChain + 1));
      const seen = new Set<string>();
      const unique = values.filter((v) => {
        const e = JSON.parse(v);
        const k = `${e.chain}:${e.seq}:${e.hash}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      const report = verifySync(unique);
      expect(report.breaks).toEqual([]);
      expect(report.chains).toHaveLength(loggers.length);
      for (const c of report.chains) expect([c.firstSeq, c.lastSeq, c.count]).toEqual([0, perChain, perChain + 1]);
    });
  }
});
