/**
 * A tree known in part (SparseTree: leaves of the runs read, compact ranges of those not read)
 * gives the same roots and proofs as the tree of every leaf, wherever it can give one, and a named
 * error where it cannot (a size that ends inside a range not read, a leaf not read).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditProofError } from '../src/errors.js';
import { consistencyProof, consistencyProofWith, inclusionProof, leafHash, rootOf } from '../src/merkle.js';
import { compactRangeNodes, compactRangeOf, SparseTree } from '../src/merkle-sparse.js';

const hex = (hs: Uint8Array[]) => hs.map((h) => Buffer.from(h).toString('hex'));

describe('SparseTree', () => {
  it('compact range nodes tile [lo, hi) with maximal aligned perfect subtrees', () => {
    expect(compactRangeNodes(0, 8)).toEqual([[3, 0]]);
    expect(compactRangeNodes(3, 13)).toEqual([
      [0, 3],
      [2, 1],
      [2, 2],
      [0, 12],
    ]);
    expect(compactRangeNodes(5, 5)).toEqual([]);
  });

  it('roots and proofs equal those of the whole tree, at every size that ends at a run boundary', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (lengths, firstRead) => {
        const n = lengths.reduce((a, b) => a + b, 0);
        const leaves = Array.from({ length: n }, (_, i) => leafHash(`entry ${i}`));
        const tree = new SparseTree();
        const read: number[] = [];
        const bounds: number[] = [];
        let at = 0;
        lengths.forEach((len, k) => {
          const isRead = k % 2 === (firstRead ? 0 : 1);
          if (!isRead) tree.range(at, at + len, compactRangeOf(at, leaves.slice(at, at + len)));
          for (let i = at; isRead && i < at + len; i++) {
            tree.leaf(i, leaves[i] as Uint8Array);
            read.push(i);
          }
          at += len;
          bounds.push(at);
        });
        for (const size of bounds) {
          expect(hex([tree.root(0, size)])).toEqual(hex([rootOf(leaves, size)]));
          for (const i of read.filter((x) => x < size))
            expect(hex(tree.inclusionProof(i, size))).toEqual(hex(inclusionProof(leaves, i, size)));
          for (const old of bounds.filter((b) => b <= size))
            expect(hex(consistencyProofWith(tree.root, old, size))).toEqual(hex(consistencyProof(leaves, old, size)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a size that ends inside a range not read, or a leaf not read, is a named error', () => {
    const leaves = Array.from({ length: 20 }, (_, i) => leafHash(`e${i}`));
    const tree = new SparseTree();
    for (let i = 0; i < 5; i++) tree.leaf(i, leaves[i] as Uint8Array);
    tree.range(5, 20, compactRangeOf(5, leaves.slice(5)));
    expect(() => tree.root(0, 12)).toThrow(AuditProofError);
    expect(() => tree.root(0, 12)).toThrow(/leaf \d+ was not read/);
    expect(hex([tree.root(0, 20)])).toEqual(hex([rootOf(leaves)]));
    expect(tree.leafAt(7)).toBeUndefined();
    expect(() => tree.range(0, 3, [])).toThrow(/has 2 roots, not 0/);
  });
});
