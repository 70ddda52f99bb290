// record() on a realistic access entry, beside JSON.stringify + node:crypto SHA-256 of the same
// entry, in the same process and run. Target (issue #2): <= 10 µs per record() on one core.
//   npm run bench            (from the repository root; builds first)
import { createHash } from 'node:crypto';
import { canonicalize, checkEntry, compileRedaction, createAuditLogger, redactBody } from '@auditready/core';
import { accessInput } from './access-input.mjs';

const input = accessInput;

let sink = 0;
const nullTransport = {
  name: 'null',
  async write(batch) {
    sink += batch.length;
  },
};
const logger = createAuditLogger({
  service: { name: 'billing-api', version: '3.14.0', env: 'production' },
  transports: [nullTransport],
  queue: { maxEntries: 1_000_000, batchSize: 1024 },
  handleSignals: false,
});
const sample = logger.record(input);
const line = JSON.stringify(sample); // same length as the canonical line
// Top-level fields of the app's input (the library adds v, chain, seq, prev, hash, ts, service).
const fields =
  Object.keys(input).length + Object.values(input).reduce((n, v) => n + (v && typeof v === 'object' ? Object.keys(v).length - 1 : 0), 0);

async function measure(name, fn, { batch = 250, rounds = 200, afterBatch } = {}) {
  // warm up
  for (let i = 0; i < batch * 5; i++) fn();
  if (afterBatch) await afterBatch();
  const perOp = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    const t1 = process.hrtime.bigint();
    perOp.push(Number(t1 - t0) / batch);
    if (afterBatch) await afterBatch();
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(perOp.length / 2)];
  return { name, nsPerOp: median, p10: perOp[Math.floor(perOp.length * 0.1)], p90: perOp[Math.floor(perOp.length * 0.9)] };
}

const compiled = compileRedaction({});
const results = [];
results.push(
  await measure('record() — default config (SHA-256 chain, default redaction, schema check)', () => logger.record(input), {
    afterBatch: () => logger.flush(),
  }),
);
results.push(
  await measure('peer: JSON.stringify + node:crypto SHA-256 of the same entry', () =>
    createHash('sha256').update(JSON.stringify(sample)).digest('hex'),
  ),
);
results.push(await measure('  part: redaction walk (copy + defaults + detectors)', () => redactBody(input, compiled)));
results.push(await measure('  part: schema check (ajv)', () => checkEntry(sample)));
results.push(await measure('  part: canonicalize (whole entry)', () => canonicalize(sample)));
await logger.close();

const peer = results[1].nsPerOp;
console.log(`node ${process.version}, ${process.arch}; entry: ${fields} input fields, ${Buffer.byteLength(line)} bytes canonical`);
console.log('median ns/op (p10-p90), ops/s, ratio to the JSON.stringify+SHA-256 peer');
for (const r of results) {
  console.log(
    `${r.name.padEnd(78)} ${(r.nsPerOp / 1000).toFixed(2).padStart(7)} µs  (${(r.p10 / 1000).toFixed(2)}-${(r.p90 / 1000).toFixed(2)})  ${Math.round(
      1e9 / r.nsPerOp,
    )
      .toLocaleString('en-US')
      .padStart(10)}/s  x${(r.nsPerOp / peer).toFixed(2)}`,
  );
}
const target = 10_000;
const ok = results[0].nsPerOp <= target;
console.log(`target: record() <= 10 µs per entry: ${ok ? 'MET' : 'NOT MET'} (${(results[0].nsPerOp / 1000).toFixed(2)} µs)`);
if (sink === 0) throw new Error('nothing was delivered');
