/**
 * The example API (examples/express-basic) on a real socket, on Express 4 and Express 5, for every
 * behaviour of the middleware.
 */
import { request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuditEntry, type AuditError, createAuditLogger, createMemoryTransport } from '@auditready/core';
import { assertNoSecrets, createTestAuditLogger } from '@auditready/core/testing';
import { verifySync } from '@auditready/core/verify';
import express4 from 'express4';
import express5 from 'express5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JS example app
import { createApp, issueToken } from '../../../examples/express-basic/app.mjs';
import { waitFor } from '../../../test-support/wait.js';
import type { AuditRequestApi } from '../src/index.js';

const VERSIONS = [
  ['Express 4', express4],
  ['Express 5', express5],
] as const;

async function listen(app: (req: unknown, res: unknown) => void): Promise<{ server: Server; url: string }> {
  const { createServer } = await import('node:http');
  const server = createServer(app as never);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const alice = { authorization: `Bearer ${issueToken('alice')}` };
const bob = { authorization: `Bearer ${issueToken('bob')}` };
const root = { authorization: `Bearer ${issueToken('root')}` };

for (const [name, express] of VERSIONS) {
  describe(`${name}: the example API, audited`, () => {
    let audit: ReturnType<typeof createTestAuditLogger>;
    let server: Server;
    let url: string;
    const byRequestId = (id: string | null) => () => audit.entries().find((e) => e.kind === 'access' && e.http?.requestId === id);
    const call = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${url}${path}`, init);
      const id = res.headers.get('x-request-id');
      const body = await res.text();
      const entry = await waitFor(byRequestId(id));
      return { res, id, body, entry };
    };

    beforeAll(async () => {
      audit = createTestAuditLogger({ deterministic: false });
      ({ server, url } = await listen(createApp({ express, logger: audit.logger })));
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
      audit.assertValid();
    });

    it('records one access entry: route template, actor resolved at completion, resource, status, duration, bytes, request id', async () => {
      const { res, id, entry } = await call('/invoices/inv_1001', { headers: alice });
      expect(res.status).toBe(200);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(entry).toMatchObject({
        kind: 'access',
        action: 'GET /invoices/:id',
        outcome: 'success',
        actor: { type: 'user', id: 'u-alice', ip: '127.0.0.1' },
        resource: { type: 'invoice', id: 'inv_1001' },
        http: { method: 'GET', route: '/invoices/:id', path: '/invoices/inv_1001', status: 200, requestId: id, protocol: 'HTTP/1.1' },
      });
      expect(entry.http?.durationMs).toBeGreaterThan(0);
      expect(entry.http?.bytesOut).toBe(Number(res.headers.get('content-length')));
      // The credential header never reaches the entry; the entry says it was cut only if it was there.
      expect(JSON.stringify(entry)).not.toContain(alice.authorization.slice(7));
    });

    it('accepts a well-formed X-Request-Id and echoes it; replaces a malformed one', async () => {
      const good = await call('/invoices', { headers: { ...alice, 'x-request-id': 'req-abc_123' } });
      expect(good.id).toBe('req-abc_123');
      expect(good.entry.http?.requestId).toBe('req-abc_123');
      const bad = await call('/invoices', { headers: { ...alice, 'x-request-id': 'has spaces & <tags>' } });
      expect(bad.id).not.toBe('has spaces & <tags>');
      expect(bad.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('parses W3C traceparent into trace/span ids, and ignores an invalid one', async () => {
      const { entry } = await call('/invoices', {
        headers: { ...alice, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      });
      expect(entry.trace).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
      const bad = await call('/invoices', {
        headers: { ...alice, traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
      });
      expect(bad.entry.trace).toBeUndefined();
    });

    it('outcomes: denied for 401/403 and explicit deny(reason); failure for other 4xx', async () => {
      expect((await call('/invoices')).entry).toMatchObject({ outcome: 'denied', actor: { type: 'anonymous' }, http: { status: 401 } });
      const admin = await call('/admin/users', { headers: bob });
      expect(admin.entry).toMatchObject({
        outcome: 'denied',
        reason: 'requires role admin',
        actor: { id: 'u-bob' },
        http: { status: 403, route: '/admin/users' },
      });
      const notOwner = await call('/invoices/inv_1001', { headers: bob });
      expect(notOwner.entry).toMatchObject({ outcome: 'denied', reason: 'not the owner', http: { status: 404 } });
      const bad = await call('/invoices/inv_1001', {
        method: 'PUT',
        headers: { ...alice, 'content-type': 'application/json' },
        body: '{"amount":"lots"}',
      });
      expect(bad.entry).toMatchObject({ outcome: 'failure', http: { status: 400 } });
      const missing = await call('/no/such/route', { headers: alice });
      expect(missing.entry).toMatchObject({ outcome: 'failure', action: 'GET /no/such/route', http: { status: 404 } });
      expect(missing.entry.http?.route).toBeUndefined();
    });

    it('errors thrown in routes and in async routes: outcome error, the reason and error code noted', async () => {
      const sync = await call('/boom', { headers: alice });
      expect(sync.res.status).toBe(500);
      expect(sync.entry).toMatchObject({
        outcome: 'error',
        reason: 'invoice renderer crashed',
        details: { error: { name: 'Error' } },
        http: { status: 500 },
      });
      const asyncErr = await call('/boom-async', { headers: alice });
      expect(asyncErr.entry).toMatchObject({ outcome: 'error', reason: 'database timeout', details: { error: { code: 'ETIMEDOUT' } } });
    });

    it('a client that goes away: recorded as aborted, with no status it never received', async () => {
      const requestId = `abort-${name.replace(' ', '')}`;
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${url}/slow`, { headers: { 'x-request-id': requestId } });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
      const entry = await waitFor(byRequestId(requestId));
      expect(entry.outcome).toBe('aborted');
      expect(entry.http?.status).toBeUndefined();
      expect(entry.details).toMatchObject({ aborted: 'client went away before a response' });
    });

    it('streaming responses: bytes counted across writes', async () => {
      const { res, body, entry } = await call('/export', { headers: root });
      expect(res.status).toBe(200);
      expect(body).toBe('id,amount\ninv_1001,120\ninv_1002,75\n');
      expect(entry).toMatchObject({ outcome: 'success', http: { route: '/export', status: 200, bytesOut: Buffer.byteLength(body) } });
    });

    it('nested routers: the full route template', async () => {
      const { entry } = await call('/orgs/acme/invoices/inv_1002', { headers: bob });
      expect(entry).toMatchObject({
        action: 'GET /orgs/:orgId/invoices/:invId',
        http: { route: '/orgs/:orgId/invoices/:invId' },
        resource: { type: 'invoice', id: 'inv_1002' },
      });
    });

    it('policies, first match wins: skip, request body (redacted), response body', async () => {
      const before = audit.entries().length;
      await fetch(`${url}/health`);
      await new Promise((r) => setTimeout(r, 30));
      expect(audit.entries().length).toBe(before);
      const login = await call('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'correct-horse-battery-staple' }),
      });
      expect(login.entry).toMatchObject({
        action: 'POST /login',
        outcome: 'success',
        actor: { id: 'u-alice', name: 'alice' },
        http: { requestBody: { username: 'alice' } },
      });
      expect(login.entry.redacted).toEqual(
        expect.arrayContaining([{ how: 'remove', path: 'http.requestBody.password', rule: 'default:credential-key' }]),
      );
      const admin = await call('/admin/users', { headers: root });
      expect(Array.isArray(admin.entry.http?.responseBody)).toBe(true);
      const list = await call('/invoices', { headers: alice });
      expect(list.entry.http?.responseBody).toBeUndefined(); // metadata only by default
    });

    it('uploads: size and type in details, the bytes themselves not logged', async () => {
      const payload = Buffer.alloc(2048, 7);
      const { res, entry } = await call('/invoices/inv_1001/attachments', {
        method: 'POST',
        headers: { ...alice, 'content-type': 'application/pdf' },
        body: payload,
      });
      expect(res.status).toBe(201);
      expect(entry).toMatchObject({
        outcome: 'success',
        details: { attachment: { bytes: 2048, contentType: 'application/pdf' } },
        http: { bytesIn: 2048 },
      });
      expect(entry.http?.requestBody).toBe('[binary body: 2048 bytes]');
    });

    it('oversized client input (user agent, path, route parameter) is cut with a marker, never turned into a rejected entry', async () => {
      const long = 'x'.repeat(5000);
      const { entry } = await call(`/invoices/${long}?q=${long}`, { headers: { ...alice, 'user-agent': `agent/${long}` } });
      expect(entry.kind).toBe('access');
      expect(entry.actor?.userAgent?.length).toBeLessThanOrEqual(1024);
      expect(entry.actor?.userAgent).toMatch(/…\[truncated \d+ of \d+ chars\]$/);
      expect(entry.http?.path?.length).toBeLessThanOrEqual(8192);
      expect(entry.resource?.id?.length).toBeLessThanOrEqual(512);
    });

    it('secrets in headers, query and body never reach the log', async () => {
      const secrets = {
        bearer: alice.authorization.slice(7),
        cookie: 'session=8c1f0aa1e2b34c5d9e',
        apiKey: 'ak_live_51H8demoKeyValue',
        queryToken: 'qtok-5f2a9c7e1b',
        password: 'admin-password-do-not-log',
      };
      await call(`/invoices?access_token=${secrets.queryToken}`, {
        headers: { ...alice, cookie: secrets.cookie, 'x-api-key': secrets.apiKey },
      });
      await call('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'root', password: secrets.password }),
      });
      assertNoSecrets(audit, { secrets: Object.values(secrets) });
      const withQuery = audit.entries().find((e) => e.http?.path?.includes('access_token'));
      expect(withQuery?.http?.path).toBe('/invoices?access_token=[REDACTED:query-secret]');
    });
  });

  describe(`${name}: source ip and trust proxy`, () => {
    it("uses the socket address by default (X-Forwarded-For is spoofable), and Express's trust proxy rule when set", async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      const app = createApp({ express, logger: audit.logger });
      const { server, url } = await listen(app);
      try {
        await fetch(`${url}/invoices`, { headers: { ...alice, 'x-forwarded-for': '198.51.100.66', 'x-request-id': 'xff-untrusted' } });
        const untrusted = await waitFor(() => audit.entries().find((e) => e.http?.requestId === 'xff-untrusted'));
        expect(untrusted.actor?.ip).toBe('127.0.0.1');
        app.set('trust proxy', 'loopback');
        await fetch(`${url}/invoices`, { headers: { ...alice, 'x-forwarded-for': '198.51.100.66', 'x-request-id': 'xff-trusted' } });
        const trusted = await waitFor(() => audit.entries().find((e) => e.http?.requestId === 'xff-trusted'));
        expect(trusted.actor?.ip).toBe('198.51.100.66');
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });

  describe(`${name}: modes`, () => {
    it('two-phase: a received record at the start, the completion after; requests in flight are visible', async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      const { server, url } = await listen(createApp({ express, logger: audit.logger, auditOptions: { twoPhase: true } }));
      try {
        const pending = fetch(`${url}/slow`, { headers: { 'x-request-id': 'two-phase-1' } });
        const received = await waitFor(() => audit.entries().find((e) => e.http?.requestId === 'two-phase-1'));
        expect(received).toMatchObject({ kind: 'event', action: 'http.request.received', details: { phase: 'received' } });
        expect(audit.entries().filter((e) => e.http?.requestId === 'two-phase-1')).toHaveLength(1); // still in flight
        await (await pending).text();
        const done = await waitFor(() => audit.entries().find((e) => e.kind === 'access' && e.http?.requestId === 'two-phase-1'));
        expect(done).toMatchObject({ outcome: 'success', details: { phase: 'completed' } });
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('fail-closed: 503 instead of serving requests that cannot be audited; fail-open (default) serves and reports', async () => {
      const transport = createMemoryTransport();
      const errors: AuditError[] = [];
      const logger = createAuditLogger({
        service: { name: 's' },
        transports: [transport],
        handleSignals: false,
        queue: { maxEntries: 3, overflow: 'fail-closed' },
        retry: { initialDelayMs: 5, maxDelayMs: 20 },
        onError: (e) => errors.push(e),
      });
      transport.setDown(true);
      const { server, url } = await listen(createApp({ express, logger, auditOptions: { failClosed: true } }));
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/invoices`, { headers: alice })).status);
        expect(statuses.slice(0, 2)).toEqual([200, 200]);
        expect(statuses.slice(2)).toEqual([503, 503, 503]);
        transport.setDown(false);
        await logger.flush();
        expect((await fetch(`${url}/invoices`, { headers: alice })).status).toBe(200);
      } finally {
        await new Promise((r) => server.close(r));
        await logger.close();
      }
      expect(verifySync(transport.lines()).valid).toBe(true);
    });

    it('a resolver that throws never breaks the request: the entry is written with the error noted, and onError is called', async () => {
      const errors: AuditError[] = [];
      const audit = createTestAuditLogger({ deterministic: false, onError: (e) => errors.push(e) });
      const { server, url } = await listen(
        createApp({
          express,
          logger: audit.logger,
          auditOptions: {
            actor: () => {
              throw new Error('user service down');
            },
          },
        }),
      );
      try {
        const res = await fetch(`${url}/invoices`, { headers: { ...alice, 'x-request-id': 'resolver-throws' } });
        expect(res.status).toBe(200);
        const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === 'resolver-throws'));
        expect(entry).toMatchObject({
          outcome: 'success',
          actor: { type: 'anonymous' },
          details: { auditErrors: ['actor resolver threw: user service down'] },
        });
        expect(errors.map((e) => e.code)).toContain('ERR_AUDIT_HOOK');
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('a client that left while earlier async middleware ran: still recorded as aborted when auditMiddleware runs', async () => {
      const { auditMiddleware } = await import('../src/index.js');
      const audit = createTestAuditLogger({ deterministic: false });
      const app = express();
      let released: () => void = () => {};
      const gone = new Promise<void>((r) => {
        released = r;
      });
      // Slow session lookup before the audit middleware; the client disconnects meanwhile.
      app.use((req: { on: (e: string, f: () => void) => void }, _res: unknown, next: () => void) => {
        req.on('close', () => setTimeout(released, 20));
        void gone.then(next);
      });
      app.use(auditMiddleware({ logger: audit.logger }));
      let routeRan = false;
      app.get('/late', (_req: unknown, res: { send: (b: string) => void }) => {
        routeRan = true;
        res.send('too late');
      });
      const { server, url } = await listen(app as never);
      try {
        const req = httpRequest(`${url}/late`, { headers: { 'x-request-id': 'left-early' } });
        req.on('error', () => {});
        req.end();
        await new Promise((r) => setTimeout(r, 50));
        req.destroy();
        const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === 'left-early'));
        expect(entry).toMatchObject({
          outcome: 'aborted',
          action: 'GET /late',
          details: { aborted: 'client went away before a response' },
        });
        expect(entry.http?.status).toBeUndefined();
        await waitFor(() => (routeRan ? true : undefined));
        await new Promise((r) => setTimeout(r, 30));
        expect(audit.entries().filter((e: AuditEntry) => e.http?.requestId === 'left-early')).toHaveLength(1);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('onResponseEnd (for adapters) sees the last chunk; if it throws, the response and the entry are unharmed', async () => {
      const errors: unknown[] = [];
      const audit = createTestAuditLogger({ deterministic: false, onError: (e) => errors.push(e) });
      const seen: string[] = [];
      const { server, url } = await listen(
        createApp({
          express,
          logger: audit.logger,
          auditOptions: {
            onResponseEnd: (a: AuditRequestApi, res: ServerResponse, chunk: unknown) => {
              seen.push(`${a.requestId} ${res.statusCode} ${typeof chunk === 'string' || Buffer.isBuffer(chunk) ? 'body' : 'none'}`);
              if (a.requestId === 'end-throws') throw new Error('adapter bug');
              a.addDetails({ inspected: true });
            },
          },
        }),
      );
      try {
        const ok = await fetch(`${url}/invoices`, { headers: { ...alice, 'x-request-id': 'end-ok' } });
        expect(ok.status).toBe(200);
        const bad = await fetch(`${url}/invoices`, { headers: { ...alice, 'x-request-id': 'end-throws' } });
        expect(bad.status).toBe(200);
        expect(((await bad.json()) as unknown[]).length).toBeGreaterThan(0);
        const okEntry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === 'end-ok'));
        expect(okEntry).toMatchObject({ outcome: 'success', details: { inspected: true } });
        const badEntry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === 'end-throws'));
        expect(badEntry).toMatchObject({ outcome: 'success', http: { status: 200 } });
        expect(seen).toEqual(['end-ok 200 body', 'end-throws 200 body']);
        expect(errors.map((e) => (e as Error).message)).toContain('adapter bug');
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });
}
