/**
 * Memory shared by the app's thread and the audit worker (@auditready/core/worker). It outlives
 * the worker: when the worker dies, the app's thread reads from it what the worker had taken,
 * sealed and delivered, and the worker that replaces it declares what was lost.
 */
import type { TreeState } from './tree-state.js';
import type { ChainHead } from './types.js';

const WORDS = 6;
const HASH_BYTES = 64;
/** A compact range of a tree of at most 2^53 leaves holds at most 53 hashes. */
const TREE_HASHES = 53;

/** Slots of the shared words. */
const ROOM = 0;
const BEAT = 1;
const TAKEN = 2;
const SEALED = 3;
const DELIVERED = 4;
const TREE_SIZE = 5;

/** What a worker that died had taken but not delivered: declared by its replacement. */
export interface WorkerLoss {
  /** The last entry it sealed (the replacement continues the chain from there). */
  head: ChainHead | undefined;
  /** Seqs it sealed that no confirmed delivery covers (every transport), first..last. */
  from: number;
  to: number;
  /** Inputs posted to it that it never sealed. */
  unsealed: number;
}

export class WorkerState {
  readonly buffer: SharedArrayBuffer;
  /**
   * [ROOM] fail-closed: (inputs taken, mod 2^32) << 32 | room left in the queues; [BEAT] heartbeat
   * (Date.now(), every 100 ms while the worker's loop runs); [TAKEN] inputs taken, mod 2^32;
   * [SEALED] seq + 1 of the last sealed entry (0: none); [DELIVERED] seq + 2 through which every
   * transport confirmed delivery (0: not known; 1: nothing yet, seq -1).
   */
  readonly #words: BigInt64Array;
  /** Hash (hex) of the last sealed entry. */
  readonly #hash: Uint8Array;

  /** The chain's Merkle tree (checkpoints on) through the last sealed entry: [TREE_SIZE] leaves, then its compact range. */
  readonly #tree: Uint8Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(WORDS * 8 + HASH_BYTES + TREE_HASHES * 32)) {
    this.buffer = buffer;
    this.#words = new BigInt64Array(buffer, 0, WORDS);
    this.#hash = new Uint8Array(buffer, WORDS * 8, HASH_BYTES);
    this.#tree = new Uint8Array(buffer, WORDS * 8 + HASH_BYTES, TREE_HASHES * 32);
  }

  // ---- written by the worker ---------------------------------------------------------------

  setRoom(taken: number, room: number): void {
    Atomics.store(this.#words, ROOM, (BigInt(taken) << 32n) | BigInt(Math.min(room, 0x7fffffff)));
  }

  beat(): void {
    Atomics.store(this.#words, BEAT, BigInt(Date.now()));
  }

  setTaken(taken: number): void {
    Atomics.store(this.#words, TAKEN, BigInt(taken));
  }

  sealed(seq: number, hash: string): void {
    for (let i = 0; i < HASH_BYTES; i++) this.#hash[i] = hash.charCodeAt(i);
    Atomics.store(this.#words, SEALED, BigInt(seq + 1));
  }

  /** The tree through the entry about to be published by sealed() (written first: a reader checks the size). */
  setTree(size: number, hashes: readonly Uint8Array[]): void {
    Atomics.store(this.#words, TREE_SIZE, 0n);
    for (const [i, h] of hashes.entries()) this.#tree.set(h, i * 32);
    Atomics.store(this.#words, TREE_SIZE, BigInt(size + 1));
  }

  /** The tree a dead worker had through `seq`, when it kept one that far (else undefined: unknown). */
  tree(seq: number): TreeState | undefined {
    const size = Number(Atomics.load(this.#words, TREE_SIZE)) - 1;
    if (size !== seq + 1) return undefined;
    let bits = 0;
    for (let n = size; n > 0; n = Math.floor(n / 2)) bits += n % 2;
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return { size, hashes: Array.from({ length: bits }, (_, i) => hex(this.#tree.subarray(i * 32, i * 32 + 32))) };
  }

  delivered(through: number): void {
    Atomics.store(this.#words, DELIVERED, BigInt(through + 2));
  }

  // ---- read by either side -----------------------------------------------------------------

  /** [inputs taken mod 2^32, room left] as the worker last published them (fail-closed). */
  room(): [number, number] {
    const word = Atomics.load(this.#words, ROOM);
    return [Number(BigInt.asUintN(32, word >> 32n)), Number(BigInt.asUintN(32, word))];
  }

  lastBeat(): number {
    return Number(Atomics.load(this.#words, BEAT));
  }

  /** The seq through which every transport confirmed delivery, or undefined. */
  deliveredThrough(): number | undefined {
    const v = Number(Atomics.load(this.#words, DELIVERED));
    return v === 0 ? undefined : v - 2;
  }

  /**
   * What a dead worker leaves to declare. `posted`: inputs the app's thread posted to it (mod 2^32);
   * `chain`: the chain's id.
   */
  loss(posted: number, chain: string): WorkerLoss {
    const sealedPlus1 = Number(Atomics.load(this.#words, SEALED));
    const head =
      sealedPlus1 === 0 ? undefined : { chain, seq: sealedPlus1 - 1, hash: String.fromCharCode(...this.#hash.subarray(0, HASH_BYTES)) };
    const through = this.deliveredThrough() ?? (head ? head.seq : -1);
    const unsealed = (posted - Number(Atomics.load(this.#words, TAKEN))) >>> 0;
    return { head, from: through + 1, to: head ? head.seq : through, unsealed };
  }

  /** Before a replacement starts: no heartbeat yet (not a stalled loop), and no room until it says so. */
  reset(): void {
    Atomics.store(this.#words, BEAT, 0n);
    const [taken] = this.room();
    this.setRoom(taken, 0);
  }
}

/** How many entries a loss stands for. */
export function lostCount(l: WorkerLoss): number {
  return Math.max(0, l.to - l.from + 1) + l.unsealed;
}
