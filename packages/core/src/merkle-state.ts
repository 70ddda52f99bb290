/**
 * Consistency proofs from a writer's state rather than every leaf: the compact range at the old
 * size (the roots of its perfect subtrees) and the leaf hashes since. That is what a log keeps to
 * prove to a witness that a new checkpoint extends the last one the witness cosigned (C2SP
 * tlog-witness), without holding the whole tree. RFC 6962's proof from m to n only ever asks for
 * subtrees that are unions of the old compact range's subtrees or lie at or after m.
 */
import { AuditProofError } from './errors.js';
import { type CompactRange, consistencyProofWith, type Hash, splitRoot } from './merkle.js';

/**
 * The consistency proof from `old.size` to `size2`, where `after` holds the leaf hashes of
 * `old.size .. size2-1` (at least). Throws AuditProofError('invalid_state') if it cannot.
 */
export function consistencyProofFrom(old: CompactRange, after: readonly Hash[], size2: number): Hash[] {
  const m = old.size;
  if (!Number.isSafeInteger(size2) || size2 < m || size2 - m > after.length)
    throw new AuditProofError('invalid_size', `a proof from ${m} to ${size2} needs the ${size2 - m} leaves after ${m}`);
  // The old range's perfect subtrees: [start, start + 2^k) for each set bit of m, largest first.
  const spans = new Map<string, Hash>();
  let start = 0;
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(m, 1))), i = 0; bit >= 1; bit /= 2) {
    if (Math.floor(m / bit) % 2 === 0) continue;
    spans.set(`${start}:${start + bit}`, old.hashes[i++] as Hash);
    start += bit;
  }
  const base = (lo: number, hi: number): Hash | undefined => {
    const known = spans.get(`${lo}:${hi}`);
    if (known !== undefined) return known;
    if (lo >= m && hi - lo === 1) return after[lo - m];
    return undefined;
  };
  return consistencyProofWith((lo, hi) => splitRoot(lo, hi, base), m, size2);
}
