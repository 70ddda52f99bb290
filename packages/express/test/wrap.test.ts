/** audit.wrap() around a plain node:http handler, on a real socket. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestAuditLogger } from '@auditready/core/testing';
import { describe, expect, it } from 'vitest';

describe('wrap() on a plain node:http handler', () => {
  it('records each call with outcome and duration; errors thrown by the handler are recorded and rethrown', async () => {
    const audit = createTestAuditLogger({ deterministic: false });
    const handler = audit.logger.wrap(
      (req: IncomingMessage, res: ServerResponse) => {
        if (req.url === '/fail') throw Object.assign(new Error('handler failed'), { code: 'EHANDLER' });
        res.end('ok');
      },
      {
        action: 'rpc.handle',
        actor: (req) => ({ type: 'service', id: String(req.headers['x-caller'] ?? 'unknown') }),
        resource: (req) => ({ type: 'rpc', id: req.url ?? '/' }),
      },
    );
    const server = createServer((req, res) => {
      try {
        handler(req, res);
      } catch {
        res.statusCode = 500;
        res.end('error');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${url}/ping`, { headers: { 'x-caller': 'billing' } })).text()).toBe('ok');
      expect((await fetch(`${url}/fail`, { headers: { 'x-caller': 'billing' } })).status).toBe(500);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const [ok, failed] = audit.entries();
    expect(ok).toMatchObject({
      action: 'rpc.handle',
      outcome: 'success',
      actor: { type: 'service', id: 'billing' },
      resource: { type: 'rpc', id: '/ping' },
    });
    expect(failed).toMatchObject({ outcome: 'failure', reason: 'handler failed', details: { error: { code: 'EHANDLER' } } });
    expect(typeof (ok?.details as { durationMs?: number } | undefined)?.durationMs).toBe('number');
    audit.assertValid();
  });
});
