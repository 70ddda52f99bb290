/**
 * Route coverage on the example API (Express 4 and 5): listRoutes() lists every route with the
 * template its entries carry, and `auditready coverage` flags a mutating route added on purpose
 * without an audit (a policy's skip; registered before the middleware).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger, createMemoryTransport } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import express4 from 'express4';
import express5 from 'express5';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JS example app
import { createApp, issueToken } from '../../../examples/express-basic/app.mjs';
import { auditMiddleware, listRoutes } from '../src/index.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');
const alice = { authorization: `Bearer ${issueToken('alice')}` };

function coverage(args: string[]) {
  const r = spawnSync(BIN, ['coverage', ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUDITREADY_READER_LOG: mkdtempSync(join(tmpdir(), 'ar-reads-')) },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const [name, express] of [
  ['Express 4', express4],
  ['Express 5', express5],
] as const) {
  describe(`${name}: route coverage of the example API`, () => {
    it('lists every route with its entries’ template; coverage flags the unaudited POST a test added, and nothing else', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ar-coverage-'));
      const logger = createAuditLogger({
        service: { name: 'invoice-api' },
        transports: [createFileTransport({ dir })],
        handleSignals: false,
      });
      const app = createApp({
        express,
        logger,
        auditOptions: {
          policy: [
            { route: '/health', audit: 'skip' },
            { method: 'POST', route: '/internal/*', audit: 'skip' },
          ],
        },
      });
      // Added on purpose: a state-changing route the policy above leaves unaudited.
      app.post('/internal/reindex', (_req: unknown, res: { json: (b: unknown) => void }) => res.json({ ok: true }));
      const server: Server = await new Promise((r) => {
        const s = app.listen(0, '127.0.0.1', () => r(s));
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const [method, path] of [
        ['GET', '/invoices'],
        ['GET', '/invoices/inv_1001'],
        ['HEAD', '/invoices/inv_1002'],
        ['PUT', '/invoices/inv_1001'],
        ['GET', '/orgs/acme/invoices/inv_1001'],
        ['POST', '/internal/reindex'],
        ['GET', '/health'],
      ] as const) {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: { ...alice, 'content-type': 'application/json' },
          ...(method === 'PUT' ? { body: '{"amount":130}' } : {}),
        });
        await res.arrayBuffer();
      }
      await new Promise((r) => server.close(r));
      await logger.close();

      const inventory = listRoutes(app);
      const byKey = new Map(inventory.routes.map((r) => [`${r.method} ${r.route}`, r]));
      expect(byKey.get('GET /orgs/:orgId/invoices/:invId')?.audit).toBe('audited');
      expect(byKey.get('POST /internal/reindex')?.audit).toBe('skipped-by-policy');
      expect(byKey.get('GET /health')?.audit).toBe('skipped-by-policy');
      expect(byKey.get('PUT /invoices/:id')).toMatchObject({ audit: 'audited', capture: 'metadata' });
      const routesFile = join(dir, '..', `${dir.split('/').pop()}-routes.json`);
      writeFileSync(routesFile, JSON.stringify(inventory));

      const r = coverage(['--routes', routesFile, dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FLAGGED POST \/internal\/reindex\s+skipped-by-policy\s+0/);
      expect(r.stdout.match(/^FLAGGED/gm), r.stdout).toHaveLength(1);
      const json = JSON.parse(coverage(['--routes', routesFile, dir, '--json']).stdout);
      const status = Object.fromEntries(
        json.routes.map((x: { method: string; route: string; status: string; seen: number }) => [
          `${x.method} ${x.route}`,
          [x.status, x.seen],
        ]),
      );
      expect(status['GET /invoices/:id']).toEqual(['audited', 2]); // the HEAD counts for its GET route
      expect(status['GET /orgs/:orgId/invoices/:invId']).toEqual(['audited', 1]);
      expect(status['PUT /invoices/:id']).toEqual(['audited', 1]);
      expect(status['DELETE /invoices/:id']).toEqual(['never-seen', 0]);
      expect(status['GET /health']).toEqual(['skipped-by-policy', 0]);
      // Every route the log shows is in the inventory: the templates agree.
      expect(json.unlisted).toEqual([]);
    });

    it('a route registered before auditMiddleware(), or outside the path it is mounted on, is not behind it', () => {
      const logger = createAuditLogger({ service: { name: 't' }, transports: [createMemoryTransport()], handleSignals: false });
      const app = express();
      app.post('/early', (_q, s) => s.end());
      app.use('/api', auditMiddleware({ logger }));
      const v1 = express.Router();
      v1.delete('/items/:id', (_q, s) => s.end());
      app.use('/api/v1', v1);
      app.patch('/other', (_q, s) => s.end());
      app.all('/any', (_q, s) => s.end());
      const routes = listRoutes(app).routes.map((r) => `${r.method} ${r.route} ${r.audit}`);
      expect(routes).toEqual([
        'POST /early not-behind-middleware',
        'DELETE /api/v1/items/:id audited',
        'PATCH /other not-behind-middleware',
        'ALL /any not-behind-middleware',
      ]);
      void logger.close();
    });
  });
}
