/**
 * `auditready drill` against the example API on a real socket, its log written by the file
 * transport with signed checkpoints: marked requests found with their actor and outcome and
 * covered by a checkpoint; a request the policy skips, a wrong actor and an edited log fail.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAuditLogger, generateNoteKey } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import { createHttpTransport } from '@auditready/transport-http';
import express from 'express5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JS example app
import { createApp, issueToken } from '../../../examples/express-basic/app.mjs';
// @ts-expect-error: plain JS example receiver
import { createReceiver } from '../../../examples/http-receiver/receiver.mjs';
import { runCommand } from '../../../test-support/child.js';
import { BIN, tempDir } from './helpers.js';

/** The CLI as a child process, without blocking this process's event loop (the server lives here). */
const drill = (args: string[], reads = tempDir('ar-reads-')) =>
  runCommand(BIN, ['drill', ...args], { ...process.env, AUDITREADY_READER_LOG: reads });

describe('auditready drill against a running service', () => {
  const dir = tempDir('ar-drill-');
  const key = generateNoteKey('drill.example/log');
  const headers = join(tempDir('ar-drill-h-'), 'headers');
  let server: Server;
  let url: string;
  let logger: ReturnType<typeof createAuditLogger>;

  beforeAll(async () => {
    logger = createAuditLogger({
      service: { name: 'invoice-api' },
      transports: [createFileTransport({ dir })],
      handleSignals: false,
      checkpoints: { signer: key.signerKey, everyEntries: 1000, intervalMs: 200 },
    });
    server = await new Promise((r) => {
      const s = createApp({ express, logger }).listen(0, '127.0.0.1', () => r(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(headers, `# alice's token\nAuthorization: Bearer ${issueToken('alice')}\n`);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await logger.close();
  });

  it('PASS: each marked request is in the log with its actor and outcome, under a signed checkpoint', async () => {
    const r = await drill([
      url,
      '--log',
      dir,
      '--header-file',
      headers,
      '--actor',
      'u-alice',
      '--request',
      'GET /invoices',
      '--request',
      'DELETE /invoices/inv_1001',
      '--request',
      'PUT /invoices/inv_1001 {"amount":5}',
      '--trust',
      key.verifierKey,
      '--deadline',
      '20s',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok +GET \/invoices -> 200 .*actor u-alice, success, covered by checkpoint/m);
    expect(r.stdout).toMatch(/^ok +DELETE \/invoices\/inv_1001 -> 403 .*denied/m);
    expect(r.stdout).toContain('PASS: 3 of 3 requests recorded as sent');
  });

  it('FAIL: a request the policy does not record is named missing; a wrong actor is named', async () => {
    const missing = await drill([url, '--log', dir, '--request', 'GET /health', '--deadline', '1500ms', '--json']);
    expect(missing.code).toBe(1);
    const result = JSON.parse(missing.stdout);
    expect(result.passed).toBe(false);
    expect(result.probes[0]).toMatchObject({ status: 200, problems: ['not in the log'] });
    const wrong = await drill([
      url,
      '--log',
      dir,
      '--header-file',
      headers,
      '--actor',
      'u-bob',
      '--request',
      'GET /invoices',
      '--deadline',
      '10s',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('actor u-alice, expected u-bob');
    // Without credentials or --actor, the entry must say anonymous (and does: 401 -> denied).
    const anon = await drill([url, '--log', dir, '--request', 'GET /invoices', '--deadline', '10s']);
    expect(anon.code).toBe(0);
    expect(anon.stdout).toMatch(/-> 401 .*actor anonymous, denied/);
    expect(anon.stdout).toContain('signed checkpoints not checked');
  });

  it('FAIL: given a key that signed none of its checkpoints, the log does not verify and the break says why', async () => {
    const other = generateNoteKey('someone.else/log');
    const r = await drill([url, '--log', dir, '--request', 'GET /invoices', '--trust', other.verifierKey, '--deadline', '1500ms']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BREAK checkpoint-signature .*no signature by a trusted key/m);
  });

  it('FAIL: an edited log does not verify, and the break is named', async () => {
    const file = join(dir, 'audit.log');
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"GET /invoices"'));
    lines[i] = (lines[i] as string).replace('"status":200', '"status":204');
    writeFileSync(file, lines.join('\n'));
    const r = await drill([url, '--log', dir, '--request', 'GET /invoices', '--deadline', '5s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BREAK /m);
    expect(r.stdout).toContain('FAIL');
  });

  it('the run is recorded in the reader log, without the credentials given with --header', async () => {
    const reads = tempDir('ar-reads-');
    const token = issueToken('alice');
    const r = await drill(
      [url, '--log', dir, '--header', `Authorization: Bearer ${token}`, '--request', 'GET /invoices {"a":1}', '--deadline', '10s'],
      reads,
    );
    expect(r.stdout).toContain('/invoices');
    const record = readdirSync(reads)
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(reads, f), 'utf8'))
      .join('');
    expect(record).toContain('"drill"');
    expect(record).toMatch(/Authorization: \[(redacted|REDACTED:[a-z-]+)\]/);
    expect(record).toContain('GET /invoices {\\"a\\":1}');
    expect(record).not.toContain(token);
  });

  it('usage errors exit 2', async () => {
    expect((await drill(['--log', dir])).code).toBe(2);
    expect((await drill([url])).code).toBe(2);
    expect((await drill([url, '--log', dir, '--request', 'nonsense'])).code).toBe(2);
  });
});

describe("auditready drill reading an HTTP collector's store", () => {
  it('PASS when the service ships its entries to a collector (examples/http-receiver) and the drill reads what it stored', async () => {
    const store = tempDir('ar-drill-store-');
    const { handler } = createReceiver({ dir: store });
    const collector = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const logger = createAuditLogger({
      service: { name: 'invoice-api' },
      transports: [
        createHttpTransport({
          url: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/ingest`,
          deadLetterFile: join(store, 'dead.ndjson'),
        }),
      ],
      handleSignals: false,
    });
    const server: Server = await new Promise((r) => {
      const s = createApp({ express, logger }).listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await drill([
        url,
        '--log',
        join(store, 'received.log'),
        '--request',
        'GET /invoices',
        '--request',
        'GET /nope',
        '--deadline',
        '20s',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/-> 404 .*failure/);
    } finally {
      await new Promise((r) => server.close(r));
      await logger.close();
      await new Promise((r) => collector.close(r));
    }
  });
});
