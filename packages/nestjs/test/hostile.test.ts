/**
 * What a Nest app or its resolvers throw or return never costs an entry or changes a response:
 * null-prototype throws, message getters that throw, resolvers that throw or return values the
 * entry schema cannot take, a module-level action resolver returning a number, and AuditService
 * with a user object whose getters throw. Both platforms, real sockets.
 */
import 'reflect-metadata';
import type { AuditEntry } from '@auditready/core';
import { createTestAuditLogger } from '@auditready/core/testing';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Param,
  UseGuards,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Audit, AuditModule, AuditService } from '../src/index.js';

@Injectable()
class TrickyUserGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ user?: unknown }>();
    req.user = Object.defineProperty({}, 'id', {
      enumerable: true,
      get() {
        throw new Error('user store down');
      },
    });
    return true;
  }
}

const cyclic: Record<string, unknown> = { type: 'loop' };
cyclic.self = cyclic;

@Controller('hostile')
class HostileController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get('null-throw')
  @Audit({ action: 'hostile.null' })
  nullThrow() {
    throw Object.create(null);
  }

  @Get('message-getter')
  @Audit({ action: 'hostile.message' })
  messageGetter() {
    const e = new Error('x');
    Object.defineProperty(e, 'message', {
      get() {
        throw new Error('message getter');
      },
    });
    throw e;
  }

  @Get('resolver-throws')
  @Audit({
    action: 'hostile.resolver',
    resource: () => {
      throw Object.create(null);
    },
  })
  resolverThrows() {
    return { ok: true };
  }

  @Get('bad-resource/:kind')
  @Audit({
    action: 'hostile.resource',
    resource: ({ params }) =>
      (
        ({
          big: { type: 'x'.repeat(10_000), id: 'y'.repeat(10_000) },
          cyclic,
          bigint: { type: 'invoice', id: 10n },
          string: 'invoice',
        }) as Record<string, unknown>
      )[params.kind as string] as never,
  })
  badResource(@Param('kind') _kind: string) {
    return { ok: true };
  }

  @Get('service-event')
  @UseGuards(TrickyUserGuard)
  serviceEvent() {
    this.audit.record({ action: 'hostile.event' });
    return { ok: true };
  }
}

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

for (const platform of ['express', 'fastify'] as const) {
  describe(`Nest (${platform}): hostile values never cost an entry or change a response`, () => {
    async function start(extra: Record<string, unknown> = {}) {
      const audit = createTestAuditLogger({ deterministic: false, onError: () => {} });
      const moduleRef = await Test.createTestingModule({
        imports: [AuditModule.forRoot({ logger: audit.logger, ...extra })],
        controllers: [HostileController],
        providers: [TrickyUserGuard],
      }).compile();
      const app =
        platform === 'fastify'
          ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
          : moduleRef.createNestApplication({ logger: false });
      apps.push(app);
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const entry = (id: string, kind = 'access') =>
        vi.waitFor(
          () => {
            const e = audit.entries().find((x: AuditEntry) => x.kind === kind && (x.http?.requestId ?? x.details?.requestId) === id);
            if (!e) throw new Error('not yet');
            return e;
          },
          { timeout: 3000, interval: 5 },
        );
      return { url, entry, audit };
    }

    it('a handler that throws a null-prototype object, or an Error whose message getter throws: an error entry', async () => {
      const { url, entry } = await start();
      expect((await fetch(`${url}/hostile/null-throw`, { headers: { 'x-request-id': 'n1' } })).status).toBe(500);
      expect((await fetch(`${url}/hostile/message-getter`, { headers: { 'x-request-id': 'n2' } })).status).toBe(500);
      expect(await entry('n1')).toMatchObject({ action: 'hostile.null', outcome: 'error', http: { status: 500 } });
      expect(await entry('n2')).toMatchObject({ action: 'hostile.message', outcome: 'error', http: { status: 500 } });
    });

    it('a resource resolver that throws a null-prototype object leaves the 200 a 200, the problem noted', async () => {
      const { url, entry } = await start();
      expect((await fetch(`${url}/hostile/resolver-throws`, { headers: { 'x-request-id': 'r1' } })).status).toBe(200);
      const e = await entry('r1');
      expect(e).toMatchObject({ outcome: 'success', http: { status: 200 } });
      expect(e.details?.auditErrors).toEqual(['resource resolver threw: unprintable error']);
    });

    it.each(['big', 'cyclic', 'bigint', 'string'])(
      'a resolver returning a %s resource keeps the access entry, the bad part dropped and noted',
      async (kind) => {
        const { url, entry } = await start();
        expect((await fetch(`${url}/hostile/bad-resource/${kind}`, { headers: { 'x-request-id': `b-${kind}` } })).status).toBe(200);
        const e = await entry(`b-${kind}`);
        expect(e).toMatchObject({ kind: 'access', action: 'hostile.resource', outcome: 'success', http: { status: 200 } });
        expect(e.actor).toBeDefined();
        if (kind === 'big') expect((e.resource?.type.length ?? 0) <= 128 && (e.resource?.id?.length ?? 0) <= 512).toBe(true);
        else expect((e.details?.auditErrors as string[] | undefined)?.length).toBeGreaterThan(0);
      },
    );

    it('a module-level action resolver returning a number keeps the entry with the default action, noted', async () => {
      const { url, entry } = await start({ action: () => 42 });
      expect((await fetch(`${url}/hostile/resolver-throws`, { headers: { 'x-request-id': 'a1' } })).status).toBe(200);
      const e = await entry('a1');
      expect(e.action).toBe('hostile.resolver'); // @Audit's action wins over the module resolver
      const other = await start({ action: () => 42 });
      expect((await fetch(`${other.url}/hostile/bad-resource/none`, { headers: { 'x-request-id': 'a2' } })).status).toBe(200);
      expect((await other.entry('a2')).kind).toBe('access');
    });

    it('AuditService.record() with a user whose getters throw records the business event, the problem noted', async () => {
      const { url, entry } = await start({ actor: () => undefined });
      expect((await fetch(`${url}/hostile/service-event`, { headers: { 'x-request-id': 's1' } })).status).toBe(200);
      const e = await entry('s1', 'event');
      expect(e.action).toBe('hostile.event');
      expect(e.details?.auditErrors).toEqual(['actor resolver threw: user store down']);
    });
  });
}
