import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain JS example
import { createReceiver } from '../../../examples/http-receiver/receiver.mjs';

export type Behaviour = 'ok' | { status: number; retryAfter?: string } | 'reset' | { slowMs: number } | 'ack-then-crash';

export function tempDir(prefix = 'ar-http-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The reference receiver behind a server that misbehaves on purpose: each request takes the next
 * behaviour of the plan (then 'ok' forever).
 */
export async function startReceiver(
  plan: Behaviour[] = [],
  opts: { tls?: { key: Buffer; cert: Buffer }; port?: number; dir?: string } = {},
) {
  const dir = opts.dir ?? tempDir('ar-recv-');
  const receiver = createReceiver({ dir });
  const seen: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const b = plan.shift() ?? 'ok';
    seen.push(typeof b === 'string' ? b : JSON.stringify(b));
    if (b === 'reset') {
      req.once('data', () => req.socket.destroy()); // mid-body
      return;
    }
    if (b === 'ack-then-crash') {
      // Stores the batch, then dies before answering: the sender must retry, the receiver dedup.
      receiver.handler(req, { writeHead: () => ({ end: () => req.socket.destroy() }) } as never);
      return;
    }
    if (typeof b === 'object' && 'slowMs' in b) {
      setTimeout(() => receiver.handler(req, res), b.slowMs);
      return;
    }
    if (typeof b === 'object' && 'status' in b) {
      req.resume();
      req.on('end', () =>
        res.writeHead(b.status, b.retryAfter ? { 'retry-after': b.retryAfter } : {}).end(`{"error":"injected ${b.status}"}`),
      );
      return;
    }
    receiver.handler(req, res);
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handle) : createHttpServer(handle);
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    dir,
    seen,
    port,
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/ingest`,
    stats: receiver.stats as { batches: number; duplicates: number; entries: number },
    lines: () => {
      try {
        return readFileSync(join(dir, 'received.log'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
