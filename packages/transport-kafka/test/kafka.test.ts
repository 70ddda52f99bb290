/** Against a real Apache Kafka broker (started by the global setup). */
import { createAuditLogger } from '@auditready/core';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { createKafkaTransport } from '../src/index.js';
import { bootstrap, clientsUnderTest, createTopic, Kafka, kafkajsClient, logLevel, readAll } from './helpers.js';

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

describe.skipIf(bootstrap === '')('verifyTopic (reading a topic back)', () => {
  it('verifies a topic written by the transport, and reports an altered message as a break', async () => {
    const { verifyTopic } = await import('../src/index.js');
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'auditready-read', logLevel: logLevel.NOTHING });
    const topic = `audit-read-${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const log = createAuditLogger({
      service: { name: 'reader-test' },
      transports: [createKafkaTransport({ topic, createProducer: () => kafka.producer() })],
      handleSignals: false,
    });
    for (let i = 0; i < 200; i++) log.record({ action: 'doc.read', actor: { type: 'user', id: 'u1' }, details: { i } });
    expect((await log.close({ timeoutMs: 30_000 })).ok).toBe(true);

    const good = await verifyTopic({ kafka, topic, idleMs: 1500 });
    expect(good.valid).toBe(true);
    expect(good.breaks).toEqual([]);
    expect(good.chains).toHaveLength(1);
    expect(good.chains[0]?.count).toBe(201);
    expect(good.duplicates).toBe(0);

    // A copy of an entry with one field changed, produced by someone else onto the same topic,
    // and an exact resend of an entry (dropped as a duplicate, not a break).
    const first = await readAll(kafka, topic, 201);
    const victim = JSON.parse(first[50] as string);
    victim.details.i = 9999;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: victim.chain, value: JSON.stringify(victim) },
        { key: victim.chain, value: first[60] as string },
      ],
    });
    await producer.disconnect();

    const bad = await verifyTopic({ kafka, topic, idleMs: 1500 });
    expect(bad.valid).toBe(false);
    expect(bad.breaks.length).toBeGreaterThan(0);
    expect(bad.duplicates).toBe(1);
  });
});

describe.skipIf(bootstrap === '')('auditready verify kafka://…', () => {
  it('exits 0 on a topic written by the transport, and 1 with the break once a tampered copy is produced', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const bin = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');
    const readerLog = mkdtempSync(join(tmpdir(), 'ar-kafka-reads-'));
    const run = (args: string[]) =>
      spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, AUDITREADY_READER_LOG: readerLog } });

    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'auditready-cli-test', logLevel: logLevel.NOTHING });
    const topic = `audit-cli-${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const log = createAuditLogger({
      service: { name: 'cli-kafka' },
      transports: [createKafkaTransport({ topic, createProducer: () => kafka.producer() })],
      handleSignals: false,
    });
    for (let i = 0; i < 50; i++) log.record({ action: 'doc.read', actor: { type: 'user', id: 'u7' }, details: { i } });
    expect((await log.close({ timeoutMs: 30_000 })).ok).toBe(true);

    const ok = run(['verify', `kafka://${bootstrap}/${topic}`]);
    expect(ok.stderr).toBe('');
    // A topic has no head commitment: consistent, not proven complete.
    expect(ok.status).toBe(3);
    expect(ok.stdout).toContain('CONSISTENT, NOT PROVEN COMPLETE');
    expect(ok.stdout).toMatch(/seq 0\.\.50\s+51 entries/);

    const lines = await readAll(kafka, topic, 51);
    const victim = JSON.parse(lines[20] as string);
    victim.actor.id = 'someone-else';
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: victim.chain, value: JSON.stringify(victim) }] });
    await producer.disconnect();

    const bad = run(['verify', `kafka://${bootstrap}/${topic}`, '--json']);
    expect(bad.status).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.valid).toBe(false);
    expect(report.breaks.length).toBeGreaterThan(0);
    expect(report.breaks[0].file).toBe(`kafka://${bootstrap}/${topic}`);
    expect(report.breaks[0].line).toBe(52);
  });
});

describe.skipIf(bootstrap === '')('examples/kafka-pipeline', () => {
  it('two Express services → Kafka → archiver → files: the topic and the archive verify end to end', async () => {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const script = join(import.meta.dirname, '..', '..', '..', 'examples', 'kafka-pipeline', 'pipeline.mjs');
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, KAFKA_BROKERS: bootstrap },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(out).not.toContain('✘');
    expect(out).toContain('each chain: genesis + 300 requests, every seq exactly once');
    expect(out).toContain('auditready verify on the archive: CONSISTENT');
    expect(out).toContain('Pipeline verified end to end.');
    expect(code).toBe(0);
  });
});

describe.skipIf(bootstrap === '')('reading from a checkpoint', () => {
  for (const client of clientsUnderTest()) {
    it(`${client.name}: a second read continues where the first stopped, linked to it, replays ignored`, async () => {
      const { verifyTopic } = await import('../src/index.js');
      const topic = `audit-ckpt-${client.name}-${Date.now()}`;
      await createTopic(topic, 2);
      const mk = (name: string) =>
        createAuditLogger({
          service: { name },
          transports: [createKafkaTransport({ topic, client: client.name, createProducer: client.producer })],
          handleSignals: false,
        });
      const a = mk('ckpt-a');
      const b = mk('ckpt-b');
      for (let i = 0; i < 100; i++) {
        a.record({ action: 'a.first', details: { i } });
        b.record({ action: 'b.first', details: { i } });
      }
      await Promise.all([a.flush({ timeoutMs: 30_000 }), b.flush({ timeoutMs: 30_000 })]);
      const read = (from?: unknown) =>
        verifyTopic({ kafka: client.reader, client: client.name, topic, idleMs: 1500, ...(from ? { from: from as never } : {}) });

      const first = await read();
      expect(first.breaks).toEqual([]);
      expect(first.chains.map((c) => c.count)).toEqual([101, 101]);
      // Stored as JSON (e.g. next to an archive) and loaded for the next run.
      const saved = JSON.parse(JSON.stringify(first.checkpoint));

      for (let i = 0; i < 50; i++) a.record({ action: 'a.second', details: { i } });
      await a.flush({ timeoutMs: 30_000 });
      // An exact resend of an entry from before the checkpoint (a batch resent across it).
      const old = (await readAll(kafkajsClient('ckpt-raw'), topic, 202)).find(
        (l) => l.includes('"action":"a.first"') && l.includes('"seq":90,'),
      );
      const producer = kafkajsClient('ckpt-resend').producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: JSON.parse(old as string).chain, value: old as string }] });
      await producer.disconnect();

      const second = await read(saved);
      expect(second.breaks).toEqual([]);
      expect(second.valid).toBe(true);
      expect(second.chains.map((c) => [c.firstSeq, c.lastSeq, c.count])).toEqual([[101, 150, 50]]); // b had nothing new
      expect(second.replayed).toBe(1);
      expect(second.checkpoint.heads.find((h) => h.chain === JSON.parse(old as string).chain)?.seq).toBe(150);

      // The link is checked: a checkpoint whose head is not what the topic continues from is a break.
      const forged = { ...saved, heads: saved.heads.map((h: { hash: string }) => ({ ...h, hash: 'f'.repeat(64) })) };
      const broken = await read(forged);
      expect(broken.valid).toBe(false);
      expect(broken.breaks[0]?.message).toMatch(/does not link to the anchored hash/);
      // And a checkpoint of another topic is refused with a named error.
      await expect(read({ ...saved, topic: 'other' })).rejects.toThrow(/checkpoint of topic other/);
      await Promise.all([a.close(), b.close()]);
    });
  }
});

describe.skipIf(bootstrap === '')('auditready verify kafka://… --checkpoint', () => {
  it('first run reads from the beginning and saves; the next continues from it; a checkpoint the topic does not continue fails and is kept', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, writeFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const bin = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');
    const work = mkdtempSync(join(tmpdir(), 'ar-kafka-ckpt-cli-'));
    const file = join(work, 'audit.checkpoint.json');
    const topic = `audit-cli-ckpt-${Date.now()}`;
    await createTopic(topic, 1);
    const run = () =>
      spawnSync(bin, ['verify', `kafka://${bootstrap}/${topic}`, '--checkpoint', file], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, AUDITREADY_READER_LOG: join(work, 'reads') },
      });
    const kafka = kafkajsClient('cli-ckpt');
    const log = createAuditLogger({
      service: { name: 'cli-ckpt' },
      transports: [createKafkaTransport({ topic, createProducer: () => kafka.producer() })],
      handleSignals: false,
    });
    for (let i = 0; i < 30; i++) log.record({ action: 'doc.read', details: { i } });
    await log.flush({ timeoutMs: 30_000 });

    const first = run();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(3); // consistent; a topic has no head commitment
    expect(first.stdout).toMatch(/seq 0\.\.30\s+31 entries/);
    expect(first.stdout).toContain('none yet, read from the beginning; updated');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ topic, offsets: { 0: '31' }, heads: [{ seq: 30 }] });

    for (let i = 0; i < 20; i++) log.record({ action: 'doc.read', details: { i: 100 + i } });
    await log.close({ timeoutMs: 30_000 });
    const second = run();
    expect(second.status).toBe(3);
    expect(second.stdout).toMatch(/seq 31\.\.50\s+20 entries/);
    expect(second.stdout).toContain('continued from it; updated');
    expect(JSON.parse(readFileSync(file, 'utf8')).heads[0].seq).toBe(50);

    // A checkpoint whose head the topic does not continue (e.g. the topic was rewritten): exit 1, file kept.
    const forged = { ...saved, heads: [{ ...saved.heads[0], hash: `${'0'.repeat(63)}1` }] };
    writeFileSync(file, JSON.stringify(forged));
    const third = run();
    expect(third.status).toBe(1);
    expect(third.stdout).toContain('NOT updated');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(forged);
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});

describe.skipIf(bootstrap === '')('format: a topic in a SIEM schema', () => {
  it('ocsf values validate against the pinned OCSF schema, and the topic still verifies (the line is taken back out)', async () => {
    const { verifyTopic } = await import('../src/index.js');
    const { validateOcsf } = await import('../../../test-support/schemas.js');
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'auditready-format', logLevel: logLevel.NOTHING });
    const topic = `audit-ocsf-${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const log = createAuditLogger({
      service: { name: 'siem-test' },
      transports: [createKafkaTransport({ topic, format: 'ocsf', createProducer: () => kafka.producer() })],
      handleSignals: false,
    });
    for (let i = 0; i < 20; i++)
      log.record({
        kind: 'access',
        action: 'GET /doc',
        outcome: i % 5 ? 'success' : 'denied',
        actor: { type: 'user', id: 'u1', ip: '203.0.113.9' },
        http: { method: 'GET', path: '/doc', status: i % 5 ? 200 : 403 },
      });
    expect((await log.close({ timeoutMs: 30_000 })).ok).toBe(true);
    const values = (await readAll(kafka, topic, 21)).map((v) => JSON.parse(v));
    for (const v of values) expect(validateOcsf(v)).toEqual([]);
    expect(values.filter((v) => v.class_uid === 6003)).toHaveLength(20);
    const report = await verifyTopic({ kafka, topic, idleMs: 1500 });
    expect(report.breaks).toEqual([]);
    expect(report.chains[0]?.count).toBe(21);
    expect(() => createKafkaTransport({ topic, format: 'xml' as never, createProducer: () => kafka.producer() })).toThrow(
      /format must be canonical/,
    );
  });
});
