import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SeqRecord, SeqWindow } from '../src/verify/seq-window.js';

const hex = (n: number): string => n.toString(16).padStart(64, '0');
/** A line holding `h` at byte 10, as the byte fast path hands it over. */
const lineWith = (h: string): Buffer => Buffer.from(`{"hash":"${h}","x":1}`.replace('{"hash":"', '0123456789'));

describe('SeqWindow', () => {
  it('gives back an entry the fast path placed as a record: its hash, position, and whether it was continued', () => {
    const w = new SeqWindow(100);
    w.setLine(7, lineWith(hex(7)), 10, { file: 'a.log', line: 3 });
    w.markContinued(7);
    w.markContinued(8); // not held: nothing to mark
    expect(w.get(7)).toEqual({ hash: hex(7), computed: hex(7), pos: { file: 'a.log', line: 3 }, continued: true });
    expect(w.get(8)).toBeUndefined();
    w.setLine(9, lineWith(hex(9)), 10, {});
    expect(w.get(9)).toEqual({ hash: hex(9), computed: hex(9), pos: {}, continued: false });
  });

  it('keeps changes made to a record it gave back (a break of its own, continued)', () => {
    const w = new SeqWindow(100);
    w.setLine(1, lineWith(hex(1)), 10, { line: 1 });
    const rec = w.get(1) as SeqRecord;
    rec.own = { live: true, brk: { kind: 'modified', message: 'm' } } as unknown as SeqRecord['own'];
    w.markContinued(1);
    expect(w.get(1)).toBe(rec);
    expect(rec.continued).toBe(true);
    // A later entry at the same slot replaces it.
    w.setLine(17, lineWith(hex(17)), 10, { line: 17 }); // 17 % 16: the same slot of the ring at its first size
    expect(w.get(1)).toBeUndefined();
    expect(w.get(17)?.own).toBeUndefined();
  });

  it('holds the same records as a map of the last `max` seqs, through growth, objects and fast-path entries mixed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.record({ seq: fc.nat(600), flat: fc.boolean(), cont: fc.boolean() }), { maxLength: 400, size: 'max' }),
        (max, ops) => {
          const w = new SeqWindow(max);
          const model = new Map<number, SeqRecord>();
          let sets = 0;
          let cap = 16;
          for (const op of ops) {
            sets++;
            if (sets > cap && cap < max) {
              cap = Math.min(max, cap * 2);
              // Growing re-places what it held; of two seqs that now share a slot, the higher stays.
              for (const q of [...model.keys()]) for (const r of model.keys()) if (r > q && r % cap === q % cap) model.delete(q);
            }
            // What the ring forgets: another seq in the same slot of the current capacity.
            for (const q of [...model.keys()]) if (q !== op.seq && q % cap === op.seq % cap) model.delete(q);
            const pos = { file: 'f', line: op.seq + 1 };
            if (op.flat) w.setLine(op.seq, lineWith(hex(op.seq)), 10, pos);
            else w.set(op.seq, { hash: `h${op.seq}`, computed: `c${op.seq}`, pos, continued: false });
            model.set(
              op.seq,
              op.flat
                ? { hash: hex(op.seq), computed: hex(op.seq), pos, continued: false }
                : { hash: `h${op.seq}`, computed: `c${op.seq}`, pos, continued: false },
            );
            if (op.cont) {
              w.markContinued(op.seq - 1);
              const prev = model.get(op.seq - 1);
              if (prev) prev.continued = true;
            }
          }
          for (const seq of new Set(ops.map((o) => o.seq))) expect(w.get(seq)).toEqual(model.get(seq));
        },
      ),
    );
  });
});
