/**
 * A chain's Merkle tree known in part (docs/spec/segment-index.md, "Evidence over a window"):
 * the leaves of the segments read, and for each segment not read the roots of its compact range
 * (the maximal aligned perfect subtrees covering its seqs, as its index sidecar keeps them).
 * That is enough for any root or inclusion proof whose leaf was read, and for the root of a tree
 * whose size ends where a segment read ends or one not read begins or ends: every subtree the
 * RFC 6962 split reaches is then either inside a run of leaves, or a compact-range node, or made
 * of them. A subtree that needs a leaf not read is a named AuditProofError, never a wrong hash.
 */
import { AuditProofError } from './errors.js';
import { type Hash, nodeHash } from './merkle.js';

/** The aligned perfect subtrees covering [lo, hi), left to right: [height, index] pairs. */
export function compactRangeNodes(lo: number, hi: number): [number, number][] {
  const out: [number, number][] = [];
  let at = lo;
  while (at < hi) {
    let h = 0;
    while (at % 2 ** (h + 1) === 0 && at + 2 ** (h + 1) <= hi) h++;
    out.push([h, at / 2 ** h]);
    at += 2 ** h;
  }
  return out;
}

/** The roots of compactRangeNodes(lo, lo + leaves.length), from the leaves of [lo, hi). */
export function compactRangeOf(lo: number, leaves: readonly Hash[]): Hash[] {
  const root = (from: number, n: number): Hash =>
    n === 1 ? (leaves[from] as Hash) : nodeHash(root(from, n / 2), root(from + n / 2, n / 2));
  return compactRangeNodes(lo, lo + leaves.length).map(([h, i]) => root(i * 2 ** h - lo, 2 ** h));
}

/** Heights below this are computed from the leaves each time (at most 63 hashes); above, kept. */
const MEMO_FROM = 6;

export class SparseTree {
  /** Runs of leaves read, by first seq (ascending, not overlapping). */
  readonly #runs: { lo: number; leaves: Hash[] }[] = [];
  /** Known perfect subtree roots by height, then index: compact ranges given, and those computed. */
  readonly #nodes = new Map<number, Map<number, Hash>>();

  /** The next leaf, in seq order: a new run when it does not follow the last one. */
  leaf(seq: number, hash: Hash): void {
    const last = this.#runs[this.#runs.length - 1];
    if (last && last.lo + last.leaves.length === seq) last.leaves.push(hash);
    else if (!last || seq > last.lo + last.leaves.length) this.#runs.push({ lo: seq, leaves: [hash] });
    else throw new AuditProofError('invalid_state', `leaf ${seq} given after leaf ${last.lo + last.leaves.length - 1}`);
  }

  /** The compact range of seqs [lo, hi) not read: its roots, left to right (compactRangeOf). */
  range(lo: number, hi: number, roots: readonly Hash[]): void {
    const nodes = compactRangeNodes(lo, hi);
    if (nodes.length !== roots.length)
      throw new AuditProofError('invalid_state', `the compact range [${lo}, ${hi}) has ${nodes.length} roots, not ${roots.length}`);
    for (const [n, [h, i]] of nodes.entries()) this.#set(h, i, roots[n] as Hash);
  }

  /** The leaf at `seq`, if it was read. */
  leafAt(seq: number): Hash | undefined {
    let a = 0;
    let b = this.#runs.length - 1;
    while (a <= b) {
      const m = (a + b) >> 1;
      const r = this.#runs[m] as { lo: number; leaves: Hash[] };
      if (seq < r.lo) b = m - 1;
      else if (seq >= r.lo + r.leaves.length) a = m + 1;
      else return r.leaves[seq - r.lo];
    }
    return undefined;
  }

  #set(h: number, i: number, hash: Hash): void {
    let level = this.#nodes.get(h);
    if (!level) this.#nodes.set(h, (level = new Map()));
    level.set(i, hash);
  }

  /** The root of the aligned perfect subtree of height h at index i. */
  #node(h: number, i: number): Hash {
    const known = this.#nodes.get(h)?.get(i);
    if (known) return known;
    if (h === 0) {
      const leaf = this.leafAt(i);
      if (leaf === undefined) throw new AuditProofError('invalid_state', `leaf ${i} was not read, and no compact range covers it`);
      return leaf;
    }
    const hash = nodeHash(this.#node(h - 1, 2 * i), this.#node(h - 1, 2 * i + 1));
    if (h >= MEMO_FROM) this.#set(h, i, hash);
    return hash;
  }

  /** MTH(D[lo:hi]) by the RFC's split. */
  root = (lo: number, hi: number): Hash => {
    const n = hi - lo;
    if (n <= 0) throw new AuditProofError('invalid_size', `empty subtree [${lo}, ${hi})`);
    if (Number.isInteger(Math.log2(n)) && lo % n === 0) return this.#node(Math.log2(n), lo / n);
    let k = 1;
    while (k * 2 < n) k *= 2;
    return nodeHash(this.root(lo, lo + k), this.root(lo + k, hi));
  };

  /** PATH(index, D[0:size]) of RFC 6962 §2.1.1, sibling first. */
  inclusionProof(index: number, size: number): Hash[] {
    if (index >= size) throw new AuditProofError('index_out_of_range', `index ${index} >= size ${size}`);
    const out: Hash[] = [];
    let lo = 0;
    let hi = size;
    const siblings: Hash[] = [];
    while (hi - lo > 1) {
      let k = 1;
      while (k * 2 < hi - lo) k *= 2;
      if (index - lo < k) {
        siblings.push(this.root(lo + k, hi));
        hi = lo + k;
      } else {
        siblings.push(this.root(lo, lo + k));
        lo += k;
      }
    }
    for (let s = siblings.length - 1; s >= 0; s--) out.push(siblings[s] as Hash);
    return out;
  }
}
