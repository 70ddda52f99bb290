/**
 * In transit: the Kafka transport over TLS with SASL/SCRAM, against the real broker's SASL_SSL
 * listener (certificates from scripts/kafka/make-tls.sh, SCRAM users created at format time), with
 * both clients. A wrong password and an untrusted certificate are reported in words that say what
 * to fix, and lose nothing: the spool keeps every entry until a transport with the right
 * credentials delivers them. `auditready verify kafkas://` reads the topic the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditError, createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, inject, it, vi } from 'vitest';
import { createKafkaTransport, type KafkaProducerLike, readTopic } from '../src/index.js';
import { confluent, Kafka, logLevel } from './helpers.js';

const tls = inject('kafkaTls');
const tempDir = (p: string) => mkdtempSync(join(tmpdir(), p));
const BIN = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');

/** A kafkajs client on the SASL_SSL listener. */
function tlsClient(o: { user?: string; password?: string; ca?: 'ca' | 'other-ca'; mechanism?: 'scram-sha-256' | 'scram-sha-512' } = {}) {
  const user = o.user ?? 'auditwriter';
  return new Kafka({
    brokers: [tls.bootstrap],
    clientId: 'tls-test',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 1, initialRetryTime: 100 },
    ssl: { ca: [readFileSync(join(tls.dir, `${o.ca ?? 'ca'}.crt`), 'utf8')] },
    sasl: { mechanism: o.mechanism ?? 'scram-sha-256', username: user, password: o.password ?? (tls.users[user] as string) },
  } as ConstructorParameters<typeof Kafka>[0]);
}

async function createTopicOverTls(topic: string): Promise<void> {
  const admin = tlsClient().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

function logger(transport: ReturnType<typeof createKafkaTransport>, errors: AuditError[]) {
  return createAuditLogger({
    service: { name: 'billing-tls' },
    transports: [transport],
    handleSignals: false,
    heartbeatMs: 0,
    onError: (e) => errors.push(e),
  });
}

describe.skipIf(tls.bootstrap === '')('Kafka over TLS with SASL/SCRAM', () => {
  it('kafkajs, SCRAM-SHA-256 and SCRAM-SHA-512: every entry delivered over TLS, the topic verifies', async () => {
    for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
      const topic = `audit-tls-${mechanism}-${Date.now()}`;
      await createTopicOverTls(topic);
      const kafka = tlsClient({ mechanism });
      const errors: AuditError[] = [];
      const log = logger(
        createKafkaTransport({ topic, createProducer: () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }) }),
        errors,
      );
      for (let i = 0; i < 50; i++) log.record({ action: 'invoice.read', actor: { type: 'user', id: `u${i % 3}` } });
      expect((await log.close({ timeoutMs: 30_000 })).ok).toBe(true);
      expect(errors).toEqual([]);
      const { lines } = await readTopic({ kafka: tlsClient({ user: 'auditreader' }), topic, idleMs: 1500 });
      const report = verifySync(lines);
      expect(report.breaks).toEqual([]);
      expect(report.entries).toBeGreaterThanOrEqual(51);
    }
  });

  it.skipIf(confluent === undefined)('the Confluent client (librdkafka) over SASL_SSL with SCRAM-SHA-512', async () => {
    const topic = `audit-tls-confluent-${Date.now()}`;
    await createTopicOverTls(topic);
    const C = confluent as NonNullable<typeof confluent>;
    const kafka = new C.KafkaJS.Kafka({
      'bootstrap.servers': tls.bootstrap,
      'security.protocol': 'sasl_ssl',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'auditwriter',
      'sasl.password': tls.users.auditwriter,
      'ssl.ca.location': join(tls.dir, 'ca.crt'),
      log_level: 0,
    });
    const errors: AuditError[] = [];
    const log = logger(
      createKafkaTransport({
        topic,
        createProducer: () => kafka.producer({ kafkaJS: { acks: -1, idempotent: true } } as object) as KafkaProducerLike,
      }),
      errors,
    );
    for (let i = 0; i < 30; i++) log.record({ action: 'invoice.read', actor: { type: 'user', id: `u${i}` } });
    expect((await log.close({ timeoutMs: 60_000 })).ok).toBe(true);
    expect(errors).toEqual([]);
    const { lines } = await readTopic({ kafka: tlsClient({ user: 'auditreader' }), topic, idleMs: 1500 });
    expect(verifySync(lines).breaks).toEqual([]);
    expect(lines.length).toBeGreaterThanOrEqual(31);
  });

  for (const [what, bad, expected] of [
    ['a wrong password', { password: 'not-the-password' }, /authentication failed: the broker refused the SASL user name or password/],
    [
      'an untrusted certificate',
      { ca: 'other-ca' as const },
      /the broker's TLS certificate is not trusted: give the client the CA that signed it/,
    ],
  ] as const) {
    it(`${what}: a clear error in onError and health(), nothing lost — the spool delivers once the credentials are right`, async () => {
      const topic = `audit-tls-bad-${Date.now()}`;
      await createTopicOverTls(topic);
      const spool = tempDir('ar-kafka-tls-spool-');
      const errors: AuditError[] = [];
      const badKafka = tlsClient(bad);
      const bad1 = createKafkaTransport({
        topic,
        spool: { dir: spool },
        createProducer: () => badKafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
      });
      const log1 = logger(bad1, errors);
      for (let i = 0; i < 40; i++) log1.record({ action: 'invoice.update', actor: { type: 'user', id: `u${i % 4}` } });
      // Spooled: durable on disk, so flush succeeds although the broker refuses the connection.
      expect((await log1.flush({ timeoutMs: 30_000 })).ok).toBe(true);
      await vi.waitFor(() => expect(errors.map((e) => e.message).join('\n')).toMatch(expected), { timeout: 30_000, interval: 100 });
      expect(bad1.health()).toMatchObject({ status: 'retrying', lastError: expect.stringMatching(expected) });
      expect(bad1.spooled()).toBeGreaterThan(0);
      await log1.close({ timeoutMs: 2000 });

      // The app restarts with the right credentials on the same spool: everything is delivered.
      const good = tlsClient();
      const t2 = createKafkaTransport({
        topic,
        spool: { dir: spool },
        createProducer: () => good.producer({ idempotent: true, maxInFlightRequests: 1 }),
      });
      const log2 = logger(t2, []);
      log2.record({ action: 'after-fix', actor: { type: 'system' } });
      expect((await log2.flush({ timeoutMs: 30_000 })).ok).toBe(true);
      expect(await t2.idle(60_000)).toBe(true);
      expect((await log2.close({ timeoutMs: 30_000 })).ok).toBe(true);
      const { lines } = await readTopic({ kafka: tlsClient({ user: 'auditreader' }), topic, idleMs: 1500 });
      const report = verifySync(lines);
      expect(report.breaks).toEqual([]);
      expect(lines.filter((l) => l.includes('"action":"invoice.update"'))).toHaveLength(40);
      expect(lines.some((l) => l.includes('"kind":"gap"'))).toBe(false);
    });
  }

  it('auditready verify kafkas:// reads over TLS with SCRAM from the environment (the password from a file), and names what is wrong', async () => {
    const topic = `audit-tls-cli-${Date.now()}`;
    await createTopicOverTls(topic);
    const kafka = tlsClient();
    const log = logger(
      createKafkaTransport({ topic, createProducer: () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }) }),
      [],
    );
    for (let i = 0; i < 20; i++) log.record({ action: 'invoice.read', actor: { type: 'user', id: 'u1' } });
    expect((await log.close({ timeoutMs: 30_000 })).ok).toBe(true);
    const dir = tempDir('ar-kafka-tls-cli-');
    writeFileSync(join(dir, 'password'), `${tls.users.auditreader}\n`, { mode: 0o600 });
    const env = {
      ...process.env,
      AUDITREADY_READER_LOG: dir,
      AUDITREADY_KAFKA_CA: join(tls.dir, 'ca.crt'),
      AUDITREADY_KAFKA_SASL: 'scram-sha-512',
      AUDITREADY_KAFKA_USERNAME: 'auditreader',
      AUDITREADY_KAFKA_PASSWORD_FILE: join(dir, 'password'),
    };
    const url = `kafkas://${tls.bootstrap}/${topic}`;
    const ok = spawnSync(BIN, ['verify', url], { env, encoding: 'utf8', timeout: 60_000 });
    expect(ok.stdout).toMatch(/valid\s+21 lines/);
    expect(ok.status).toBe(3); // consistent: nothing commits to the head of a topic without checkpoints
    writeFileSync(join(dir, 'password'), 'wrong\n');
    const denied = spawnSync(BIN, ['verify', url], { env, encoding: 'utf8', timeout: 60_000 });
    expect(denied.status).toBe(2);
    expect(denied.stderr).toMatch(/authentication failed: the broker refused the user name or password/);
    const untrusted = spawnSync(BIN, ['verify', url], {
      env: { ...env, AUDITREADY_KAFKA_CA: join(tls.dir, 'other-ca.crt') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(untrusted.status).toBe(2);
    expect(untrusted.stderr).toMatch(/TLS certificate is not trusted \(set AUDITREADY_KAFKA_CA/);
    const plain = spawnSync(BIN, ['verify', `kafka://${tls.bootstrap}/${topic}`], { env, encoding: 'utf8', timeout: 60_000 });
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/AUDITREADY_KAFKA_CA is set but .* is not TLS: use kafkas:\/\//);
  });
});
