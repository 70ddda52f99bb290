/**
 * The line worker (verify/line-feed.ts): on a second core, scans the lines of part of a block and
 * hashes those without a key id (scanBlock), so that the verifying thread has less to do before it
 * links them. The verifying thread decides everything.
 */
import { parentPort } from 'node:worker_threads';
import { scanBlock } from './line-scan.js';

parentPort?.on('message', (m: { id: number; bytes: ArrayBuffer; lines: Float64Array; n: number }) => {
  const t0 = performance.now();
  const out = scanBlock(Buffer.from(m.bytes), m.lines, 0, m.n);
  // How long the part took, for the split (line-feed.ts balancedShare).
  parentPort?.postMessage({ id: m.id, out, busyMs: performance.now() - t0 }, [out.buffer as ArrayBuffer]);
});
