import type { BreakRef } from './breaks.js';
import { ascii } from './scan.js';
import type { Position } from './types.js';

/** What the verifier remembers of one seq of a chain. */
export interface SeqRecord {
  hash: string;
  computed: string;
  pos: Position;
  /** This entry's own break (modified ...), if any. */
  own?: BreakRef;
  /** Some accepted entry linked to this one. */
  continued: boolean;
}

/** Small to start with: a log of many short chains (or a hostile one) costs little per chain. */
const INITIAL = 16;
/** A hash the byte fast path accepted: 64 hex digits (SHA-256), kept as its bytes. */
const HEX = 64;

/**
 * The last `max` seqs of a chain, in a ring indexed by seq (O(1), no hashing, no deletions). It
 * starts small and doubles up to `max`, so many short chains stay cheap. Entries further back
 * than the window are forgotten: a seq that reappears after that is reported as reordered.
 *
 * Most seqs are entries the byte fast path accepted (setLine): their hash bytes, line and file go
 * into flat arrays, not an object, a position and a hash string each (~200 bytes that all outlived
 * the young generation). A full window of 100,000 takes ~6.4 MB instead of ~20; a 300 MB verify
 * peaked at 173 instead of 218 MB, with half the young-generation GC time. A seq's record becomes
 * an object only when asked for (get), which is rare: breaks and late entries.
 */
export class SeqWindow {
  /** An object record, or undefined where the seq's record is in the flat arrays. */
  #slots: (SeqRecord | undefined)[] = new Array(INITIAL);
  #seqs: number[] = new Array(INITIAL).fill(-1);
  #hex = new Uint8Array(INITIAL * HEX);
  #lines = new Float64Array(INITIAL);
  #files: (string | undefined)[] = new Array(INITIAL);
  #continued = new Uint8Array(INITIAL);
  #cap = INITIAL;
  #sets = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(seq: number): SeqRecord | undefined {
    const i = seq % this.#cap;
    if (this.#seqs[i] !== seq) return undefined;
    const held = this.#slots[i];
    if (held !== undefined) return held;
    // A flat record becomes an object, kept in its slot so that changes to it (continued, own) stay.
    const hash = ascii(this.#hex, i * HEX, (i + 1) * HEX);
    const line = this.#lines[i] as number;
    const file = this.#files[i];
    const pos: Position = {};
    if (file !== undefined) pos.file = file;
    if (!Number.isNaN(line)) pos.line = line;
    const rec: SeqRecord = { hash, computed: hash, pos, continued: this.#continued[i] === 1 };
    this.#slots[i] = rec;
    return rec;
  }

  set(seq: number, rec: SeqRecord): void {
    const i = this.#slot(seq);
    this.#slots[i] = rec;
  }

  /**
   * An entry the byte fast path accepted: its hash (and recomputed hash) is the 64 bytes of `buf`
   * from `hashAt`, read at `pos`; nothing links to it yet.
   */
  setLine(seq: number, buf: Uint8Array, hashAt: number, pos: Position): void {
    const i = this.#slot(seq);
    this.#slots[i] = undefined;
    const hex = this.#hex;
    const at = i * HEX;
    for (let k = 0; k < HEX; k++) hex[at + k] = buf[hashAt + k] as number; // no view allocated per line
    this.#lines[i] = pos.line ?? Number.NaN;
    this.#files[i] = pos.file;
    this.#continued[i] = 0;
  }

  /** Marks `seq`'s record, if the window holds it, as continued (an accepted entry links to it). */
  markContinued(seq: number): void {
    const i = seq % this.#cap;
    if (this.#seqs[i] !== seq) return;
    const held = this.#slots[i];
    if (held !== undefined) held.continued = true;
    else this.#continued[i] = 1;
  }

  /** The slot `seq` takes (growing the ring first while it is below its maximum). */
  #slot(seq: number): number {
    if (++this.#sets > this.#cap && this.#cap < this.#max) this.#grow();
    const i = seq % this.#cap;
    this.#seqs[i] = seq;
    return i;
  }

  #grow(): void {
    const old = {
      slots: this.#slots,
      seqs: this.#seqs,
      hex: this.#hex,
      lines: this.#lines,
      files: this.#files,
      continued: this.#continued,
    };
    const cap = Math.min(this.#max, this.#cap * 2);
    this.#cap = cap;
    this.#slots = new Array(cap);
    this.#seqs = new Array(cap).fill(-1);
    this.#hex = new Uint8Array(cap * HEX);
    this.#lines = new Float64Array(cap);
    this.#files = new Array(cap);
    this.#continued = new Uint8Array(cap);
    for (let i = 0; i < old.seqs.length; i++) {
      const q = old.seqs[i] as number;
      if (q < 0) continue;
      const j = q % cap;
      // Keep the newer seq if two old ones land on the same slot.
      if ((this.#seqs[j] as number) >= q) continue;
      this.#seqs[j] = q;
      this.#slots[j] = old.slots[i];
      this.#hex.set(old.hex.subarray(i * HEX, (i + 1) * HEX), j * HEX);
      this.#lines[j] = old.lines[i] as number;
      this.#files[j] = old.files[i];
      this.#continued[j] = old.continued[i] as number;
    }
  }
}
