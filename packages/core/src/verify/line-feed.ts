/**
 * feedStream's parallel reading (FeedOptions.lineWorker): each chunk's whole lines become a block;
 * a worker thread (line-worker.ts) scans the first part of it (a copy of those bytes, given away)
 * and hashes its unkeyed lines on the second core while this thread scans the rest, then this
 * thread links them all. The verifier sees every line, in order, exactly as feedStream's
 * sequential reading gives them, and decides each as its byte fast path would (a line the worker
 * could not scan or whose hash differs takes the full path). Small chunks, and every block when no
 * worker can be started, are verified here, in order.
 */
import { builtin } from '../platform.js';
import { PUSH_SCANNED, scanBlock } from './line-scan.js';
import { LINE_HASH_OK, LINE_KEYED, LINE_WIDTH, readScan } from './scan.js';
import { type WorkerLike, workerScript } from './tree-sink.js';
import type { Position } from './types.js';
import type { Verifier } from './verifier.js';

const NEWLINE = 0x0a;
/** Blocks smaller than this are verified in this thread (a worker's round trip would cost more). */
const MIN_BLOCK = 64 * 1024;
/**
 * A stream's smaller chunks are gathered up to this many bytes before they become a block:
 * the whole lines of one of createReadStream's default 64 KiB chunks are a little less than the
 * chunk, so with the partial line carried in front they reached MIN_BLOCK only now and then: a
 * plain `verifyStream(createReadStream(file))` used the worker for a few blocks and ran at about
 * 40% of the speed it reaches with large chunks.
 */
const GATHER_BYTES = 1 << 20;
/**
 * The share of a block's lines the worker scans until both threads' costs are known. From then on
 * it follows them (balancedShare): the best split moves with the machine's load (another process
 * on one core), with the data (keyed lines are not hashed by the worker), and with what the caller
 * does per line (onLine).
 */
const WORKER_SHARE = 0.55;
const SHARE_MIN = 0.3;
const SHARE_MAX = 0.95;
/** Weight of a block's measurement in the running per-line costs. */
const SMOOTHING = 0.3;

/** Per-line costs (ms) of the two threads, as measured on the blocks so far. */
export interface LineCosts {
  /** The worker, per line it scanned (scanned and hashed). */
  worker: number;
  /** This thread, per line of its own part (scanned and hashed). */
  scan: number;
  /** This thread, per line of the whole block: cutting it into lines, and linking every line. */
  link: number;
}

/**
 * The worker's share that makes both threads take as long on a block: the worker's part s takes
 * s·worker per line, this thread's (1-s)·scan + link, so s = (scan + link) / (worker + scan),
 * within [SHARE_MIN, SHARE_MAX]. (A share set by who waited for whom instead swung between its
 * bounds: with blocks queued ahead, a wait showed only once the queue had run dry or full.)
 */
export function balancedShare(c: LineCosts): number {
  const s = (c.scan + c.link) / (c.worker + c.scan);
  return Number.isFinite(s) ? Math.min(SHARE_MAX, Math.max(SHARE_MIN, s)) : WORKER_SHARE;
}

/** The worker's answer for a block: what it found, and how long it took. */
interface Answer {
  out: Float64Array;
  busyMs: number;
}
/**
 * Blocks read ahead of the one being linked (bounded memory: about twice this many chunks). Both
 * threads sat idle part of the time with 2 (the machine's speed and GC pauses move the balance
 * between them); 8 gave ~5% more (9 interleaved rounds, 2026-12-07).
 */
const AHEAD = 8;

/** The worker, and the answers it owes. */
class LineWorker {
  readonly #worker: WorkerLike;
  readonly #waiting = new Map<number, { resolve(a: Answer): void; reject(e: Error): void }>();
  #next = 0;
  #failure: Error | undefined;

  constructor(worker: WorkerLike) {
    this.#worker = worker;
    worker.on('message', (m) => {
      const msg = m as { id: number; out: Float64Array; busyMs: number };
      this.#waiting.get(msg.id)?.resolve({ out: msg.out, busyMs: msg.busyMs });
      this.#waiting.delete(msg.id);
      if (this.#waiting.size === 0) worker.unref(); // idle: it must not keep the process alive
    });
    worker.on('error', (e) => {
      this.#failure = e as Error;
      for (const w of this.#waiting.values()) w.reject(e as Error);
      this.#waiting.clear();
    });
  }

  /** Scans lines 0 to n of `lines` (start, end, number each) in `bytes` (given away). */
  scan(bytes: ArrayBuffer, lines: Float64Array, n: number): Promise<Answer> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    const answer = new Promise<Answer>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    // Ref'd while it owes an answer: a reader awaiting it has nothing else keeping the process alive.
    if (this.#waiting.size === 1) this.#worker.ref();
    this.#worker.postMessage({ id, bytes, lines, n }, [bytes, lines.buffer as ArrayBuffer]);
    return answer;
  }

  unref(): void {
    this.#worker.unref();
  }

  close(): void {
    void this.#worker.terminate();
  }
}

/** One worker for the process, shared by successive reads (a directory's segments), stopped when idle for a while. */
let shared: { worker: LineWorker | undefined; users: number; idle: ReturnType<typeof setTimeout> | undefined } | undefined;
const IDLE_MS = 2000;

function acquireLineWorker(): LineWorker | undefined {
  if (shared === undefined) shared = { worker: startLineWorker(), users: 0, idle: undefined };
  if (shared.idle !== undefined) clearTimeout(shared.idle);
  shared.idle = undefined;
  shared.users++;
  return shared.worker;
}

function releaseLineWorker(): void {
  const s = shared;
  if (s === undefined || --s.users > 0) return;
  s.idle = setTimeout(() => {
    if (shared === s && s.users === 0) {
      s.worker?.close();
      shared = undefined;
    }
  }, IDLE_MS);
  (s.idle as { unref?: () => void }).unref?.();
}

function startLineWorker(): LineWorker | undefined {
  try {
    const wt = builtin<{ Worker: new (file: string) => WorkerLike }>('node:worker_threads');
    const script = workerScript('line-worker.js');
    if (!wt || script === undefined) return undefined;
    const lw = new LineWorker(new wt.Worker(script));
    lw.unref(); // after its listeners: adding a 'message' listener refs a worker again
    return lw;
  } catch {
    return undefined;
  }
}

/** One block: whole lines, what comes before them, and the worker's answer for the first part. */
interface Block {
  bytes: Uint8Array;
  /** start, end (as read, CR included), line number: three numbers per line; start -1: a line over the limit, end its length. */
  lines: number[];
  /** A line over the limit that ended in this block, reported before its lines (bytes, line number). */
  overlong?: [number, number];
  /** The worker's answer for the first `split` lines; this thread scans the rest. */
  answer: Promise<Answer> | undefined;
  split: number;
  /** Time this thread took to make the block (copy, cut into lines). */
  madeMs: number;
}

export interface LineFeed {
  file?: string;
  max: number;
  onLine?: ((buf: Uint8Array, start: number, end: number, line: number) => void) | undefined;
  /** A fixed share of each block for the worker (diagnostics, benchmarks); by default it adapts. */
  workerShare?: number | undefined;
}

/** What a read with a line worker did (diagnostics, tests). */
export interface LineFeedStats {
  /** Lines the worker scanned. */
  workerLines: number;
  /** The worker's share when the read ended. */
  share?: number;
  /** Both threads' per-line costs (ms), as the split last measured them. */
  costs?: LineCosts;
}

/** feedStream with a line worker; returns the number of lines read. */
export function feedWithWorker(verifier: Verifier, chunks: AsyncIterable<Uint8Array>, o: LineFeed, stats?: LineFeedStats): Promise<number> {
  return new WorkerFeed(verifier, o, stats).run(gathered(chunks));
}

/** The same bytes in chunks of at least GATHER_BYTES (but the last); larger chunks pass as they are. */
async function* gathered(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    if (length === 0 && chunk.length >= GATHER_BYTES) {
      yield chunk;
      continue;
    }
    parts.push(chunk);
    length += chunk.length;
    if (length < GATHER_BYTES) continue;
    yield joined(parts, length);
    parts = [];
    length = 0;
  }
  if (length > 0) yield joined(parts, length);
}

/** Bytes about to be overwritten whole (no zero-filling where Node's Buffer is there). */
function uninitialized(length: number): Uint8Array {
  return typeof Buffer === 'function' ? Buffer.allocUnsafe(length) : new Uint8Array(length);
}

function joined(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = uninitialized(length);
  let w = 0;
  for (const p of parts) {
    out.set(p, w);
    w += p.length;
  }
  return out;
}

class WorkerFeed {
  #worker: LineWorker | undefined;
  #workerTried = false;
  readonly #queue: Block[] = [];
  #carry: Uint8Array[] = [];
  #carryLen = 0;
  /** Bytes of a line over the limit so far (not held), or -1. */
  #overlong = -1;
  #lineNo = 0;
  #share: number;
  /** Running per-line costs, once measured (the first block with both parts). */
  #costs: LineCosts | undefined;

  constructor(
    readonly verifier: Verifier,
    readonly o: LineFeed,
    readonly stats: LineFeedStats | undefined,
  ) {
    this.#share = o.workerShare ?? WORKER_SHARE;
  }

  /** Takes in a block's measured costs and sets the share from them, unless the share is fixed. */
  #adjust(sample: LineCosts): void {
    const c = this.#costs;
    if (c === undefined) this.#costs = sample;
    else {
      c.worker += SMOOTHING * (sample.worker - c.worker);
      c.scan += SMOOTHING * (sample.scan - c.scan);
      c.link += SMOOTHING * (sample.link - c.link);
    }
    if (this.stats) this.stats.costs = { ...(this.#costs as LineCosts) };
    if (this.o.workerShare !== undefined) return;
    this.#share = balancedShare(this.#costs as LineCosts);
    if (this.stats) this.stats.share = this.#share;
  }

  #at(line: number): Position {
    return this.o.file !== undefined ? { file: this.o.file, line } : { line };
  }

  async run(chunks: AsyncIterable<Uint8Array>): Promise<number> {
    try {
      for await (const chunk of chunks) {
        const last = chunk.lastIndexOf(NEWLINE);
        if (last >= 0) {
          this.#queue.push(this.#block(chunk, last + 1));
          this.#carry = [];
          this.#carryLen = 0;
          while (this.#queue.length > AHEAD) await this.#link(this.#queue.shift() as Block);
        }
        this.#keep(last >= 0 ? chunk.subarray(last + 1) : chunk);
      }
      while (this.#queue.length > 0) await this.#link(this.#queue.shift() as Block);
      if (this.#overlong >= 0) this.verifier.pushOverlong(this.#overlong, this.o.max, this.#at(++this.#lineNo));
      else if (this.#carryLen > 0) await this.#link(this.#block(new Uint8Array([NEWLINE]), 1)); // the last line, without a newline
    } finally {
      if (this.#workerTried) releaseLineWorker();
    }
    return this.#lineNo;
  }

  /** Keeps the start of a line that goes on in the next chunk (or counts it, once over the limit). */
  #keep(rest: Uint8Array): void {
    if (rest.length === 0) return;
    if (this.#overlong >= 0) this.#overlong += rest.length;
    else if (this.#carryLen + rest.length > this.o.max) {
      this.#overlong = this.#carryLen + rest.length;
      this.#carry = [];
      this.#carryLen = 0;
    } else {
      this.#carry.push(rest);
      this.#carryLen += rest.length;
    }
  }

  /** The carried start of the first line, then `buf` up to `cut` (after its last newline), as one block. */
  #block(buf: Uint8Array, cut: number): Block {
    const t0 = performance.now();
    const length = this.#carryLen + cut;
    const big = length >= MIN_BLOCK;
    if (big && !this.#workerTried) {
      this.#workerTried = true;
      this.#worker = acquireLineWorker();
    }
    const bytes = uninitialized(length);
    let w = 0;
    for (const c of this.#carry) {
      bytes.set(c, w);
      w += c.length;
    }
    bytes.set(buf.subarray(0, cut), w);
    const b: Block = { bytes, lines: [], answer: undefined, split: 0, madeMs: 0 };
    w = 0;
    if (this.#overlong >= 0) {
      // A line over the limit (not held) ends at the first newline here: reported, not read.
      const nl = bytes.indexOf(NEWLINE);
      b.overlong = [this.#overlong + nl, ++this.#lineNo];
      w = nl + 1;
      this.#overlong = -1;
    }
    let inner = false;
    for (let nl = bytes.indexOf(NEWLINE, w); nl >= 0; w = nl + 1, nl = bytes.indexOf(NEWLINE, w)) {
      this.#lineNo++;
      if (nl - w > this.o.max) {
        b.lines.push(-1, nl - w, this.#lineNo);
        inner = true;
      } else if (nl > w) b.lines.push(w, nl, this.#lineNo);
    }
    const count = b.lines.length / 3;
    if (big && this.#worker !== undefined && !inner && count > 1) {
      // The worker gets a copy of the bytes of its lines (given away, not shared) and their positions.
      b.split = Math.ceil(count * this.#share);
      const upTo = b.lines[3 * (b.split - 1) + 1] as number;
      const part = new Uint8Array(bytes.subarray(0, upTo)).buffer as ArrayBuffer;
      b.answer = this.#worker.scan(part, Float64Array.from(b.lines.slice(0, 3 * b.split)), b.split);
      b.answer.catch(() => {});
    }
    b.madeMs = performance.now() - t0;
    return b;
  }

  /** Hands a block's lines to the verifier, in order, with what the worker and this thread found. */
  async #link(b: Block): Promise<void> {
    const v = this.verifier;
    if (b.overlong) v.pushOverlong(b.overlong[0], this.o.max, this.#at(b.overlong[1]));
    const count = b.lines.length / 3;
    // This thread's share first, while the worker does its own; then both are linked, in order.
    const t0 = performance.now();
    const mine = b.answer === undefined ? undefined : scanBlock(b.bytes, b.lines, b.split, count);
    const scanMs = performance.now() - t0;
    let theirs: Float64Array | undefined;
    let busyMs = 0;
    try {
      if (b.answer !== undefined) {
        const a = await b.answer;
        theirs = a.out;
        busyMs = a.busyMs;
      }
    } catch {
      theirs = undefined; // the worker failed: this thread verifies the block
    }
    if (theirs !== undefined && this.stats) this.stats.workerLines += b.split;
    const t1 = performance.now();
    for (let i = 0; i < count; i++) {
      const start = b.lines[3 * i] as number;
      const end = b.lines[3 * i + 1] as number;
      const n = b.lines[3 * i + 2] as number;
      if (start < 0) {
        v.pushOverlong(end, this.o.max, this.#at(n)); // a line over the limit inside the block (such a block is not sent)
        continue;
      }
      const res = i < b.split ? theirs : mine;
      const k = (i < b.split ? i : i - b.split) * LINE_WIDTH;
      const status = res === undefined ? LINE_KEYED : (res[k] as number);
      if (status === LINE_KEYED) v.pushBytes(b.bytes, start, end, this.#at(n));
      else v[PUSH_SCANNED](b.bytes, start, end, this.#at(n), readScan(res as Float64Array, k), status === LINE_HASH_OK);
      this.o.onLine?.(b.bytes, start, end, n);
    }
    // Both parts measured (a part of a line or two says little): the split follows the costs.
    if (theirs !== undefined && b.split >= 16 && count - b.split >= 16)
      this.#adjust({ worker: busyMs / b.split, scan: scanMs / (count - b.split), link: (b.madeMs + performance.now() - t1) / count });
  }
}
