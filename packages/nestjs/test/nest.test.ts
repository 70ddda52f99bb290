/** @auditready/nestjs through @nestjs/testing and a real listening app (Express and Fastify platforms). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditEntry, createAuditLogger, createMemoryTransport } from '@auditready/core';
import { createTestAuditLogger } from '@auditready/core/testing';
import { verifySync } from '@auditready/core/verify';
import { RequestAuditor } from '@auditready/node-http';
import { createFileTransport } from '@auditready/transport-file';
import { type INestApplication, Inject, Injectable, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../../test-support/wait.js';
import { AuditModule } from '../src/index.js';
import { HealthController, InvoiceService, InvoicesController } from './app.js';

type Platform = 'express' | 'fastify';

async function start(
  imports: unknown[],
  platform: Platform = 'express',
  fastifyOptions: ConstructorParameters<typeof FastifyAdapter>[0] = {},
  prepare?: (app: INestApplication) => void,
): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never,
    controllers: [InvoicesController, HealthController],
    providers: [InvoiceService],
  }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(fastifyOptions), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  app.enableShutdownHooks();
  prepare?.(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

const alice = { authorization: 'Bearer token-alice' };
const root = { authorization: 'Bearer token-root' };

for (const platform of ['express', 'fastify'] as const)
  describe(`AuditModule.forRoot on a listening Nest app (${platform} platform)`, () => {
    const audit = createTestAuditLogger({ deterministic: false });
    let app: INestApplication;
    let url: string;
    const call = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${url}${path}`, init);
      const id = res.headers.get('x-request-id');
      await res.text();
      const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === id));
      return { status: res.status, id, entry };
    };

    beforeAll(async () => {
      ({ app, url } = await start([AuditModule.forRoot({ logger: audit.logger })], platform));
    });
    afterAll(async () => {
      await app.close();
    });

    it('@Audit names the action and resolves the resource from params; the actor is request.user set by the guard', async () => {
      const { status, entry } = await call('/invoices/1', { headers: alice });
      expect(status).toBe(200);
      expect(entry).toMatchObject({
        action: 'invoice.read',
        outcome: 'success',
        actor: { type: 'user', id: 'u-alice', roles: ['user'] },
        resource: { type: 'invoice', id: '1' },
        http: { method: 'GET', route: '/invoices/:id', status: 200 },
      });
    });

    it('a resource resolver can read the handler result; a service records a business event in the request context', async () => {
      const { status, id, entry } = await call('/invoices', {
        method: 'POST',
        headers: { ...alice, 'content-type': 'application/json' },
        body: '{"amount":42}',
      });
      expect(status).toBe(201);
      expect(entry).toMatchObject({ action: 'invoice.create', outcome: 'success', resource: { type: 'invoice', id: '2' } });
      const event = audit.entries().find((e: AuditEntry) => e.kind === 'event' && e.action === 'invoice.issued');
      expect(event).toMatchObject({
        actor: { id: 'u-alice' },
        resource: { type: 'invoice', id: '2' },
        details: { amount: 42, requestId: id },
      });
    });

    it('requests rejected by guards: denied, with the guard reason and the handler’s action (the module’s guard runs first)', async () => {
      expect((await call('/invoices/1')).entry).toMatchObject({
        action: 'invoice.read',
        outcome: 'denied',
        reason: 'missing bearer token',
        actor: { type: 'anonymous' },
        http: { status: 401 },
      });
      expect((await call('/invoices/1', { method: 'DELETE', headers: alice })).entry).toMatchObject({
        action: 'invoice.delete',
        outcome: 'denied',
        reason: 'requires role admin',
        actor: { id: 'u-alice' },
        http: { status: 403, route: '/invoices/:id' },
      });
      const deleted = await call('/invoices/1', { method: 'DELETE', headers: root });
      expect(deleted.entry).toMatchObject({ action: 'invoice.delete', outcome: 'success' });
      // AuditService.recordLater() from the service: the request's actor and id, sealed before the access entry.
      const event = audit.entries().find((e: AuditEntry) => e.action === 'invoice.deleted' && e.details?.requestId === deleted.id);
      expect(event).toMatchObject({ kind: 'event', actor: { id: 'u-root' }, resource: { type: 'invoice', id: '1' } });
      expect((event as AuditEntry).seq).toBeLessThan(deleted.entry.seq);
    });

    it('validation pipes: failure with the validation message; HttpException: failure; unknown errors: error', async () => {
      expect((await call('/invoices/abc', { headers: alice })).entry).toMatchObject({
        outcome: 'failure',
        reason: 'Validation failed (numeric string is expected)',
        http: { status: 400 },
      });
      expect((await call('/invoices/teapot', { headers: alice })).entry).toMatchObject({
        outcome: 'failure',
        reason: 'short and stout',
        http: { status: 418 },
      });
      expect((await call('/invoices/boom', { headers: alice })).entry).toMatchObject({
        outcome: 'error',
        reason: 'renderer crashed',
        http: { status: 500 },
      });
      const missing = (await call('/nowhere', { headers: alice })).entry;
      // The path, not Nest's internal catch-all (/{*path}), names a request no route matched.
      expect(missing).toMatchObject({ outcome: 'failure', action: 'GET /nowhere', http: { status: 404, path: '/nowhere' } });
      expect(missing.http?.route).toBeUndefined();
    });

    it('a client that goes away during the handler: aborted, with the actor the guard set and no status', async () => {
      const requestId = `nest-abort-${platform}`;
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${url}/invoices/slow`, { headers: { ...alice, 'x-request-id': requestId } });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 80);
      });
      const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === requestId));
      expect(entry).toMatchObject({
        outcome: 'aborted',
        action: 'GET /invoices/slow',
        actor: { id: 'u-alice' },
        details: { aborted: 'client went away before a response' },
      });
      expect(entry.http?.status).toBeUndefined();
      await new Promise((r) => setTimeout(r, 350)); // the handler finishes later: still one entry
      expect(audit.entries().filter((e: AuditEntry) => e.http?.requestId === requestId)).toHaveLength(1);
    });

    it('@NoAudit: no entry', async () => {
      const before = audit.entries().length;
      expect((await fetch(`${url}/health`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 30));
      expect(audit.entries().length).toBe(before);
    });

    it('what was recorded is a valid chain', () => {
      audit.assertValid();
    });
  });

describe('Fastify platform specifics', () => {
  it("source ip follows Fastify's trustProxy; request bodies by policy come from Fastify's parsed body", async () => {
    for (const trustProxy of [false, true]) {
      const audit = createTestAuditLogger({ deterministic: false });
      const { app, url } = await start(
        [AuditModule.forRoot({ logger: audit.logger, policy: [{ method: 'POST', route: '/invoices', audit: 'request-body' }] })],
        'fastify',
        { trustProxy },
      );
      try {
        const res = await fetch(`${url}/invoices`, {
          method: 'POST',
          headers: { ...alice, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.66', 'x-request-id': 'fy-body' },
          body: '{"amount":42,"password":"hunter2"}',
        });
        expect(res.status).toBe(201);
        const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === 'fy-body'));
        expect(entry.actor?.ip).toBe(trustProxy ? '198.51.100.66' : '127.0.0.1');
        expect(entry).toMatchObject({
          action: 'invoice.create',
          actor: { id: 'u-alice' },
          http: { route: '/invoices', status: 201, requestBody: { amount: 42 } },
        });
        expect(JSON.stringify(entry)).not.toContain('hunter2'); // default redaction removed the credential
        // Requests no guard saw (404) are read from the node:http request: ip as Fastify set it there.
        const missing = await fetch(`${url}/nowhere`, { headers: { 'x-forwarded-for': '198.51.100.66', 'x-request-id': 'fy-404' } });
        expect(missing.status).toBe(404);
        const e404 = await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === 'fy-404'));
        expect(e404).toMatchObject({ outcome: 'failure', http: { status: 404, path: '/nowhere' } });
        expect(e404.actor?.ip).toBe(trustProxy ? '198.51.100.66' : '127.0.0.1');
        audit.assertValid();
      } finally {
        await app.close();
      }
    }
  });
});

for (const platform of ['express', 'fastify'] as const)
  describe(`failClosed (${platform} platform)`, () => {
    it('answers 503 instead of serving requests the audit log cannot take, and serves again once it can', async () => {
      const transport = createMemoryTransport();
      const logger = createAuditLogger({
        service: { name: 'nest-fc' },
        transports: [transport],
        handleSignals: false,
        queue: { maxEntries: 3, overflow: 'fail-closed' },
        retry: { initialDelayMs: 5, maxDelayMs: 20 },
        onError: () => {},
      });
      transport.setDown(true);
      const { app, url } = await start([AuditModule.forRoot({ logger, failClosed: true })], platform);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/invoices/1`, { headers: alice })).status);
        expect(statuses).toEqual([200, 200, 503, 503, 503]);
        const refused = await fetch(`${url}/invoices/1`, { headers: alice });
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('5');
        transport.setDown(false);
        await logger.flush();
        expect((await fetch(`${url}/invoices/1`, { headers: alice })).status).toBe(200);
      } finally {
        await app.close();
      }
      expect(verifySync(transport.lines()).valid).toBe(true);
    });
  });

/** The app's own Nest middleware, answering some requests itself (a rate limiter, say) without calling next(). */
function throttle(
  req: { url?: string; originalUrl?: string },
  res: { statusCode: number; end: (b: string) => void },
  next: () => void,
): void {
  if ((req.originalUrl ?? req.url)?.startsWith('/invoices/2')) {
    res.statusCode = 429;
    res.end('{"message":"slow down"}');
    return;
  }
  next();
}
@Module({})
class ThrottleModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(throttle).forRoutes('{*path}');
  }
}

for (const platform of ['express', 'fastify'] as const)
  describe(`the app's own middleware (${platform} platform)`, () => {
    it("requests answered by the app's middleware are recorded too: the (global) audit middleware runs first", async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      const { app, url } = await start([ThrottleModule, AuditModule.forRoot({ logger: audit.logger })], platform);
      try {
        const res = await fetch(`${url}/invoices/2`, { headers: { ...alice, 'x-request-id': `throttled-${platform}` } });
        expect(res.status).toBe(429);
        const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === `throttled-${platform}`));
        expect(entry).toMatchObject({ outcome: 'failure', reason: 'slow down', http: { status: 429, path: '/invoices/2' } });
        expect((await fetch(`${url}/invoices/1`, { headers: alice })).status).toBe(200);
      } finally {
        await app.close();
      }
    });
  });

for (const platform of ['express', 'fastify'] as const)
  describe(`where the audit middleware sits (${platform} platform)`, () => {
    it('with `global: false`, imported after a module whose middleware answers requests, those requests are still recorded', async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      const { app, url } = await start([ThrottleModule, AuditModule.forRoot({ logger: audit.logger, global: false })], platform);
      try {
        const res = await fetch(`${url}/invoices/2`, { headers: { ...alice, 'x-request-id': `throttled-local-${platform}` } });
        expect(res.status).toBe(429);
        const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === `throttled-local-${platform}`));
        expect(entry).toMatchObject({ outcome: 'failure', http: { status: 429, path: '/invoices/2' } });
      } finally {
        await app.close();
      }
    });

    it('requests answered before any Nest middleware are recorded: a body the body parser refuses, a limiter mounted with app.use()', async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      const limiter = (req: { url?: string }, res: { statusCode: number; end: (b: string) => void }, next: () => void) => {
        if (req.url?.startsWith('/invoices/3')) {
          res.statusCode = 429;
          res.end('slow down');
          return;
        }
        next();
      };
      const { app, url } = await start([AuditModule.forRoot({ logger: audit.logger })], platform, {}, (a) => a.use(limiter));
      try {
        const entryOf = (id: string) =>
          waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === id));
        const bad = await fetch(`${url}/invoices`, {
          method: 'POST',
          headers: { ...alice, 'content-type': 'application/json', 'x-request-id': `badjson-${platform}` },
          body: '{"amount": 4',
        });
        expect(bad.status).toBe(400);
        expect(await entryOf(`badjson-${platform}`)).toMatchObject({
          outcome: 'failure',
          http: { method: 'POST', path: '/invoices', status: 400 },
        });
        // Over the body parser's limit (Express 100 kB, Fastify 1 MiB by default): 413.
        const large = await fetch(`${url}/invoices`, {
          method: 'POST',
          headers: { ...alice, 'content-type': 'application/json', 'x-request-id': `large-${platform}` },
          body: JSON.stringify({ amount: 1, note: 'x'.repeat(2 * 1024 * 1024) }),
        });
        expect(large.status).toBe(413);
        expect(await entryOf(`large-${platform}`)).toMatchObject({
          outcome: 'failure',
          http: { method: 'POST', path: '/invoices', status: 413 },
        });
        const limited = await fetch(`${url}/invoices/3`, { headers: { ...alice, 'x-request-id': `limited-${platform}` } });
        expect(limited.status).toBe(429);
        expect(await entryOf(`limited-${platform}`)).toMatchObject({ outcome: 'failure', http: { path: '/invoices/3', status: 429 } });
        expect((await fetch(`${url}/invoices/1`, { headers: alice })).status).toBe(200);
        await waitFor(() => (audit.entries().filter((e) => e.kind === 'access').length === 4 ? true : undefined));
      } finally {
        await app.close();
      }
      audit.assertValid();
    });

    it('a generateRequestId that throws: requests are still served and recorded (never an exception out of the server)', async () => {
      const errors: unknown[] = [];
      const audit = createTestAuditLogger({ deterministic: false, onError: (e) => errors.push(e) });
      const generateRequestId = () => {
        throw new Error('id service down');
      };
      const { app, url } = await start([AuditModule.forRoot({ logger: audit.logger, generateRequestId })], platform);
      try {
        const res = await fetch(`${url}/invoices/1`, { headers: alice });
        expect(res.status).toBe(200);
        const id = res.headers.get('x-request-id');
        const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === id));
        expect(entry).toMatchObject({ outcome: 'success', details: { auditErrors: ['generateRequestId threw: id service down'] } });
        expect(errors).toHaveLength(1);
      } finally {
        await app.close();
      }
    });

    it("a server whose 'request' event has another listener keeps it, and gets the module as Nest middleware instead", async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      let seen = 0;
      const { app, url } = await start([AuditModule.forRoot({ logger: audit.logger })], platform, {}, (a) =>
        (a.getHttpServer() as import('node:http').Server).on('request', () => {
          seen++;
        }),
      );
      try {
        const res = await fetch(`${url}/invoices/1`, { headers: { ...alice, 'x-request-id': `two-${platform}` } });
        expect(res.status).toBe(200);
        const entry = await waitFor(() =>
          audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === `two-${platform}`),
        );
        expect(entry).toMatchObject({ action: 'invoice.read', http: { route: '/invoices/:id', status: 200 } });
        expect(seen).toBe(1);
      } finally {
        await app.close();
      }
    });

    it('a defect that throws where a request begins: reported, and the request served (or refused 503 when failing closed), the process alive', async () => {
      const spy = vi.spyOn(RequestAuditor.prototype, 'begin').mockImplementation(() => {
        throw new Error('injected defect');
      });
      try {
        for (const failClosed of [false, true]) {
          const errors: unknown[] = [];
          const audit = createTestAuditLogger({ deterministic: false, onError: (e) => errors.push(e) });
          const { app, url } = await start([AuditModule.forRoot({ logger: audit.logger, failClosed })], platform);
          try {
            const res = await fetch(`${url}/invoices/1`, { headers: alice });
            if (failClosed) {
              expect(res.status).toBe(503);
              expect(res.headers.get('retry-after')).toBe('5');
              expect(await res.json()).toEqual({ error: 'audit log unavailable: request refused rather than served unaudited' });
            } else {
              expect(res.status).toBe(200);
              expect(await res.json()).toMatchObject({ id: 1 });
            }
            expect(errors).toEqual([expect.objectContaining({ message: 'injected defect' })]);
          } finally {
            await app.close();
          }
        }
      } finally {
        spy.mockRestore();
      }
    });

    it('under a global prefix, requests outside it are recorded too (a probe of an unprefixed path is an access attempt)', async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      const { app, url } = await start([AuditModule.forRoot({ logger: audit.logger })], platform, {}, (a) => a.setGlobalPrefix('api'));
      try {
        const call = async (path: string, id: string) => {
          const res = await fetch(`${url}${path}`, { headers: { ...alice, 'x-request-id': id } });
          await res.arrayBuffer();
          const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === id));
          return { status: res.status, entry };
        };
        const inside = await call('/api/invoices/1', `in-${platform}`);
        expect(inside.status).toBe(200);
        expect(inside.entry).toMatchObject({ action: 'invoice.read', http: { route: '/api/invoices/:id', status: 200 } });
        const outside = await call('/admin/users', `out-${platform}`);
        expect(outside.status).toBe(404);
        expect(outside.entry).toMatchObject({ outcome: 'failure', http: { method: 'GET', path: '/admin/users', status: 404 } });
        expect(audit.entries().filter((e) => e.kind === 'access')).toHaveLength(2); // one entry each, no more
      } finally {
        await app.close();
      }
    });
  });

describe('AuditModule.forRoot({ requestContext: false })', () => {
  it('still records every request and its guard reasons; services record without the request (no AsyncLocalStorage)', async () => {
    const audit = createTestAuditLogger({ deterministic: false });
    const { app, url } = await start([AuditModule.forRoot({ logger: audit.logger, requestContext: false })]);
    try {
      const res = await fetch(`${url}/invoices`, {
        method: 'POST',
        headers: { ...alice, 'content-type': 'application/json' },
        body: '{"amount":7}',
      });
      expect(res.status).toBe(201);
      const id = res.headers.get('x-request-id');
      const entry = await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === id));
      expect(entry).toMatchObject({ action: 'invoice.create', outcome: 'success' });
      const event = audit.entries().find((e: AuditEntry) => e.action === 'invoice.issued');
      expect(event).toBeDefined();
      expect(event?.details?.requestId).toBeUndefined(); // no request context to take it from
      const denied = await fetch(`${url}/invoices/1`);
      expect(denied.status).toBe(401);
      const deniedId = denied.headers.get('x-request-id');
      expect(
        await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === deniedId)),
      ).toMatchObject({ outcome: 'denied', reason: 'missing bearer token' });
      audit.assertValid();
    } finally {
      await app.close();
    }
  });
});

@Injectable()
class FakeConfigService {
  get(key: string): string {
    return { AUDIT_DIR: mkdtempSync(join(tmpdir(), 'ar-nest-')), SERVICE: 'nest-async' }[key] as string;
  }
}
@Module({ providers: [FakeConfigService], exports: [FakeConfigService] })
class FakeConfigModule {}

for (const platform of ['express', 'fastify'] as const)
  describe(`AuditModule.forRootAsync, file transport, graceful shutdown (${platform} platform)`, () => {
    it('builds the logger from injected config; app.close() flushes and closes it; the log verifies with auditready verify', async () => {
      let dir = '';
      const { app, url } = await start(
        [
          AuditModule.forRootAsync({
            imports: [FakeConfigModule],
            inject: [FakeConfigService],
            useFactory: (config: FakeConfigService) => {
              dir = config.get('AUDIT_DIR');
              return {
                logger: createAuditLogger({
                  service: { name: config.get('SERVICE') },
                  transports: [createFileTransport({ dir })],
                  handleSignals: false,
                }),
              };
            },
          }),
        ],
        platform,
      );
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => fetch(`${url}/invoices/${(i % 2) + 1}`, { headers: alice }).then((r) => r.status)),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
      await app.close(); // onApplicationShutdown closes the logger: nothing may be lost
      const bin = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');
      const r = spawnSync(bin, ['verify', dir, '--json'], { encoding: 'utf8', env: { ...process.env, AUDITREADY_READER_LOG: 'off' } });
      expect(r.status).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.valid).toBe(true);
      expect(report.chains[0].count).toBe(21); // genesis + 20 requests
    });
  });

describe('AuditModule options the Nest way (ConfigurableModuleBuilder)', () => {
  it('forRootAsync({ useClass }) builds the options with an options factory class and records requests', async () => {
    const audit = createTestAuditLogger();
    class AuditOptions {
      create() {
        return { logger: audit.logger };
      }
    }
    const { app, url } = await start([AuditModule.forRootAsync({ useClass: AuditOptions })]);
    expect((await fetch(`${url}/invoices/1`, { headers: alice })).status).toBe(200);
    await app.close();
    expect(audit.entries().filter((e) => e.kind === 'access')).toHaveLength(1);
  });

  it('bad options are a named configuration error', async () => {
    expect(() => AuditModule.forRoot({} as never)).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_CONFIG' }));
    expect(() => AuditModule.forRootAsync({} as never)).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_CONFIG' }));
    await expect(start([AuditModule.forRootAsync({ useFactory: () => ({}) as never })])).rejects.toMatchObject({
      code: 'ERR_AUDIT_CONFIG',
    });
  });
});

void Inject;

describe('AuditModule.forRoot with a logger made once (the usual e2e setup)', () => {
  const shared = createTestAuditLogger();
  const imports = [AuditModule.forRoot({ logger: shared.logger })];

  it.each([1, 2, 3])('app %i, built and closed in turn from the same module, records its requests', async (n) => {
    const { app, url } = await start(imports);
    expect((await fetch(`${url}/invoices/1`, { headers: { ...alice, 'x-request-id': `e2e-${n}` } })).status).toBe(200);
    await app.close();
    expect(shared.entries().filter((e) => e.kind === 'access' && e.http?.requestId === `e2e-${n}`)).toHaveLength(1);
    expect(shared.logger.health().status).not.toBe('closed');
  });
});
