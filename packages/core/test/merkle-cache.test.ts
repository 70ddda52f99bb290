/**
 * The perfect-subtree cache of merkle.ts: roots and proofs drawn from large leaf arrays (cached
 * subtrees of 64+ leaves) equal those of RFC 6962's definition computed from scratch, also while
 * the array keeps growing between proofs.
 */
import { createHash } from 'node:crypto';
import { consistencyProof, type Hash, inclusionProof, rootOf, verifyConsistency, verifyInclusion } from '@auditready/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const leaf = (i: number): Hash => sha(new Uint8Array([0]), new TextEncoder().encode(`entry ${i}`));
/** MTH(D[lo:hi]) straight from RFC 6962 §2.1. */
function mth(leaves: Hash[], lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 1) return leaves[lo] as Hash;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return sha(new Uint8Array([1]), mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}
/** PATH(m, D[0:n]) straight from RFC 6962 §2.1.1. */
function refPath(leaves: Hash[], m: number, lo: number, hi: number): Hash[] {
  const n = hi - lo;
  if (n === 1) return [];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m < k
    ? [...refPath(leaves, m, lo, lo + k), mth(leaves, lo + k, hi)]
    : [...refPath(leaves, m - k, lo + k, hi), mth(leaves, lo, lo + k)];
}
const hex = (hs: Hash[]) => hs.map((h) => Buffer.from(h).toString('hex'));

describe('Merkle roots and proofs over large leaf arrays (cached perfect subtrees)', () => {
  it('equal the RFC definition for random sizes, indexes and growth between proofs', () => {
    const all = Array.from({ length: 3000 }, (_, i) => leaf(i));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 4 }), fc.nat(), (sizes, pick) => {
        const leaves: Hash[] = [];
        // One array that grows: a cache built at one size must serve the larger ones correctly.
        for (const size of [...sizes].sort((a, b) => a - b)) {
          while (leaves.length < size) leaves.push(all[leaves.length] as Hash);
          const root = rootOf(leaves, size);
          expect(Buffer.from(root).toString('hex')).toBe(Buffer.from(mth(leaves, 0, size)).toString('hex'));
          const index = pick % size;
          const proof = inclusionProof(leaves, index, size);
          expect(hex(proof)).toEqual(hex(refPath(leaves, index, 0, size)));
          verifyInclusion(leaves[index] as Hash, index, size, proof, root);
          const old = 1 + (pick % size);
          verifyConsistency(old, size, consistencyProof(leaves, old, size), mth(leaves, 0, old), root);
        }
      }),
      { numRuns: 60 },
    );
  });
});
