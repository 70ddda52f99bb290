/**
 * The ledger of breaks a verification finds. A break can change its mind as more input arrives:
 * a hole first reported `deleted` is withdrawn when the missing seqs turn up later (they were
 * reordered) or a `gap` / `retention` record explains them; an `inserted` entry becomes `forked`
 * once a second line of entries continues from it. Holders keep a BreakRef and relabel or
 * withdraw through it; the report lists the live breaks in the order they were first found.
 *
 * Memory is bounded: past `max` stored breaks (hostile input can hold millions: a file of garbage
 * lines), further breaks are counted by kind and chain, not kept; the verdict is the same.
 */
import type { BreakKind, VerifyBreak } from './types.js';

/** A handle on one break in the ledger. */
export interface BreakRef {
  readonly brk: VerifyBreak;
  live: boolean;
  /** False for a break only counted (the ledger was full). */
  readonly stored: boolean;
}

export const MAX_STORED_BREAKS = 10_000;

export class BreakLedger {
  readonly #refs: BreakRef[] = [];
  readonly #max: number;
  /** Live breaks counted but not stored, by kind and by chain. */
  readonly #omittedByKind = new Map<BreakKind, number>();
  readonly #omittedByChain = new Map<string, number>();

  constructor(max = MAX_STORED_BREAKS) {
    this.#max = max;
  }

  /**
   * Records a break. A run of consecutive reordered or duplicated seqs (a whole segment out of
   * place, a file concatenated twice) extends the previous break into one range instead of adding
   * thousands: the returned ref is then that previous break's.
   */
  add(b: VerifyBreak): BreakRef {
    if ((b.kind === 'reordered' || b.kind === 'duplicated') && b.seq !== undefined) {
      const last = this.#refs[this.#refs.length - 1];
      const l = last?.brk;
      if (last?.live && l && l.kind === b.kind && l.chain === b.chain && l.file === b.file && (l.toSeq ?? l.seq) === b.seq - 1) {
        l.toSeq = b.seq;
        l.message = `seqs ${l.seq}..${b.seq} ${b.kind === 'reordered' ? 'appear after later entries' : 'appear again'}`;
        return last;
      }
    }
    if (this.#refs.length >= this.#max) {
      const ref: BreakRef = { brk: b, live: true, stored: false };
      this.#count(b, 1);
      return ref;
    }
    const ref: BreakRef = { brk: b, live: true, stored: true };
    this.#refs.push(ref);
    return ref;
  }

  #count(b: VerifyBreak, delta: number): void {
    this.#omittedByKind.set(b.kind, (this.#omittedByKind.get(b.kind) ?? 0) + delta);
    if (b.chain !== undefined) this.#omittedByChain.set(b.chain, (this.#omittedByChain.get(b.chain) ?? 0) + delta);
  }

  /** Gives a break another kind and message (e.g. inserted -> forked, unparseable -> truncated). */
  relabel(ref: BreakRef, kind: BreakKind, message: string): void {
    if (!ref.stored && ref.live) this.#count(ref.brk, -1);
    ref.brk.kind = kind;
    ref.brk.message = message;
    if (!ref.stored && ref.live) this.#count(ref.brk, 1);
  }

  /** Takes a break back: later input explained it. */
  withdraw(ref: BreakRef): void {
    if (!ref.stored && ref.live) this.#count(ref.brk, -1);
    ref.live = false;
  }

  /** Takes back every live stored break that `test` selects (e.g. all of a chain that turned out not to exist). */
  withdrawWhere(test: (b: VerifyBreak) => boolean): void {
    for (const r of this.#refs) if (r.live && test(r.brk)) r.live = false;
  }

  /** The live stored breaks, in the order they were found. */
  list(): VerifyBreak[] {
    const out: VerifyBreak[] = [];
    for (const r of this.#refs) if (r.live) out.push(r.brk);
    return out;
  }

  /** Live breaks counted but not stored, by kind (empty when the ledger never filled). */
  omitted(): Partial<Record<BreakKind, number>> {
    const out: Partial<Record<BreakKind, number>> = {};
    for (const [k, n] of this.#omittedByKind) if (n > 0) out[k] = n;
    return out;
  }

  /** Live breaks of `chain` counted but not stored. */
  omittedOf(chain: string): number {
    return this.#omittedByChain.get(chain) ?? 0;
  }
}
