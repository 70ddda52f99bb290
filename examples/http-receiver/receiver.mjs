// A reference receiver for @auditready/transport-http (node:http, no dependencies).
//
//   POST /ingest   body: NDJSON canonical lines (gzip allowed); header Idempotency-Key
//
// Batches are appended to <dir>/received.log (fsync'd) and their keys to <dir>/keys.log; a batch
// whose key was already stored is acknowledged and dropped (an exact re-send). The stored log is
// an ordinary audit log: `auditready verify <dir>`.
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export function createReceiver({ dir }) {
  mkdirSync(dir, { recursive: true });
  const keysFile = join(dir, 'keys.log');
  let keys;
  try {
    keys = new Set(readFileSync(keysFile, 'utf8').split('\n').filter(Boolean));
  } catch {
    keys = new Set();
  }
  const stats = { batches: 0, duplicates: 0, entries: 0 };
  const handler = (req, res, onStored) => {
    if (req.method !== 'POST' || req.url !== '/ingest') {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || key === '') {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"Idempotency-Key required"}');
        return;
      }
      if (keys.has(key)) {
        stats.duplicates++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"stored":0,"duplicate":true}');
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = body.toString('utf8');
      const lines = text.split('\n').filter(Boolean);
      const fd = openSync(join(dir, 'received.log'), 'a', 0o600);
      try {
        writeSync(fd, `${lines.join('\n')}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      appendFileSync(keysFile, `${key}\n`);
      keys.add(key);
      stats.batches++;
      stats.entries += lines.length;
      onStored?.(key, lines.length);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: lines.length }));
    });
  };
  return { handler, stats, keys };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.env.RECEIVER_DIR ?? join(import.meta.dirname, 'received');
  const { handler } = createReceiver({ dir });
  const server = createServer((req, res) => handler(req, res));
  server.listen(Number(process.env.PORT ?? 8080), () =>
    console.log(`receiver on http://localhost:${server.address().port}/ingest, storing in ${dir}`),
  );
}
