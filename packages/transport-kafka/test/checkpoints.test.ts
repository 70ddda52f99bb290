/**
 * A Kafka topic as a checkpoint destination, against the real broker: the log goes to one topic,
 * its signed checkpoints to another, and `auditready verify kafka://log --trust <key>
 * --checkpoints kafka://checkpoints` proves the log complete through the newest checkpoint; a log
 * topic that lacks entries the checkpoint topic committed to is INVALID (truncated).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger, generateNoteKey } from '@auditready/core';
import { describe, expect, it } from 'vitest';
import { createKafkaTransport } from '../src/index.js';
import { bootstrap, createTopic, Kafka, logLevel } from './helpers.js';

const bin = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');
const readerLog = mkdtempSync(join(tmpdir(), 'ar-kafka-cp-reads-'));
const run = (args: string[]) =>
  spawnSync(bin, args, { encoding: 'utf8', timeout: 90_000, env: { ...process.env, AUDITREADY_READER_LOG: readerLog } });

describe.skipIf(bootstrap === '')('checkpoints to a Kafka topic', () => {
  it('verify --trust with the checkpoint topic: COMPLETE; a second log missing the tail the checkpoints committed to: truncated', async () => {
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'auditready-cp-test', logLevel: logLevel.NOTHING });
    const stamp = Date.now();
    const [logTopic, cpTopic, cutTopic] = [`audit-cp-log-${stamp}`, `audit-cp-checkpoints-${stamp}`, `audit-cp-cut-${stamp}`];
    for (const t of [logTopic, cpTopic, cutTopic]) await createTopic(t, 1);
    const key = generateNoteKey('kafka-test.example/audit');
    const lines: string[] = [];
    const log = createAuditLogger({
      service: { name: 'kafka-cp' },
      transports: [createKafkaTransport({ topic: logTopic, createProducer: () => kafka.producer() })],
      handleSignals: false,
      onSealed: (r) => lines.push(r.line),
      checkpoints: {
        signer: key.signerKey,
        everyEntries: 10,
        destinations: [createKafkaTransport({ topic: cpTopic, createProducer: () => kafka.producer() })],
      },
    });
    for (let i = 0; i < 35; i++) log.record({ action: 'doc.read', actor: { type: 'user', id: `u${i % 3}` } });
    expect((await log.close({ timeoutMs: 30_000 })).ok).toBe(true);

    const ok = run([
      'verify',
      `kafka://${bootstrap}/${logTopic}`,
      '--trust',
      key.verifierKey,
      '--checkpoints',
      `kafka://${bootstrap}/${cpTopic}`,
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/COMPLETE/);
    expect(ok.stdout).toMatch(/checkpoint \d+ signed by kafka-test\.example\/audit/);
    expect(ok.status).toBe(0);

    // The same log with its last 10 messages missing (a topic whose tail was lost or cut).
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: cutTopic, acks: -1, messages: lines.slice(0, -10).map((value) => ({ key: 'k', value })) });
    await producer.disconnect();
    const cut = run([
      'verify',
      `kafka://${bootstrap}/${cutTopic}`,
      '--trust',
      key.verifierKey,
      '--checkpoints',
      `kafka://${bootstrap}/${cpTopic}`,
      '--json',
    ]);
    expect(cut.status).toBe(1);
    expect(JSON.parse(cut.stdout).breaks.map((b: { kind: string }) => b.kind)).toContain('truncated');
  }, 120_000);
});
