// The Merkle tree's cost per entry (issue #15 target: tree + checkpoints add <= 1 µs per entry
// amortized), beside record() on the same realistic access entry, in the same process and run:
//   - leafHash(line) + CompactRange.append: what the logger adds per sealed entry;
//   - Ed25519 signing of a checkpoint note (node:crypto, and @noble/curves): paid once per N
//     entries, shown as µs per entry at N = 1,000 and 10,000;
//   - the whole feature: record() by a logger with `checkpoints` at the defaults (every 1,000
//     entries, signed, sealed, the tree state committed) beside the same logger without it.
// CPU µs per operation (process.cpuUsage), medians of 7 interleaved rounds.
//   npm run build && node bench/tree.bench.mjs
import { CompactRange, createAuditLogger, generateNoteKey, leafHash, parseSignerKey, signCheckpoint } from '@auditready/core';
import { accessInput } from './access-input.mjs';

const input = accessInput;
const lines = [];
const logger = createAuditLogger({
  service: { name: 'billing-api', version: '3.14.0', env: 'production' },
  transports: [{ name: 'null', async write() {} }],
  queue: { maxEntries: 1_000_000, batchSize: 1024 },
  handleSignals: false,
  onSealed: (r) => {
    if (lines.length < 10_000) lines.push(r.line);
  },
});
for (let i = 0; i < 10_000; i++) logger.record(input);
const nullTransport = () => ({ name: 'null', async write() {} });
const plain = createAuditLogger({
  service: { name: 'billing-api', version: '3.14.0', env: 'production' },
  transports: [nullTransport()],
  queue: { maxEntries: 1_000_000, batchSize: 1024 },
  handleSignals: false,
});
const withCheckpoints = createAuditLogger({
  service: { name: 'billing-api', version: '3.14.0', env: 'production' },
  transports: [nullTransport()],
  queue: { maxEntries: 1_000_000, batchSize: 1024 },
  handleSignals: false,
  checkpoints: { signer: generateNoteKey('billing-api.example/audit').signerKey, destinations: [nullTransport()] },
});

// CPU time of this process per operation (process.cpuUsage: time on a core, not time waiting for
// one, which this shared machine's other tenants add to wall time).
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const perOp = (fn, ms = 200) => {
  let n = 0;
  const t0 = performance.now();
  const c0 = cpuUs();
  while (performance.now() - t0 < ms) {
    fn(n);
    n++;
  }
  return (cpuUs() - c0) / n;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const key = generateNoteKey('billing-api.example/audit');
const signer = parseSignerKey(key.signerKey);
const range = new CompactRange();
const rows = { record: [], tree: [], sign: [], plain: [], checkpoints: [] };
const drain = async () => {
  await plain.flush();
  await withCheckpoints.flush();
};
for (let round = 0; round < 7; round++) {
  rows.record.push(perOp(() => logger.record(input)));
  rows.plain.push(perOp(() => plain.record(input)));
  await drain();
  rows.checkpoints.push(perOp(() => withCheckpoints.record(input)));
  await drain();
  rows.tree.push(perOp((n) => range.append(leafHash(lines[n % lines.length]))));
  const t0 = performance.now();
  for (let i = 0; i < 200; i++)
    await signCheckpoint({ origin: 'billing-api.example/audit', size: range.size, root: range.root(), extensions: [] }, [signer]);
  rows.sign.push(((performance.now() - t0) * 1000) / 200);
}
const issued = withCheckpoints.health().checkpoints?.issued ?? 0;
await logger.close();
await plain.close();
await withCheckpoints.close();
const r = median(rows.record);
const p = median(rows.plain);
const c = median(rows.checkpoints);
const t = median(rows.tree);
const s = median(rows.sign);
console.log('Merkle tree cost per entry, beside record() (median of 7 interleaved rounds)');
console.log(`record() of a realistic access entry    ${r.toFixed(2)} µs`);
console.log(`leafHash(line) + CompactRange.append    ${t.toFixed(2)} µs   (${((t / r) * 100).toFixed(0)}% of record())`);
console.log(
  `sign a checkpoint (root + Ed25519)      ${s.toFixed(1)} µs   = ${(s / 1000).toFixed(3)} µs/entry at N=1,000, ${(s / 10000).toFixed(4)} at N=10,000`,
);
console.log(
  `record(), checkpoints off / on (defaults)  ${p.toFixed(2)} / ${c.toFixed(2)} µs   = +${(c - p).toFixed(2)} µs per entry (${issued} checkpoints signed and sealed in the run)`,
);
