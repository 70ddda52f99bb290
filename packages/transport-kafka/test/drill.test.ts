/** `auditready drill` reading the log from a Kafka topic on the real broker (started by the global setup). */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { RequestAuditor } from '@auditready/node-http';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../test-support/child.js';
import { createKafkaTransport } from '../src/index.js';
import { bootstrap, createTopic, Kafka, logLevel } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');

/** The CLI as a child process, without blocking this process's event loop. */
const drill = (args: string[]) =>
  runCommand(BIN, ['drill', ...args], { ...process.env, AUDITREADY_READER_LOG: mkdtempSync(join(tmpdir(), 'ar-reads-')) });

describe.skipIf(bootstrap === '')('auditready drill --log kafka://', () => {
  it('finds each marked request in the topic with its outcome, and the chain verifies', async () => {
    const topic = `drill-${Date.now()}`;
    await createTopic(topic, 1);
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'auditready-drill', logLevel: logLevel.NOTHING });
    const logger = createAuditLogger({
      service: { name: 'kafka-drill' },
      transports: [createKafkaTransport({ topic, createProducer: () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }) })],
      handleSignals: false,
    });
    const auditor = new RequestAuditor({ logger });
    const server: Server = createServer((req, res) => {
      if (auditor.begin(req as never, res) !== 'next') return;
      res.statusCode = req.url === '/forbidden' ? 403 : req.url === '/broken' ? 500 : 200;
      res.end('done');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await drill([
        url,
        '--log',
        `kafka://${bootstrap}/${topic}`,
        '--request',
        'GET /ok',
        '--request',
        'GET /forbidden',
        '--request',
        'POST /broken {"x":1}',
        '--deadline',
        '60s',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/-> 403 .*actor anonymous, denied/);
      expect(r.stdout).toMatch(/-> 500 .*actor anonymous, error/);
      expect(r.stdout).toContain('PASS: 3 of 3 requests recorded as sent');
    } finally {
      await new Promise((r) => server.close(r));
      await logger.close();
    }
  });
});
