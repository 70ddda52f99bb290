/**
 * Fail-closed under concurrency: more requests in flight than the queue has room. A request is
 * admitted only with room held for its entry, so every request served has its entry, and the rest
 * are refused with 503 — in-process and with the logger in a worker thread.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditLogger, createAuditLogger, createMemoryTransport } from '@auditready/core';
import { startWorkerAuditLogger } from '@auditready/core/worker';
import express from 'express5';
import { describe, expect, it } from 'vitest';
import { auditMiddleware } from '../src/index.js';

async function serve(logger: AuditLogger): Promise<{ server: Server; url: string }> {
  const app = express();
  app.use(auditMiddleware({ logger, failClosed: true }));
  app.get('/slow/:i', async (req, res) => {
    await new Promise((r) => setTimeout(r, 200)); // slow: every request is in flight at once
    res.json({ i: req.params.i });
  });
  const { createServer } = await import('node:http');
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function burst(url: string, n: number): Promise<{ id: string; status: number }[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const id = `burst-${i}`;
      const res = await fetch(`${url}/slow/${i}`, { headers: { 'x-request-id': id } });
      await res.text();
      return { id, status: res.status };
    }),
  );
}

describe('fail-closed with more requests in flight than queue room', () => {
  it('in-process: every request served has its entry; the rest get 503', async () => {
    const transport = createMemoryTransport();
    transport.setDown(true); // nothing drains while the burst is in flight
    const logger = createAuditLogger({
      service: { name: 'fc' },
      transports: [transport],
      handleSignals: false,
      queue: { maxEntries: 5, overflow: 'fail-closed' },
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
      onError: () => {},
    });
    const { server, url } = await serve(logger);
    try {
      const results = await burst(url, 20);
      const served = results.filter((r) => r.status === 200);
      expect(served.length).toBeGreaterThan(0);
      expect(results.every((r) => r.status === 200 || r.status === 503)).toBe(true);
      transport.setDown(false);
      expect((await logger.flush({ timeoutMs: 5000 })).ok).toBe(true);
      const ids = new Set(transport.entries().map((e) => e.http?.requestId));
      for (const r of served) expect(ids.has(r.id), `${r.id} was served without an entry`).toBe(true);
      expect(transport.entries().filter((e) => e.kind === 'gap')).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
      await logger.close();
    }
  });

  it('worker mode: the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ar-fc-worker-'));
    const setup = new URL('../../core/test/fixtures/worker/setup-file.mjs', import.meta.url);
    const logger = await startWorkerAuditLogger(setup, { setupData: { dir, failClosed: true }, handleSignals: false, onError: () => {} });
    const { server, url } = await serve(logger);
    try {
      const results = await burst(url, 20);
      const served = results.filter((r) => r.status === 200);
      expect(served.length).toBeGreaterThan(0);
      writeFileSync(join(dir, 'go'), ''); // the destination comes back
      expect((await logger.flush({ timeoutMs: 5000 })).ok).toBe(true);
      const entries = readFileSync(join(dir, 'audit.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const ids = new Set(entries.map((e) => e.http?.requestId));
      for (const r of served) expect(ids.has(r.id), `${r.id} was served without an entry`).toBe(true);
      expect(entries.filter((e) => e.kind === 'gap')).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
      await logger.close();
    }
  });
});
