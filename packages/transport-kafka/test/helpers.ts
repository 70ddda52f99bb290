/**
 * Shared by the Kafka suites: the broker the global setup started (and scripts to stop, restart
 * and pause it), both clients under test, and small topic helpers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { inject } from 'vitest';
import type { KafkaLike, KafkaProducerLike } from '../src/index.js';

export const bootstrap = inject('kafkaBootstrap');
export const port = inject('kafkaPort');
const runDir = inject('kafkaRunDir');
const scripts = join(import.meta.dirname, '..', '..', '..', 'scripts', 'kafka');
const env = { ...process.env, KAFKA_RUN_DIR: runDir, KAFKA_PORT: port, KAFKA_CONTROLLER_PORT: String(Number(port) + 1000) };

/** Runs a scripts/kafka script against the suites' broker. */
export function sh(script: string, ...args: string[]): void {
  const r = spawnSync('bash', [join(scripts, script), ...args], { encoding: 'utf8', env, timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

export const brokerPid = () => Number(readFileSync(join(runDir, 'kafka.pid'), 'utf8').trim());

export const { Kafka, logLevel } = kafkajs;

/** A kafkajs client on the suites' broker. */
export const kafkajsClient = (clientId: string, extra: object = {}) =>
  new Kafka({ brokers: [bootstrap], clientId, logLevel: logLevel.NOTHING, ...extra });

export async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafkajsClient('auditready-admin').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  await admin.disconnect();
}

type ConfluentModule = { KafkaJS: { Kafka: new (c: object) => { producer(c: object): KafkaProducerLike } & KafkaLike } };

/**
 * @confluentinc/kafka-javascript is native and an optional dependency: when it did not build, its
 * suites skip loudly — unless AUDITREADY_REQUIRE_KAFKA=1 (CI), where that is a failure.
 */
export const confluent: ConfluentModule | undefined = (() => {
  try {
    return createRequire(import.meta.url)('@confluentinc/kafka-javascript') as ConfluentModule;
  } catch (e) {
    const why = (e as Error).message.split('\n')[0] ?? '';
    const msg = `@confluentinc/kafka-javascript is not installed or did not build (${why}); install with CKJS_LINKING=dynamic npm ci`;
    if (process.env.AUDITREADY_REQUIRE_KAFKA === '1') throw new Error(msg);
    console.warn(`\n!!! SKIPPING the Confluent client tests: ${msg}\n`);
    return undefined;
  }
})();

/** One client under test: how to make producers for the transport, and a client to read with. */
export interface ClientUnderTest {
  name: 'kafkajs' | 'confluent';
  producer(): KafkaProducerLike;
  reader: KafkaLike;
}

/** kafkajs always; the Confluent client when it is installed (always in CI). */
export function clientsUnderTest(): ClientUnderTest[] {
  if (bootstrap === '') return [];
  const kj = kafkajsClient('auditready-test', { retry: { retries: 3, initialRetryTime: 100 } });
  const list: ClientUnderTest[] = [
    {
      name: 'kafkajs',
      producer: () => kj.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2, initialRetryTime: 100 } }),
      reader: kj as unknown as KafkaLike,
    },
  ];
  if (confluent) {
    const ck = new confluent.KafkaJS.Kafka({ kafkaJS: { brokers: [bootstrap], logLevel: 0 } });
    list.push({ name: 'confluent', producer: () => ck.producer({ kafkaJS: { acks: -1, idempotent: true } }), reader: ck });
  }
  return list;
}

/** Reads a topic from the beginning until `count` messages arrived; returns the values. */
export async function readAll(kafka: InstanceType<typeof Kafka>, topic: string, count: number): Promise<string[]> {
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
