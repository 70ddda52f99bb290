import type { BreakRef } from './breaks.js';
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

/**
 * The last `max` seqs of a chain, in a ring indexed by seq (O(1), no hashing, no deletions). It
 * starts small and doubles up to `max`, so many short chains stay cheap. Entries further back
 * than the window are forgotten: a seq that reappears after that is reported as reordered.
 */
export class SeqWindow {
  #slots: (SeqRecord | undefined)[] = new Array(INITIAL);
  #seqs: number[] = new Array(INITIAL).fill(-1);
  #cap = INITIAL;
  #sets = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(seq: number): SeqRecord | undefined {
    const i = seq % this.#cap;
    return this.#seqs[i] === seq ? this.#slots[i] : undefined;
  }

  set(seq: number, rec: SeqRecord): void {
    if (++this.#sets > this.#cap && this.#cap < this.#max) this.#grow();
    const i = seq % this.#cap;
    this.#seqs[i] = seq;
    this.#slots[i] = rec;
  }

  #grow(): void {
    const oldSlots = this.#slots;
    const oldSeqs = this.#seqs;
    this.#cap = Math.min(this.#max, this.#cap * 2);
    this.#slots = new Array(this.#cap);
    this.#seqs = new Array(this.#cap).fill(-1);
    for (let i = 0; i < oldSeqs.length; i++) {
      const q = oldSeqs[i] as number;
      if (q < 0) continue;
      const j = q % this.#cap;
      // Keep the newer seq if two old ones land on the same slot.
      if ((this.#seqs[j] as number) < q) {
        this.#seqs[j] = q;
        this.#slots[j] = oldSlots[i];
      }
    }
  }
}
