/**
 * The ledger of breaks a verification finds. A break can change its mind as more input arrives:
 * a hole first reported `deleted` is withdrawn when the missing seqs turn up later (they were
 * reordered) or a `gap` / `retention` record explains them; an `inserted` entry becomes `forked`
 * once a second line of entries continues from it. Holders keep a BreakRef and relabel or
 * withdraw through it; the report lists the live breaks in the order they were first found.
 */
import type { BreakKind, VerifyBreak } from './types.js';

/** A handle on one break in the ledger. */
export interface BreakRef {
  readonly brk: VerifyBreak;
  live: boolean;
}

export class BreakLedger {
  readonly #refs: BreakRef[] = [];

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
    const ref: BreakRef = { brk: b, live: true };
    this.#refs.push(ref);
    return ref;
  }

  /** Gives a break another kind and message (e.g. inserted -> forked, unparseable -> truncated). */
  relabel(ref: BreakRef, kind: BreakKind, message: string): void {
    ref.brk.kind = kind;
    ref.brk.message = message;
  }

  /** Takes a break back: later input explained it. */
  withdraw(ref: BreakRef): void {
    ref.live = false;
  }

  /** Takes back every live break that `test` selects (e.g. all of a chain that turned out not to exist). */
  withdrawWhere(test: (b: VerifyBreak) => boolean): void {
    for (const r of this.#refs) if (r.live && test(r.brk)) r.live = false;
  }

  /** The live breaks, in the order they were found. */
  list(): VerifyBreak[] {
    const out: VerifyBreak[] = [];
    for (const r of this.#refs) if (r.live) out.push(r.brk);
    return out;
  }
}
