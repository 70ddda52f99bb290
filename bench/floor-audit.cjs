// The floor of any tamper-evident, durable access log, for the Express and Nest benchmarks: one
// JSON line per request (method, path, status, duration, timestamp), each line's SHA-256 chained
// to the previous one (node:crypto), lines appended in batches and fdatasync'd before the next
// batch (the same durability as @auditready/transport-file's default). Nothing else: no request
// id, actor, redaction, schema check, policy or error handling. It is not a product; it shows
// what the targets leave for everything an audit log needs beyond this minimum.
const { createHash } = require('node:crypto');
const { openSync, write, fdatasync } = require('node:fs');
const { join } = require('node:path');

function floorMiddleware(dir) {
  const fd = openSync(join(dir, 'floor.log'), 'a');
  let prev = '0'.repeat(64);
  let lines = [];
  let writing = false;
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    if (writing || lines.length === 0) return;
    writing = true;
    const buf = Buffer.from(lines.join(''));
    lines = [];
    write(fd, buf, 0, buf.length, null, (err) => {
      if (err) throw err;
      fdatasync(fd, (err2) => {
        if (err2) throw err2;
        writing = false;
        drain();
      });
    });
  };
  return function floor(req, res, next) {
    const started = performance.now();
    res.on('finish', () => {
      const body = JSON.stringify({
        ts: new Date().toISOString(),
        method: req.method,
        path: req.originalUrl ?? req.url,
        status: res.statusCode,
        durationMs: performance.now() - started,
        prev,
      });
      prev = createHash('sha256').update(body).digest('hex');
      lines.push(`${body.slice(0, -1)},"hash":"${prev}"}\n`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    });
    next();
  };
}

module.exports = { floorMiddleware };
