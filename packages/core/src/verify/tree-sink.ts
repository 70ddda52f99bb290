/**
 * Where the verifier's Merkle trees are built (tree.ts does the work): in the verifying thread
 * (LocalTreeSink), or, on Node, in a worker thread beside it (WorkerTreeSink), so that rebuilding
 * the tree (two SHA-256 per entry) runs on the second core while the first checks the chain. The
 * verifier hands both the same operations in the same order, and adds what they conclude to its
 * report at the end: the report is the same whichever built the trees.
 */
import { AuditInputError } from '../errors.js';
import { builtin } from '../platform.js';
import { type TreeResult, TreeTrack, type TrustedCheckpoint } from './tree.js';
import type { Position } from './types.js';

export interface TreeSink {
  /** A chain seen for the first time, with the external checkpoints that name it. */
  open(idx: number, external: TrustedCheckpoint[]): void;
  /** The line `data[start, end)` is the leaf of `seq` (in order; a jump loses the tree until a record restores it). */
  leaf(idx: number, seq: number, data: Uint8Array, start: number, end: number): void;
  /** A checkpoint record at `seq`, opened under the trusted keys; `tree` its committed state. */
  record(idx: number, seq: number, c: TrustedCheckpoint, tree: unknown, pos: Position): void;
  /** Per chain index, once every operation is done. */
  results(): Promise<TreeResult[]>;
  /** The results without waiting, when they are already known (undefined for a worker still at work). */
  resultsNow(): TreeResult[] | undefined;
}

export class LocalTreeSink implements TreeSink {
  readonly #tracks: TreeTrack[] = [];

  open(idx: number, external: TrustedCheckpoint[]): void {
    this.#tracks[idx] = new TreeTrack(external);
  }

  leaf(idx: number, seq: number, data: Uint8Array, start: number, end: number): void {
    (this.#tracks[idx] as TreeTrack).leaf(seq, data, start, end);
  }

  record(idx: number, seq: number, c: TrustedCheckpoint, tree: unknown, pos: Position): void {
    (this.#tracks[idx] as TreeTrack).record(seq, c, tree, pos);
  }

  resultsNow(): TreeResult[] {
    return this.#tracks.map((t) => t.result());
  }

  results(): Promise<TreeResult[]> {
    return Promise.resolve(this.resultsNow());
  }
}

/** Operation codes and the width of one operation in the Float64Array sent to the worker. */
export const OP_OPEN = 0;
export const OP_LEAF = 1;
export const OP_RECORD = 2;
export const OP_WIDTH = 5;

const BATCH_BYTES = 4 << 20;
/** A buffer at least this large (a stream's chunk) is copied whole once, and its lines referenced in it. */
const WHOLE = 64 * 1024;
const BATCH_OPS = 16_384;
/** Batches the worker may be behind before the verifying thread waits for it (bounded memory). */
const MAX_BEHIND = 32;

/** What the verifier uses of a node:worker_threads Worker. */
export interface WorkerLike {
  postMessage(m: unknown, transfer?: ArrayBuffer[]): void;
  on(event: string, fn: (x: unknown) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/**
 * The worker thread's side of the sink. Operations are batched: line bytes copied into a buffer
 * that is transferred (not copied again), operations as numbers, checkpoint data beside them.
 */
export class WorkerTreeSink implements TreeSink {
  readonly #worker: WorkerLike;
  /** [0]: batches the worker finished (it notifies; the verifying thread waits when too far ahead). */
  readonly #done: Int32Array;
  #bytes = new Uint8Array(BATCH_BYTES);
  #len = 0;
  #ops = new Float64Array(BATCH_OPS * OP_WIDTH);
  #n = 0;
  /** The last large buffer copied whole into this batch, and where. */
  #whole: Uint8Array | undefined;
  #wholeAt = 0;
  #side: unknown[] = [];
  #posted = 0;
  #failure: Error | undefined;
  readonly #answer: Promise<TreeResult[]>;

  constructor(worker: WorkerLike, done: Int32Array) {
    this.#worker = worker;
    this.#done = done;
    this.#answer = new Promise<TreeResult[]>((resolve, reject) => {
      worker.on('message', (m) => {
        const msg = m as { t?: string; results?: TreeResult[] };
        if (msg.t === 'results') resolve(msg.results ?? []);
      });
      worker.on('error', (e) => {
        this.#failure = e as Error;
        reject(new AuditInputError(`verify: the tree worker failed: ${(e as Error).message}`, { cause: e }));
      });
    });
    this.#answer.catch(() => {});
  }

  #op(code: number, idx: number, a: number, b: number, c: number): void {
    if (this.#n === BATCH_OPS) this.#flush();
    const o = this.#ops;
    const i = this.#n++ * OP_WIDTH;
    o[i] = code;
    o[i + 1] = idx;
    o[i + 2] = a;
    o[i + 3] = b;
    o[i + 4] = c;
  }

  open(idx: number, external: TrustedCheckpoint[]): void {
    this.#op(OP_OPEN, idx, this.#side.length, 0, 0);
    this.#side.push(external);
  }

  leaf(idx: number, seq: number, data: Uint8Array, start: number, end: number): void {
    if (data !== this.#whole && data.length >= WHOLE) {
      // A stream's chunk: one copy for all its lines (most lines of a log arrive this way).
      if (this.#len + data.length > this.#bytes.length) this.#flush();
      if (data.length > this.#bytes.length) this.#bytes = new Uint8Array(data.length);
      this.#bytes.set(data, this.#len);
      this.#whole = data;
      this.#wholeAt = this.#len;
      this.#len += data.length;
    }
    if (data === this.#whole) {
      this.#op(OP_LEAF, idx, seq, this.#wholeAt + start, end - start);
      return;
    }
    const n = end - start;
    if (this.#len + n > this.#bytes.length) this.#flush();
    if (n > this.#bytes.length) this.#bytes = new Uint8Array(n);
    this.#bytes.set(data.subarray(start, end), this.#len);
    this.#op(OP_LEAF, idx, seq, this.#len, n);
    this.#len += n;
  }

  record(idx: number, seq: number, c: TrustedCheckpoint, tree: unknown, pos: Position): void {
    this.#op(OP_RECORD, idx, seq, this.#side.length, 0);
    this.#side.push({ c, tree, pos });
  }

  #flush(): void {
    if (this.#n === 0) return;
    this.#check();
    const ops = this.#ops.subarray(0, this.#n * OP_WIDTH);
    const bytes = this.#bytes.buffer as ArrayBuffer;
    this.#worker.postMessage({ t: 'ops', bytes, ops, side: this.#side }, [bytes, this.#ops.buffer as ArrayBuffer]);
    this.#posted++;
    this.#bytes = new Uint8Array(BATCH_BYTES);
    this.#len = 0;
    this.#ops = new Float64Array(BATCH_OPS * OP_WIDTH);
    this.#n = 0;
    this.#whole = undefined;
    this.#side = [];
    // Bounded memory: when the worker is far behind, wait for it (it is the other core's work).
    for (let done = Atomics.load(this.#done, 0); this.#posted - done > MAX_BEHIND; done = Atomics.load(this.#done, 0)) {
      Atomics.wait(this.#done, 0, done, 1000);
      this.#check();
    }
  }

  #check(): void {
    const f = this.#failure as Error | undefined;
    if (f) throw new AuditInputError(`verify: the tree worker failed: ${f.message}`, { cause: f });
  }

  resultsNow(): undefined {
    return undefined;
  }

  async results(): Promise<TreeResult[]> {
    this.#flush();
    this.#worker.postMessage({ t: 'finish' });
    try {
      return await this.#answer;
    } finally {
      await this.#worker.terminate();
    }
  }
}

interface NodeBits {
  fs: { existsSync(p: string): boolean };
  path: { dirname(p: string): string; join(...p: string[]): string; basename(p: string): string };
  url: { fileURLToPath(u: string): string };
}

/** A worker script beside this module's build (dist/<name>), or undefined (sources, bundles, no Node). */
export function workerScript(name: string): string | undefined {
  const n = {
    fs: builtin<NodeBits['fs']>('node:fs'),
    path: builtin<NodeBits['path']>('node:path'),
    url: builtin<NodeBits['url']>('node:url'),
  };
  if (!n.fs || !n.path || !n.url) return undefined;
  const url = (import.meta as { url?: string }).url;
  const dir = url ? n.path.dirname(n.url.fileURLToPath(url)) : typeof __dirname === 'string' ? __dirname : undefined;
  if (dir === undefined) return undefined;
  const file = n.path.join(dir, name);
  return n.fs.existsSync(file) && n.path.basename(dir) === 'dist' ? file : undefined;
}

/** A worker-thread sink where Node and the built worker script are at hand; else undefined (the caller builds in-thread). */
export function workerTreeSink(): TreeSink | undefined {
  try {
    const wt = builtin<{ Worker: new (file: string, o: { workerData: unknown }) => WorkerLike }>('node:worker_threads');
    const script = workerScript('tree-worker.js');
    if (!wt || script === undefined) return undefined;
    const done = new Int32Array(new SharedArrayBuffer(4));
    const worker = new wt.Worker(script, { workerData: { done: done.buffer } });
    worker.unref();
    return new WorkerTreeSink(worker, done);
  } catch {
    return undefined;
  }
}
