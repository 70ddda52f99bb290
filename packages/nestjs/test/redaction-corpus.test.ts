/**
 * The redaction corpus (test-support/secret-corpus.ts) through a real Nest app on both platforms:
 * none of the planted secrets may reach the raw bytes of the log, every ordinary look-alike must,
 * and the test kit's assertNoSecrets must agree.
 */
import 'reflect-metadata';
import { createTestAuditLogger } from '@auditready/core/testing';
import { requestAudit } from '@auditready/node-http';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  Injectable,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, expectCorpusClean } from '../../../test-support/secret-corpus.js';
import { waitFor } from '../../../test-support/wait.js';
import { AuditModule } from '../src/index.js';

type AnyReq = Record<string, unknown> & { headers: Record<string, string | undefined>; raw?: object };

const header = (req: AnyReq, name: string) => req.headers[name];

/** The actor and details the corpus plants through headers. */
@Injectable()
class CorpusGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<AnyReq>();
    const id = header(req, 'x-user-id');
    if (id) req.user = { id, name: header(req, 'x-user-name') };
    const details = header(req, 'x-details');
    if (details) (requestAudit(req) ?? requestAudit(req.raw))?.addDetails(JSON.parse(details));
    return true;
  }
}

@Controller()
@UseGuards(CorpusGuard)
class CorpusController {
  @Post('echo')
  echo(@Req() req: AnyReq, @Res() res: { type?: unknown; header: (k: string, v: string) => void; send: (b: string) => void }) {
    this.respond(req, res);
  }

  @Put('echo')
  echoPut(@Req() req: AnyReq, @Res() res: { header: (k: string, v: string) => void; send: (b: string) => void }) {
    this.respond(req, res);
  }

  private respond(req: AnyReq, res: { header: (k: string, v: string) => void; send: (b: string) => void }) {
    res.header('content-type', header(req, 'x-respond-type') ?? 'application/json');
    res.send(header(req, 'x-respond') ?? '{"ok":true}');
  }

  @Get('items/:id')
  item() {
    return { ok: true };
  }

  @Get('download')
  download() {
    return { ok: true };
  }

  @Get('fail')
  fail(@Req() req: AnyReq) {
    throw new Error(header(req, 'x-error-message') ?? 'failed');
  }
}

const corpus = buildCorpus();

for (const platform of ['express', 'fastify'] as const) {
  describe(`Nest (${platform}): the redaction corpus`, () => {
    const audit = createTestAuditLogger({ deterministic: false, onError: () => {} });
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [AuditModule.forRoot({ logger: audit.logger, policy: [{ route: '/echo', audit: 'bodies', maxBodyBytes: 1024 }] })],
        controllers: [CorpusController],
        providers: [CorpusGuard],
      }).compile();
      if (platform === 'fastify') {
        // Fastify answers 414 to a path parameter over maxParamLength (100) before routing (recorded
        // all the same: tested below); raised so that the corpus's long tokens reach its routes.
        const f = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ maxParamLength: 2048 }), { logger: false });
        const instance = f.getHttpAdapter().getInstance();
        instance.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (_req, body, done) => done(null, body));
        app = f;
      } else {
        const e = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
        e.useBodyParser('text', { type: ['text/*', 'multipart/form-data'] });
        app = e;
      }
      await app.listen(0, '127.0.0.1');
      url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    });
    afterAll(async () => {
      await app.close();
    });

    it(`${corpus.secrets.length} planted secrets: none in the raw log; ${corpus.benign.length} look-alikes: all kept`, async () => {
      await expectCorpusClean(url, audit, corpus);
    });
  });
}

describe('Nest (fastify): a path parameter over maxParamLength', () => {
  it('is answered 414 by Fastify before any of its routing, and recorded all the same, the token in its path redacted', async () => {
    const audit = createTestAuditLogger({ deterministic: false, onError: () => {} });
    const moduleRef = await Test.createTestingModule({
      imports: [AuditModule.forRoot({ logger: audit.logger })],
      controllers: [CorpusController],
      providers: [CorpusGuard],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      // A JWT-shaped token (~150 characters: over Fastify's default maxParamLength of 100).
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const secret = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'u-1234567890', name: 'Alice Example', scope: 'invoices:write' })}.${'Sf1KxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'}`;
      expect(secret.length).toBeGreaterThan(100);
      const long = await fetch(`${url}/items/${secret}`, { headers: { 'x-request-id': 'too-long' } });
      expect(long.status).toBe(414);
      const entry = await waitFor(() => audit.entries().find((e) => e.kind === 'access' && e.http?.requestId === 'too-long'));
      expect(entry).toMatchObject({ outcome: 'failure', http: { method: 'GET', status: 414 } });
      expect(entry.http?.path).toMatch(/^\/items\//);
      expect(audit.lines().join('\n')).not.toContain(secret.split('.')[2]);
      expect(audit.lines().join('\n')).not.toContain(secret.split('.')[1]);
      const ok = await fetch(`${url}/items/short`);
      expect(ok.status).toBe(200);
      await waitFor(() => audit.entries().find((e) => e.kind === 'access' && e.http?.path === '/items/short'));
      expect(audit.entries().filter((e) => e.kind === 'access')).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});
