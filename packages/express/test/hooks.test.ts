/**
 * What auditMiddleware installs on node:http's prototypes, and the per-object path for request and
 * response objects that are not node:http ones (test doubles, some frameworks' wrappers).
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestAuditLogger } from '@auditready/core/testing';
import { describe, expect, it } from 'vitest';
import { auditMiddleware, requestAudit } from '../src/index.js';

class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  readonly headers: Record<string, unknown> = {};
  readonly body: string[] = [];
  setHeader(k: string, v: unknown) {
    this.headers[k.toLowerCase()] = v;
  }
  getHeader(k: string) {
    return this.headers[k.toLowerCase()];
  }
  write(chunk: string) {
    this.headersSent = true;
    this.body.push(chunk);
    return true;
  }
  end(chunk?: string) {
    if (chunk !== undefined) this.body.push(chunk); // as node:http's end(): not through write()
    this.headersSent = true;
    this.writableFinished = true;
    this.emit('finish');
    this.emit('close');
    return this;
  }
}

describe('request and response objects that are not node:http ones', () => {
  it('get per-object hooks: req.audit works, body bytes are counted, one entry on close', async () => {
    const audit = createTestAuditLogger({ deterministic: false });
    const mw = auditMiddleware({ logger: audit.logger });
    const req = {
      method: 'POST',
      url: '/jobs/j-7',
      headers: { 'x-request-id': 'double-1' },
      httpVersion: '1.1',
      socket: { remoteAddress: '10.0.0.9' },
    };
    const res = new FakeResponse();
    let sawApi = false;
    mw(req as never, res as never, () => {
      const api = (req as { audit?: { requestId: string; setActor(a: object): void } }).audit;
      sawApi = api?.requestId === 'double-1' && requestAudit(req) === api;
      api?.setActor({ type: 'service', id: 'scheduler' });
      res.write('abc');
      res.end('de');
    });
    expect(sawApi).toBe(true);
    expect(res.headers['x-request-id']).toBe('double-1');
    await audit.logger.flush();
    const entries = audit.entries().filter((e) => e.kind === 'access');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: { type: 'service', id: 'scheduler', ip: '10.0.0.9' },
      http: { method: 'POST', path: '/jobs/j-7', requestId: 'double-1', bytesOut: 5, status: 200 },
      outcome: 'success',
    });
  });
});

describe('responses that refuse a header', () => {
  it('a response whose setHeader throws (headers sent, or a double that refuses): the request is served and audited with its id', async () => {
    const audit = createTestAuditLogger({ deterministic: false });
    const mw = auditMiddleware({ logger: audit.logger });
    for (const [id, refusal] of [
      ['sent-1', Object.assign(new Error('Cannot set headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' })],
      ['odd-2', new TypeError('this double takes no headers')],
    ] as const) {
      const req = { method: 'GET', url: `/r/${id}`, headers: { 'x-request-id': id }, socket: { remoteAddress: '10.0.0.3' } };
      const res = new FakeResponse();
      res.setHeader = () => {
        throw refusal;
      };
      let served = false;
      mw(req as never, res as never, () => {
        served = true;
        res.end('ok');
      });
      expect(served).toBe(true);
    }
    await audit.logger.flush();
    const ids = audit
      .entries()
      .filter((e) => e.kind === 'access')
      .map((e) => e.http?.requestId);
    expect(ids).toEqual(['sent-1', 'odd-2']);
  });
});

describe('requests that cannot take a property', () => {
  // The layer keeps each request's state on the request; these keep it aside and still record.
  const doubles: [string, () => object][] = [
    ['a frozen object', () => Object.freeze({ method: 'GET', url: '/frozen', headers: {}, socket: { remoteAddress: '10.0.0.1' } })],
    [
      'a Proxy whose set trap refuses',
      () => new Proxy({ method: 'GET', url: '/refusing', headers: {}, socket: { remoteAddress: '10.0.0.1' } }, { set: () => false }),
    ],
    [
      'a Proxy whose set trap drops the value',
      () => new Proxy({ method: 'GET', url: '/dropping', headers: {}, socket: { remoteAddress: '10.0.0.1' } }, { set: () => true }),
    ],
  ];
  for (const [name, make] of doubles)
    it(`${name}: the request is audited, its actor kept, one entry`, async () => {
      const audit = createTestAuditLogger({ deterministic: false });
      const mw = auditMiddleware({ logger: audit.logger });
      const req = make();
      const res = new FakeResponse();
      mw(req as never, res as never, () => {
        requestAudit(req)?.setActor({ type: 'user', id: 'u-frozen' });
        res.end('ok');
      });
      // mounted twice: the second middleware sees the state and leaves the request to the first
      mw(req as never, new FakeResponse() as never, () => {});
      await audit.logger.flush();
      const entries = audit.entries().filter((e) => e.kind === 'access');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor: { type: 'user', id: 'u-frozen' }, http: { bytesOut: 2, status: 200 } });
    });
});

describe('the node:http accessor and hooks', () => {
  it('leave requests no middleware audits alone: req.audit is undefined, and assigning it makes an own property', async () => {
    auditMiddleware({ logger: createTestAuditLogger().logger }); // installs the hooks
    const seen: unknown[] = [];
    const server = createServer((req, res) => {
      const r = req as { audit?: unknown };
      seen.push(r.audit, requestAudit(req));
      r.audit = 42;
      seen.push(r.audit, Object.keys(req).includes('audit'));
      res.write('plain ');
      res.end('response');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const body = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
      expect(body).toBe('plain response');
      expect(seen).toEqual([undefined, undefined, 42, true]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
