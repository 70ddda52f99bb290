// Verify with the Merkle tree rebuilt and every checkpoint checked (`trust`), beside the same
// verify without it, on the same page-cached log with a signed checkpoint every 1,000 entries
// (issue #15 target: with the tree, >= 90% of the throughput without). The log is written once by a
// real logger into $VERIFY_TREE_FILE (default <tmpdir>/auditready-bench-tree-<MB>m.log).
// Medians of 5 interleaved rounds, and the median of the per-round ratios.
//   npm run build && node bench/verify-tree.bench.mjs    (VERIFY_TREE_MB=200 by default)
import { closeSync, createReadStream, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger, generateNoteKey } from '@auditready/core';
import { verifyStream } from '@auditready/core/verify';
import { accessInput } from './access-input.mjs';

const targetMB = Number(process.env.VERIFY_TREE_MB ?? 200);
const file = process.env.VERIFY_TREE_FILE ?? join(tmpdir(), `auditready-bench-tree-${targetMB}m.log`);
const keyFile = `${file}.verifier`;

if (!existsSync(file) || !existsSync(keyFile) || statSync(file).size < targetMB * 1e6 * 0.99) {
  const key = generateNoteKey('billing-api.example/audit');
  const fd = openSync(file, 'w', 0o600);
  let bytes = 0;
  let pending = [];
  const logger = createAuditLogger({
    service: { name: 'billing-api', version: '3.14.0', env: 'production' },
    transports: [{ name: 'null', async write() {} }],
    queue: { maxEntries: 1_000_000, batchSize: 4096 },
    handleSignals: false,
    processInfo: false,
    checkpoints: { signer: key.signerKey, everyEntries: 1000, intervalMs: 0 },
    onSealed: (r) => {
      pending.push(r.line);
      bytes += r.line.length + 1;
      if (pending.length >= 4096) {
        writeSync(fd, `${pending.join('\n')}\n`);
        pending = [];
      }
    },
  });
  while (bytes < targetMB * 1e6) {
    for (let i = 0; i < 1000; i++) logger.record(accessInput);
    await logger.flush();
  }
  await logger.close();
  if (pending.length > 0) writeSync(fd, `${pending.join('\n')}\n`);
  closeSync(fd);
  writeFileSync(keyFile, key.verifierKey);
}

const trust = [readFileSync(keyFile, 'utf8').trim()];
const mb = statSync(file).size / 1e6;
const run = async (options) => {
  const t0 = performance.now();
  const r = await verifyStream(createReadStream(file, { highWaterMark: 1 << 20 }), { file, ...options });
  const s = (performance.now() - t0) / 1000;
  if (!r.valid) throw new Error('the benchmark log does not verify');
  return { s, r };
};
await run({}); // warm the page cache and the JIT
const plain = [];
const tree = [];
const ratios = [];
let last;
for (let round = 0; round < 5; round++) {
  const a = await run({});
  const b = await run({ trust });
  plain.push(a.s);
  tree.push(b.s);
  ratios.push(a.s / b.s);
  last = b.r;
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const c = last.chains[0].checkpoints;
console.log(
  `verify with the tree: ${mb.toFixed(0)} MB, ${last.entries.toLocaleString('en-US')} entries, ${c.verified} checkpoints verified; node ${process.version}`,
);
console.log(`${'verifyStream, no trusted key'.padEnd(40)} ${median(plain).toFixed(2)} s  ${(mb / median(plain)).toFixed(0)} MB/s`);
console.log(
  `${'verifyStream, trust (tree + checkpoints)'.padEnd(40)} ${median(tree).toFixed(2)} s  ${(mb / median(tree)).toFixed(0)} MB/s`,
);
console.log(
  `with the tree: ${(median(ratios) * 100).toFixed(0)}% of the throughput without (median of per-round ratios; range ${(Math.min(...ratios) * 100).toFixed(0)}-${(Math.max(...ratios) * 100).toFixed(0)}%; target >= 90%)`,
);
