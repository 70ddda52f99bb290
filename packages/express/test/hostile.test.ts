/**
 * The app never loses an entry because of what it or its clients hand the middleware: getters
 * that throw non-Errors, null-prototype errors, messages that are not strings, an actor whose
 * getter throws, a handler that throws after the headers went out, a JSON body with a lone
 * surrogate. Real Express 4 and 5 apps on real sockets.
 */
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEntry } from '@auditready/core';
import { createTestAuditLogger } from '@auditready/core/testing';
import { verifySync } from '@auditready/core/verify';
import express4 from 'express4';
import express5 from 'express5';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditErrors, auditMiddleware } from '../src/index.js';

const VERSIONS = [
  ['Express 4', express4],
  ['Express 5', express5],
] as const;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(app: unknown): Promise<string> {
  const { createServer } = await import('node:http');
  const server = createServer(app as never);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

for (const [name, express] of VERSIONS) {
  describe(`${name}: hostile values never cost an entry`, () => {
    const setup = async (routes: (app: ReturnType<typeof express>) => void) => {
      const audit = createTestAuditLogger({ deterministic: false, onError: () => {} });
      const app = express();
      app.use(auditMiddleware({ logger: audit.logger, policy: [{ method: 'POST', route: '/echo', audit: 'request-body' }] }));
      app.use(express.json());
      routes(app);
      app.use(auditErrors());
      // biome-ignore lint/suspicious/noExplicitAny: Express error handler signature
      app.use((err: unknown, _req: any, res: any, next: any) => {
        // As Express advises: once headers are out, the default handler cuts the connection.
        if (res.headersSent) return next(err);
        res.status(500).json({ error: 'failed' });
      });
      const url = await listen(app);
      const entry = (id: string) =>
        vi.waitFor(
          () => {
            const e = audit.entries().find((x: AuditEntry) => x.kind === 'access' && x.http?.requestId === id);
            if (!e) throw new Error('not yet');
            return e;
          },
          { timeout: 3000, interval: 5 },
        );
      return { audit, url, entry };
    };

    it('req.user whose getter throws a non-Error: the entry is kept, anonymous, the problem noted', async () => {
      const { url, entry, audit } = await setup((app) => {
        app.use((req, _res, next) => {
          Object.defineProperty(req, 'user', {
            get() {
              throw Object.create(null);
            },
          });
          next();
        });
        app.get('/x', (_req, res) => res.json({ ok: true }));
      });
      expect((await fetch(`${url}/x`, { headers: { 'x-request-id': 'user-getter' } })).status).toBe(200);
      const e = await entry('user-getter');
      expect(e.actor?.type).toBe('anonymous');
      expect(e.details?.auditErrors).toEqual(['actor resolver threw: unprintable error']);
      expect(verifySync(audit.lines()).valid).toBe(true);
    });

    it('next() with a null-prototype object, or an error whose message is not a string: recorded as an error', async () => {
      const { url, entry } = await setup((app) => {
        app.get('/null', (_req, _res, next) => next(Object.create(null)));
        app.get('/weird', (_req, _res, next) => next(Object.assign(new Error('x'), { message: { not: 'a string' } })));
      });
      expect((await fetch(`${url}/null`, { headers: { 'x-request-id': 'null-proto' } })).status).toBe(500);
      expect((await fetch(`${url}/weird`, { headers: { 'x-request-id': 'weird-message' } })).status).toBe(500);
      expect(await entry('null-proto')).toMatchObject({ outcome: 'error', reason: 'unprintable error', http: { status: 500 } });
      const weird = await entry('weird-message');
      expect(weird.outcome).toBe('error');
      expect(typeof weird.reason).toBe('string');
    });

    it('setActor() with an object whose getter throws: the other fields are kept, the problem noted', async () => {
      const { url, entry } = await setup((app) => {
        app.get('/actor', (req, res) => {
          const actor = { type: 'user', id: 'u-7' } as Record<string, unknown>;
          Object.defineProperty(actor, 'name', {
            enumerable: true,
            get() {
              throw new Error('directory down');
            },
          });
          req.audit?.setActor(actor as never);
          res.json({ ok: true });
        });
      });
      expect((await fetch(`${url}/actor`, { headers: { 'x-request-id': 'actor-getter' } })).status).toBe(200);
      const e = await entry('actor-getter');
      expect(e.actor).toMatchObject({ type: 'user', id: 'u-7' });
      expect(e.details?.auditErrors).toEqual(['actor.name getter threw: directory down']);
    });

    it('a handler that throws after the headers were sent is an error (not a client that left), and keeps the client ip', async () => {
      const { url, entry } = await setup((app) => {
        app.get('/half', (_req, res, next) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          next(new Error('failed mid-stream'));
        });
      });
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${url}/half`, { headers: { 'x-request-id': 'after-headers' } }, (res) => {
          res.on('data', () => {});
          res.on('close', () => resolve());
          res.on('error', () => resolve());
        });
        req.on('error', () => resolve());
        req.end();
      });
      const e = await entry('after-headers');
      expect(e.outcome).toBe('error');
      expect(e.reason).toBe('failed mid-stream');
      expect(e.actor?.ip).toBe('127.0.0.1');
    });

    it('a client that leaves is aborted and keeps its ip', async () => {
      let arrived: () => void = () => {};
      const inHandler = new Promise<void>((r) => {
        arrived = r;
      });
      const { url, entry } = await setup((app) => {
        app.get('/slow', (_req, res) => {
          arrived();
          setTimeout(() => res.end('late'), 300);
        });
      });
      const req = httpRequest(`${url}/slow`, { headers: { 'x-request-id': 'left' } });
      req.on('error', () => {});
      req.end();
      await inHandler;
      req.destroy();
      const e = await entry('left');
      expect(e.outcome).toBe('aborted');
      expect(e.actor?.ip).toBe('127.0.0.1');
    });

    it('a JSON body with a lone surrogate keeps the access entry: the string is repaired and the repair noted', async () => {
      const { url, entry } = await setup((app) => {
        app.post('/echo', (req, res) => res.json({ got: Object.keys(req.body) }));
      });
      const res = await fetch(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'surrogate' },
        body: '{"note":"\\ud800 broken","n":1}',
      });
      expect(res.status).toBe(200);
      const e = await entry('surrogate');
      expect(e.kind).toBe('access');
      expect(e.http).toMatchObject({ path: '/echo', status: 200, requestBody: { note: '\ufffd broken', n: 1 } });
      expect(e.details?.auditErrors).toEqual(['requestBody: 1 string(s) with lone UTF-16 surrogates, replaced by U+FFFD']);
    });
  });

  describe(`${name}: a generateRequestId that throws, or returns what cannot be a header`, () => {
    const cases = [
      [
        'throws',
        () => {
          throw new Error('id service down');
        },
        'generateRequestId threw: id service down',
      ],
      ['returns a line break', () => 'id\r\nSet-Cookie: a=b', 'generateRequestId threw: returned an id outside [A-Za-z0-9._:@/+=-]{1,128}'],
      ['returns a number', () => 42 as unknown as string, 'generateRequestId threw: returned number'],
    ] as const;
    it.each(cases)(
      '%s: the request is served and recorded with a UUID, the problem noted on the entry and reported',
      async (_what, generateRequestId, note) => {
        const errors: unknown[] = [];
        const audit = createTestAuditLogger({ deterministic: false, onError: (e) => errors.push(e) });
        const app = express();
        app.use(auditMiddleware({ logger: audit.logger, generateRequestId }));
        app.get('/ok', (_req, res) => {
          res.json({ ok: true });
        });
        const url = await listen(app);
        const res = await fetch(`${url}/ok`);
        expect(res.status).toBe(200);
        expect(res.headers.get('set-cookie')).toBeNull();
        const id = res.headers.get('x-request-id') ?? '';
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const entry = await vi.waitFor(
          () => {
            const e = audit.entries().find((x: AuditEntry) => x.kind === 'access' && x.http?.requestId === id);
            if (!e) throw new Error('not yet');
            return e;
          },
          { timeout: 3000, interval: 5 },
        );
        expect(entry).toMatchObject({ outcome: 'success', http: { status: 200 } });
        expect(entry.details?.auditErrors).toEqual([note]);
        expect(errors).toEqual([expect.objectContaining({ code: 'ERR_AUDIT_HOOK' })]);
      },
    );
  });
}
