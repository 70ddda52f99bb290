/**
 * An app pays for what of the module it uses. requestContext's default: requests are carried in
 * AsyncLocalStorage (whose async hooks cost every promise on Node 20) only when something of the
 * app injects AuditService — found however it is injected — and AuditService used without
 * injection switches it on, saying so. The global guard runs only where @Audit or @NoAudit is used.
 */
import type { AuditEntry, AuditError } from '@auditready/core';
import { createTestAuditLogger } from '@auditready/core/testing';
import { Controller, forwardRef, Get, type INestApplication, Inject, Injectable, Module, Post } from '@nestjs/common';
import { ApplicationConfig, ModuleRef } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../../test-support/wait.js';
import { AuditGuard } from '../src/audit.guard.js';
import { Audit, AuditModule, AuditService, NoAudit } from '../src/index.js';

type Events = { issue(n: string): void };

/** Takes AuditService only at run time, from the module ref: nothing injects it. */
@Controller('dynamic')
class DynamicController {
  constructor(@Inject(ModuleRef) private readonly refs: ModuleRef) {}
  @Post(':n')
  issue(): Promise<{ ok: boolean }> {
    // after an await, as services do: only AsyncLocalStorage still knows the request here
    return Promise.resolve().then(() => {
      this.refs.get(AuditService, { strict: false }).record({ action: 'thing.issued' });
      return { ok: true };
    });
  }
}

/** Records through an object a factory made from AuditService. */
@Controller('factory')
class FactoryController {
  constructor(@Inject('EVENTS') private readonly events: Events) {}
  @Post(':n')
  async issue(): Promise<{ ok: boolean }> {
    await Promise.resolve();
    this.events.issue('thing.issued');
    return { ok: true };
  }
}
const eventsFactory = {
  provide: 'EVENTS',
  useFactory: (audit: AuditService): Events => ({ issue: (action) => audit.record({ action }) }),
  inject: [AuditService],
};

/** AuditService as an injected property. */
@Controller('property')
class PropertyController {
  @Inject(AuditService) private readonly audit!: AuditService;
  @Post(':n')
  async issue(): Promise<{ ok: boolean }> {
    await Promise.resolve();
    this.audit.record({ action: 'thing.issued' });
    return { ok: true };
  }
}

/** AuditService through forwardRef in a service's constructor. */
@Injectable()
class ForwardService {
  constructor(@Inject(forwardRef(() => AuditService)) private readonly audit: AuditService) {}
  issue(): void {
    this.audit.record({ action: 'thing.issued' });
  }
}
@Controller('forward')
class ForwardController {
  constructor(@Inject(ForwardService) private readonly svc: ForwardService) {}
  @Post(':n')
  async issue(): Promise<{ ok: boolean }> {
    await Promise.resolve();
    this.svc.issue();
    return { ok: true };
  }
}

@Controller('health')
class PlainController {
  @Get()
  ok(): { ok: boolean } {
    return { ok: true };
  }
}

async function start(
  module: { controllers: unknown[]; providers?: unknown[] },
  requestContext?: boolean,
): Promise<{ app: INestApplication; url: string; audit: ReturnType<typeof createTestAuditLogger>; errors: AuditError[] }> {
  const errors: AuditError[] = [];
  const audit = createTestAuditLogger({ deterministic: false, onError: (e) => errors.push(e) });
  @Module({ imports: [AuditModule.forRoot({ logger: audit.logger, ...(requestContext === undefined ? {} : { requestContext }) })] })
  class Root {}
  const ref = await Test.createTestingModule({
    imports: [Root],
    controllers: module.controllers as never,
    providers: (module.providers ?? []) as never,
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), audit, errors };
}

/** POSTs, and returns the request's id and the business event recorded during it. */
async function issue(url: string, audit: ReturnType<typeof createTestAuditLogger>, path: string) {
  const res = await fetch(`${url}/${path}`, { method: 'POST' });
  expect(res.status).toBe(201);
  const id = res.headers.get('x-request-id');
  await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === id));
  const events = audit.entries().filter((e: AuditEntry) => e.action === 'thing.issued');
  return { id, event: events[events.length - 1] };
}

describe('AuditModule requestContext by default', () => {
  it.each([
    ['a factory provider that injects it', { controllers: [FactoryController], providers: [eventsFactory] }, 'factory/1'],
    ['an injected property', { controllers: [PropertyController] }, 'property/1'],
    ['a forwardRef in a constructor', { controllers: [ForwardController], providers: [ForwardService] }, 'forward/1'],
  ])('is on when AuditService comes in through %s: the first request’s event carries its id', async (_, module, path) => {
    const { app, url, audit, errors } = await start(module);
    try {
      const { id, event } = await issue(url, audit, path);
      expect(event?.details?.requestId).toBe(id);
      expect(errors).toEqual([]);
      audit.assertValid();
    } finally {
      await app.close();
    }
  });

  it('is off when nothing injects AuditService; using it anyway switches the context on from the next request, and says so', async () => {
    const { app, url, audit, errors } = await start({ controllers: [DynamicController, PlainController] });
    try {
      const first = await issue(url, audit, 'dynamic/1');
      expect(first.event).toBeDefined();
      expect(first.event?.details?.requestId).toBeUndefined(); // nothing carried this request
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/nothing injects it/)]);
      const second = await issue(url, audit, 'dynamic/2');
      expect(second.event?.details?.requestId).toBe(second.id);
      await issue(url, audit, 'dynamic/3');
      expect(errors).toHaveLength(1); // said once
      audit.assertValid();
    } finally {
      await app.close();
    }
  });

  it('requestContext: true carries every request even when nothing injects AuditService', async () => {
    const { app, url, audit, errors } = await start({ controllers: [DynamicController] }, true);
    try {
      const { id, event } = await issue(url, audit, 'dynamic/1');
      expect(event?.details?.requestId).toBe(id);
      expect(errors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('requestContext: false is never switched on, even when AuditService is used', async () => {
    const { app, url, audit, errors } = await start({ controllers: [DynamicController] }, false);
    try {
      await issue(url, audit, 'dynamic/1');
      const { event } = await issue(url, audit, 'dynamic/2');
      expect(event?.details?.requestId).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

/** @NoAudit on an inherited handler, @Audit on a class: either keeps the guard. */
class BaseController {
  @Get('hidden')
  @NoAudit()
  hidden(): { ok: boolean } {
    return { ok: true };
  }
}
@Controller('inherits')
class InheritingController extends BaseController {}

@Controller('named')
@Audit({ action: 'named.read' })
class NamedController {
  @Get()
  read(): { ok: boolean } {
    return { ok: true };
  }
}

const hasGuard = (app: INestApplication) =>
  app
    .get(ApplicationConfig)
    .getGlobalGuards()
    .some((g) => g instanceof AuditGuard);

describe('AuditModule: the global guard only where @Audit or @NoAudit is used', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('an app using neither runs no guard for its requests, and records them as before', async () => {
    const canActivate = vi.spyOn(AuditGuard.prototype, 'canActivate');
    const { app, url, audit } = await start({ controllers: [PlainController] });
    try {
      expect(hasGuard(app)).toBe(false);
      const res = await fetch(`${url}/health`);
      const id = res.headers.get('x-request-id');
      expect(await waitFor(() => audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === id))).toMatchObject({
        action: 'GET /health',
        outcome: 'success',
      });
      expect(canActivate).not.toHaveBeenCalled();
    } finally {
      await app.close();
    }
  });

  it.each([
    ['@NoAudit on an inherited handler', [InheritingController, PlainController], 'inherits/hidden'],
    ['@Audit on a controller class', [NamedController, PlainController], 'named'],
  ])('%s keeps it, and it applies the decorator', async (what, controllers, path) => {
    const { app, url, audit } = await start({ controllers });
    try {
      expect(hasGuard(app)).toBe(true);
      const res = await fetch(`${url}/${path}`);
      expect(res.status).toBe(200);
      const probe = await fetch(`${url}/health`); // recorded after the decorated request's entry
      const probeId = probe.headers.get('x-request-id');
      await waitFor(() => audit.entries().find((e: AuditEntry) => e.http?.requestId === probeId));
      const entry = audit.entries().find((e: AuditEntry) => e.kind === 'access' && e.http?.requestId === res.headers.get('x-request-id'));
      if (what.startsWith('@NoAudit')) expect(entry).toBeUndefined();
      else expect(entry).toMatchObject({ action: 'named.read' });
    } finally {
      await app.close();
    }
  });
});
