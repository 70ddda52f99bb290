/**
 * Route coverage on examples/nestjs-basic: its AppModule (compiled by tsc as its README builds it)
 * with one controller a test adds on purpose, a @NoAudit() POST; listNestRoutes() lists every
 * route with the template its entries carry, and `auditready coverage` flags that POST only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const example = join(root, 'examples', 'nestjs-basic');
const out = join(example, 'dist', 'coverage-test');

type Decorator = (...args: unknown[]) => void;

describe('examples/nestjs-basic: route coverage', () => {
  it('flags the unaudited mutating route a test adds, lists the @NoAudit GET unflagged, and agrees with the log', async () => {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(example, 'tsconfig.json'), '--outDir', out],
      { encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    // Everything from where the example resolves it: one copy of Nest and of the adapter.
    const req = createRequire(join(out, 'main.js'));
    req('reflect-metadata');
    const common = req('@nestjs/common') as Record<string, (...a: unknown[]) => Decorator>;
    const { NestFactory } = req('@nestjs/core') as { NestFactory: { create: (m: unknown, o: unknown) => Promise<NestApp> } };
    const { listNestRoutes, NoAudit } = req('@auditready/nestjs') as {
      listNestRoutes: (app: unknown) => { routes: { method: string; route: string; audit: string }[] };
      NoAudit: () => Decorator;
    };
    const { AppModule } = req(join(out, 'app.module.js')) as { AppModule: unknown };
    const { issueToken } = req(join(out, 'auth.guard.js')) as { issueToken: (u: string) => string };
    interface NestApp {
      listen(port: number, host: string): Promise<unknown>;
      getUrl(): Promise<string>;
      close(): Promise<void>;
    }

    // Added on purpose: a payment webhook marked @NoAudit().
    class WebhookController {
      receive() {
        return { ok: true };
      }
    }
    const proto = WebhookController.prototype;
    const desc = Object.getOwnPropertyDescriptor(proto, 'receive');
    (common.Post as (p: string) => Decorator)('payment')(proto, 'receive', desc);
    NoAudit()(proto, 'receive', desc);
    (common.Controller as (p: string) => Decorator)('webhooks')(WebhookController);
    class CoverageModule {}
    (common.Module as (m: unknown) => Decorator)({ imports: [AppModule], controllers: [WebhookController] })(CoverageModule);

    const auditDir = mkdtempSync(join(tmpdir(), 'ar-nest-coverage-'));
    const before = process.env.AUDIT_DIR;
    process.env.AUDIT_DIR = auditDir;
    let app: NestApp;
    try {
      app = await NestFactory.create(CoverageModule, { logger: false });
      await app.listen(0, '127.0.0.1');
    } finally {
      if (before === undefined) delete process.env.AUDIT_DIR;
      else process.env.AUDIT_DIR = before;
    }
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const alice = { authorization: `Bearer ${issueToken('alice')}` };
    for (const [path, init] of [
      ['/invoices', { headers: alice }],
      ['/invoices/1', { headers: alice }],
      ['/invoices', { method: 'POST', headers: { ...alice, 'content-type': 'application/json' }, body: '{"amount":5}' }],
      ['/webhooks/payment', { method: 'POST' }],
      ['/health', {}],
    ] as const) {
      await (await fetch(`${url}${path}`, init as RequestInit)).arrayBuffer();
    }
    const inventory = listNestRoutes(app);
    await app.close();

    const audit = Object.fromEntries(inventory.routes.map((r) => [`${r.method} ${r.route}`, r.audit]));
    expect(audit).toEqual({
      'GET /invoices': 'audited',
      'GET /invoices/:id': 'audited',
      'POST /invoices': 'audited',
      'PUT /invoices/:id': 'audited',
      'DELETE /invoices/:id': 'audited',
      'GET /admin/users': 'audited',
      'GET /health': 'no-audit',
      'POST /webhooks/payment': 'no-audit',
    });
    const routesFile = `${auditDir}-routes.json`;
    writeFileSync(routesFile, JSON.stringify(inventory));
    const run = (args: string[]) =>
      spawnSync(join(root, 'node_modules', '.bin', 'auditready'), ['coverage', '--routes', routesFile, auditDir, ...args], {
        encoding: 'utf8',
        env: { ...process.env, AUDITREADY_READER_LOG: 'off' },
      });
    const text = run([]);
    expect(text.status).toBe(1);
    expect(text.stdout.match(/^FLAGGED.*$/gm)).toEqual([expect.stringMatching(/^FLAGGED POST \/webhooks\/payment\s+no-audit\s+0$/)]);
    const report = JSON.parse(run(['--json']).stdout);
    const seen = Object.fromEntries(
      report.routes.map((r: { method: string; route: string; status: string; seen: number }) => [
        `${r.method} ${r.route}`,
        `${r.status} ${r.seen}`,
      ]),
    );
    expect(seen).toMatchObject({
      'GET /invoices': 'audited 1',
      'GET /invoices/:id': 'audited 1',
      'POST /invoices': 'audited 1',
      'DELETE /invoices/:id': 'never-seen 0',
      'GET /health': 'no-audit 0',
    });
    expect(report.unlisted).toEqual([]);
  }, 60000);
});

describe('listNestRoutes: global prefix, the module policy, no AuditModule', () => {
  it('names routes as the entries do under a global prefix, applies the policy, and lists an app without the module as not audited', async () => {
    const { createTestAuditLogger } = await import('@auditready/core/testing');
    const { Test } = await import('@nestjs/testing');
    const { AuditModule, listNestRoutes } = await import('../src/index.js');
    const { HealthController, InvoiceService, InvoicesController } = await import('./app.js');
    const audit = createTestAuditLogger({ deterministic: false });
    const build = async (imports: unknown[], full = true) => {
      const moduleRef = await Test.createTestingModule({
        imports: imports as never,
        controllers: full ? [InvoicesController, HealthController] : [HealthController],
        providers: full ? [InvoiceService] : [],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      app.setGlobalPrefix('api', { exclude: ['health'] });
      await app.listen(0, '127.0.0.1');
      return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
    };
    const { app, url } = await build([
      AuditModule.forRoot({ logger: audit.logger, policy: [{ method: 'POST', route: '/api/invoices', audit: 'skip' }] }),
    ]);
    await (await fetch(`${url}/api/invoices/1`, { headers: { authorization: 'Bearer token-alice' } })).arrayBuffer();
    const routes = listNestRoutes(app).routes;
    await app.close();
    const by = Object.fromEntries(routes.map((r) => [`${r.method} ${r.route}`, r.audit]));
    expect(by['GET /api/invoices/:id']).toBe('audited');
    expect(by['POST /api/invoices']).toBe('skipped-by-policy');
    expect(by['GET /health']).toBe('no-audit'); // excluded from the prefix, and @NoAudit
    const seenRoute = audit.entries().find((e) => e.kind === 'access')?.http?.route;
    expect(seenRoute).toBe('/api/invoices/:id');
    expect(by[`GET ${seenRoute}`]).toBe('audited');

    const bare = await build([], false);
    const unaudited = listNestRoutes(bare.app).routes;
    await bare.app.close();
    expect(unaudited).toEqual([{ method: 'GET', route: '/health', audit: 'no-audit' }]);
  });
});
