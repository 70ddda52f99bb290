// Forward-secure sealing beside the plain keyed chain (issue #16 target: within 10% per entry), on
// the realistic access entry, in the same process and run: CPU µs per record() (process.cpuUsage),
// medians of 7 interleaved rounds, and the median of the per-round ratios.
//   npm run build && node bench/fss.bench.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { fileKeyState } from '@auditready/core/spool';
import { accessInput } from './access-input.mjs';

const secret = `hex:${'5a'.repeat(32)}`;
const base = {
  service: { name: 'billing-api', version: '3.14.0', env: 'production' },
  transports: [{ name: 'null', async write() {} }],
  queue: { maxEntries: 1_000_000, batchSize: 1024 },
  handleSignals: false,
};
const keyed = createAuditLogger({ ...base, chain: { hmacKey: { id: 'k1', secret } } });
const dir = mkdtempSync(join(tmpdir(), 'ar-fss-bench-'));
const fss = createAuditLogger({
  ...base,
  chain: { forwardSecure: { store: fileKeyState(join(dir, 'state')), initialKey: { id: 'f1', secret } } },
});

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const perOp = async (log, n = 20_000) => {
  const c0 = cpu();
  for (let i = 0; i < n; i++) log.record(accessInput);
  const us = (cpu() - c0) / n;
  await log.flush();
  return us;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await perOp(keyed);
await perOp(fss);
const k = [];
const f = [];
const ratios = [];
for (let round = 0; round < 7; round++) {
  const a = await perOp(keyed);
  const b = await perOp(fss);
  k.push(a);
  f.push(b);
  ratios.push(b / a);
}
await keyed.close();
await fss.close();
console.log('record() CPU µs per entry, keyed chain vs forward-secure (median of 7 interleaved rounds)');
console.log(`keyed chain (HMAC-SHA256)          ${median(k).toFixed(2)} µs`);
console.log(`forward-secure (15 min epochs)     ${median(f).toFixed(2)} µs`);
console.log(
  `forward-secure / keyed: ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}; target <= 1.10)`,
);
