// The Kafka transport (kafkajs 2.x producer, acks=all, idempotent, one batch in flight per
// chain) against a local single-node broker (scripts/kafka), beside the peer in the same run: a
// plain kafkajs producer sending the same kind of sealed lines 256 at a time with acks=all.
// Reports entries/s acknowledged by the broker and this process's CPU per entry.
//   npm run bench   (KAFKA_BENCH_ENTRIES=50000 by default; KAFKA_BROKERS=host:port to use yours)
// With @confluentinc/kafka-javascript installed (optional dependency), the transport with it too.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createAuditLogger, HashChain } from '@auditready/core';
import { createKafkaTransport } from '@auditready/transport-kafka';
import kafkajs from 'kafkajs';

const N = Number(process.env.KAFKA_BENCH_ENTRIES ?? 50000);
const scripts = join(import.meta.dirname, '..', 'scripts', 'kafka');
const input = (i) => ({
  kind: 'access',
  action: 'invoice.read',
  outcome: 'success',
  actor: { type: 'user', id: `usr_${i % 500}`, ip: '203.0.113.42' },
  resource: { type: 'invoice', id: `inv_${i}` },
  http: { method: 'GET', route: '/invoices/:id', path: `/invoices/inv_${i}`, status: 200, durationMs: 12.4, requestId: `req_${i}` },
});

let brokers = process.env.KAFKA_BROKERS;
let stop = () => {};
if (!brokers) {
  const missing = ['java', 'mvn'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  if (missing.length) {
    console.log(`kafka bench: SKIPPED (needs ${missing.join(' and ')} to start a local broker, or KAFKA_BROKERS)`);
    process.exit(0);
  }
  const env = { ...process.env, KAFKA_PORT: '19392', KAFKA_CONTROLLER_PORT: '20392' };
  const r = spawnSync('bash', [join(scripts, 'start-kafka.sh')], { encoding: 'utf8', env });
  brokers = /KAFKA_BOOTSTRAP=(\S+)/.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || !brokers) throw new Error(`could not start Kafka:\n${r.stdout}\n${r.stderr}`);
  stop = () => spawnSync('bash', [join(scripts, 'stop-kafka.sh')], { env });
}
const kafka = new kafkajs.Kafka({ brokers: brokers.split(','), clientId: 'bench', logLevel: kafkajs.logLevel.NOTHING });

async function topic(name) {
  const t = `bench-${name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: t, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  return t;
}

async function measure(name, run) {
  const t = await topic(name);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(t);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { name, rate: N / s, cpuUs: (cpu.user + cpu.system) / N };
}

/** The logger with the Kafka transport; `client` and `createProducer` pick the Kafka client. */
async function auditready(t, client, createProducer) {
  const logger = createAuditLogger({
    service: { name: 'bench' },
    transports: [createKafkaTransport({ topic: t, client, createProducer })],
    handleSignals: false,
    queue: { maxEntries: 100000, batchSize: 256 },
  });
  for (let i = 0; i < N; i++) {
    logger.record(input(i));
    if (i % 5000 === 4999) await logger.flush();
  }
  const closed = await logger.close({ timeoutMs: 120_000 });
  if (!closed.ok) throw new Error(`auditready (${client}): close() reported undelivered entries`);
}

const viaKafkajs = (t) => auditready(t, 'kafkajs', () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }));

let confluent;
try {
  confluent = createRequire(import.meta.url)('@confluentinc/kafka-javascript');
} catch {
  console.log('kafka bench: @confluentinc/kafka-javascript not installed; measuring kafkajs only');
}
const viaConfluent = (t) => {
  const ck = new confluent.KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: 0 } });
  return auditready(t, 'confluent', () => ck.producer({ kafkaJS: { acks: -1, idempotent: true } }));
};

async function plain(t) {
  const chain = new HashChain({ id: '00000000-0000-4000-8000-000000000000' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let batch = [];
  for (let i = 0; i < N; i++) {
    const sealed = chain.seal({ ...input(i), ts: new Date().toISOString().replace('Z', '000Z') });
    batch.push({ key: '00000000-0000-4000-8000-000000000000', value: sealed.line });
    if (batch.length === 256 || i === N - 1) {
      await producer.send({ topic: t, acks: -1, messages: batch });
      batch = [];
    }
  }
  await producer.disconnect();
}

const results = [];
try {
  // Warm-up (JIT, connections, topic metadata), then the two, measured in the same run.
  await measure('warm-up', plain);
  results.push(await measure('plain kafkajs producer (peer)', plain));
  results.push(await measure('auditready + transport-kafka (kafkajs)', viaKafkajs));
  if (confluent) results.push(await measure('auditready + transport-kafka (confluent)', viaConfluent));
} finally {
  stop();
}
console.log(`\nKafka: ${N} entries, local single-node broker ${brokers}, acks=all`);
for (const r of results)
  console.log(
    `  ${r.name.padEnd(42)} ${Math.round(r.rate).toLocaleString('en-US').padStart(9)} entries/s   ${r.cpuUs.toFixed(1)} µs CPU/entry`,
  );
