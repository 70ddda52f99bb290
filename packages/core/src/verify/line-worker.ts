/**
 * The line worker (verify/line-feed.ts): on a second core, scans the lines of part of a block and
 * hashes those without a key id (scanBlock), so that the verifying thread has less to do before it
 * links them. The verifying thread decides everything.
 */
import { parentPort } from 'node:worker_threads';
import { scanBlock } from './line-scan.js';

/** When the last block was done: the time until the next one arrives is time this worker waited (`idleMs`, for the split). */
let lastDone = -1;

parentPort?.on('message', (m: { id: number; bytes: ArrayBuffer; lines: Float64Array; n: number }) => {
  const idleMs = lastDone < 0 ? 0 : performance.now() - lastDone;
  const out = scanBlock(Buffer.from(m.bytes), m.lines, 0, m.n);
  lastDone = performance.now();
  parentPort?.postMessage({ id: m.id, out, idleMs }, [out.buffer as ArrayBuffer]);
});
