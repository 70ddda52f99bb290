/**
 * The tree worker (verify/tree-sink.ts): builds the verifier's Merkle trees on a second core from
 * the operations the verifying thread posts, in order, and answers with what each tree concluded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type TreeTrack as Track, TreeTrack, type TrustedCheckpoint } from './tree.js';
import { OP_LEAF, OP_OPEN, OP_RECORD, OP_WIDTH } from './tree-sink.js';
import type { Position } from './types.js';

const done = new Int32Array((workerData as { done: SharedArrayBuffer }).done);
const tracks: Track[] = [];

function run(bytes: Uint8Array, ops: Float64Array, side: unknown[]): void {
  for (let i = 0; i < ops.length; i += OP_WIDTH) {
    const op = ops[i];
    const idx = ops[i + 1] as number;
    if (op === OP_LEAF) {
      const at = ops[i + 3] as number;
      (tracks[idx] as Track).leaf(ops[i + 2] as number, bytes, at, at + (ops[i + 4] as number));
    } else if (op === OP_OPEN) tracks[idx] = new TreeTrack(side[ops[i + 2] as number] as TrustedCheckpoint[]);
    else if (op === OP_RECORD) {
      const r = side[ops[i + 3] as number] as { c: TrustedCheckpoint; tree: unknown; pos: Position };
      (tracks[idx] as Track).record(ops[i + 2] as number, r.c, r.tree, r.pos);
    }
  }
}

parentPort?.on('message', (m: { t: string; bytes?: ArrayBuffer; ops?: Float64Array; side?: unknown[] }) => {
  if (m.t === 'ops') {
    run(new Uint8Array(m.bytes as ArrayBuffer), m.ops as Float64Array, m.side ?? []);
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  } else if (m.t === 'finish') parentPort?.postMessage({ t: 'results', results: tracks.map((t) => t.result()) });
});
