/**
 * The redaction corpus (test-support/secret-corpus.ts) through a real Express 4 and Express 5 app
 * on a real socket: over 150 secrets planted in headers, the user agent, query, path, userinfo,
 * JSON / form / text / multipart bodies (small and over the cap, honest and misleading
 * content-types), response bodies, error messages, actor fields and details. None may reach the
 * raw bytes of the log (plain, JSON-escaped, base64, URL-encoded), every ordinary look-alike must,
 * and the test kit's assertNoSecrets must agree the output is clean.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestAuditLogger } from '@auditready/core/testing';
import express4 from 'express4';
import express5 from 'express5';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildCorpus, expectCorpusClean } from '../../../test-support/secret-corpus.js';
import { auditErrors, auditMiddleware, requestAudit } from '../src/index.js';

const corpus = buildCorpus();

// biome-ignore lint/suspicious/noExplicitAny: both Express majors, one app
function corpusApp(express: any, logger: ReturnType<typeof createTestAuditLogger>['logger']) {
  const app = express();
  app.use(auditMiddleware({ logger, policy: [{ route: '/echo', audit: 'bodies', maxBodyBytes: 1024 }] }));
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(express.text({ type: ['text/*', 'multipart/form-data'] }));
  // biome-ignore lint/suspicious/noExplicitAny: Express 4 and 5 request types
  app.use((req: any, _res: unknown, next: () => void) => {
    if (req.get('x-user-id')) req.user = { id: req.get('x-user-id'), name: req.get('x-user-name') };
    const details = req.get('x-details');
    if (details) requestAudit(req)?.addDetails(JSON.parse(details));
    next();
  });
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const echo = (req: any, res: any) => {
    res.type(req.get('x-respond-type') ?? 'application/json').send(req.get('x-respond') ?? '{"ok":true}');
  };
  app.post('/echo', echo);
  app.put('/echo', echo);
  // biome-ignore lint/suspicious/noExplicitAny: as above
  app.get('/items/:id', (_req: any, res: any) => res.json({ ok: true }));
  // biome-ignore lint/suspicious/noExplicitAny: as above
  app.get('/download', (_req: any, res: any) => res.json({ ok: true }));
  // biome-ignore lint/suspicious/noExplicitAny: as above
  app.get('/fail', (req: any) => {
    throw new Error(req.get('x-error-message') ?? 'failed');
  });
  app.use(auditErrors());
  // biome-ignore lint/suspicious/noExplicitAny: as above
  app.use((_err: unknown, _req: any, res: any, _next: unknown) => res.status(500).json({ error: 'internal' }));
  return app;
}

for (const [name, express] of [
  ['Express 4', express4],
  ['Express 5', express5],
] as const) {
  describe(`${name}: the redaction corpus`, () => {
    const audit = createTestAuditLogger({ deterministic: false, onError: () => {} });
    let server: Server;
    let url: string;

    beforeAll(async () => {
      const { createServer } = await import('node:http');
      server = createServer(corpusApp(express, audit.logger));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
    });

    it(`${corpus.secrets.length} planted secrets: none in the raw log; ${corpus.benign.length} look-alikes: all kept`, async () => {
      await expectCorpusClean(url, audit, corpus);
    });
  });
}
