/**
 * RFC 6962 / RFC 9162 Merkle trees (docs/spec/checkpoints.md): leaf = SHA-256(0x00 || data),
 * node = SHA-256(0x01 || left || right), the empty tree's root = SHA-256(""). A compact range keeps
 * a growing tree's state in O(log n) hashes (the roots of its perfect subtrees, largest first),
 * so a writer appends and computes roots without keeping leaves, and resumes from that state.
 * Inclusion and consistency proofs are generated from leaf hashes and verified with the RFC 9162
 * §2.1.3.2 / §2.1.4.2 algorithms. Isomorphic: SHA-256 by node:crypto where it exists, else
 * @noble/hashes (the same bytes; the vectors run through both). A leaf may be given as a string
 * (its UTF-8 bytes are hashed: an entry's canonical line).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AuditProofError } from './errors.js';
import { getNodeCrypto } from './platform.js';

export type Hash = Uint8Array;

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** node:crypto's one-shot hash (Node >= 20.12): a third cheaper than a Hash object per call. */
type OneShot = (algorithm: string, data: string | Uint8Array, encoding: 'buffer') => Uint8Array;

const NODE_INPUT = new Uint8Array(65);
NODE_INPUT[0] = 1;

/** Scratch for a string leaf: 0x00, then the line's UTF-8 written in place (no concatenated copy of the string). */
let leafScratch: Buffer | undefined;

function scratch(need: number): Buffer | undefined {
  const B = (globalThis as { Buffer?: typeof Buffer }).Buffer;
  if (B === undefined) return undefined;
  if (leafScratch === undefined || leafScratch.length < need) {
    leafScratch = B.allocUnsafe(Math.max(need, 4096));
    leafScratch[0] = 0;
  }
  return leafScratch;
}

function stringLeaf(oneShot: OneShot, data: string): Uint8Array {
  const buf = scratch(data.length * 3 + 1); // UTF-8 never takes more than 3 bytes per UTF-16 unit
  if (buf === undefined) return oneShot('sha256', `\u0000${data}`, 'buffer'); // U+0000 is the byte 0x00 in UTF-8
  const n = buf.write(data, 1, 'utf8');
  return oneShot('sha256', buf.subarray(0, n + 1), 'buffer');
}

/** leafHash of `bytes[start, end)` without copying it out first (the verifier's lines, read as bytes). */
export function leafHashOf(bytes: Uint8Array, start: number, end: number): Hash {
  const oneShot = (getNodeCrypto() as { hash?: OneShot } | undefined)?.hash;
  const buf = oneShot ? scratch(end - start + 1) : undefined;
  if (oneShot === undefined || buf === undefined) return leafHash(bytes.subarray(start, end));
  buf.set(bytes.subarray(start, end), 1);
  return oneShot('sha256', buf.subarray(0, end - start + 1), 'buffer');
}

export function leafHash(data: Uint8Array | string): Hash {
  const c = getNodeCrypto();
  const oneShot = (c as { hash?: OneShot } | undefined)?.hash;
  if (oneShot) {
    if (typeof data === 'string') return stringLeaf(oneShot, data);
    const buf = scratch(data.length + 1);
    if (buf !== undefined) {
      buf.set(data, 1);
      return oneShot('sha256', buf.subarray(0, data.length + 1), 'buffer');
    }
    const input = new Uint8Array(data.length + 1);
    input.set(data, 1);
    return oneShot('sha256', input, 'buffer');
  }
  if (c) return new Uint8Array(c.createHash('sha256').update(LEAF).update(data).digest());
  return sha256
    .create()
    .update(LEAF)
    .update(typeof data === 'string' ? utf8(data) : data)
    .digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  const c = getNodeCrypto();
  const oneShot = (c as { hash?: OneShot } | undefined)?.hash;
  if (oneShot && left.length === 32 && right.length === 32) {
    NODE_INPUT.set(left, 1);
    NODE_INPUT.set(right, 33);
    return oneShot('sha256', NODE_INPUT, 'buffer');
  }
  if (c) return new Uint8Array(c.createHash('sha256').update(NODE).update(left).update(right).digest());
  return sha256.create().update(NODE).update(left).update(right).digest();
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

function equal(a: Hash, b: Hash): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new AuditProofError('invalid_size', `${what} must be a non-negative integer`);
}

function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m > 1 && m % 2 === 0) m /= 2;
  return m === 1;
}

/** The largest power of two smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Roots of aligned perfect subtrees of 2^h leaves (h >= CACHED_FROM) of a leaf array, kept per array
 * and extended as it grows: every subtree the RFC's split reaches is aligned, so after one pass
 * over the leaves any root or proof costs O(log n) hashes, not O(n) (25 proofs over a million
 * leaves took 80 s without it). About n/2 hashes of 32 bytes for n leaves; the leaves already
 * given must not change.
 */
const CACHED_FROM = 6;
const perfectRoots = new WeakMap<readonly Hash[], { bytes: Uint8Array; count: number }[]>();

function perfectRoot(leaves: readonly Hash[], lo: number, h: number): Hash {
  if (h < CACHED_FROM) return directRoot(leaves, lo, lo + 2 ** h);
  let levels = perfectRoots.get(leaves);
  if (!levels) perfectRoots.set(leaves, (levels = []));
  const i = lo / 2 ** h;
  const level = extendLevel(leaves, levels, h, i + 1);
  return level.bytes.subarray(i * 32, i * 32 + 32);
}

function extendLevel(leaves: readonly Hash[], levels: { bytes: Uint8Array; count: number }[], h: number, need: number) {
  const at = h - CACHED_FROM;
  let level = levels[at];
  if (!level) levels[at] = level = { bytes: new Uint8Array(0), count: 0 };
  if (level.count >= need) return level;
  const want = Math.max(need, Math.floor(leaves.length / 2 ** h));
  if (level.bytes.length < want * 32) {
    const grown = new Uint8Array(want * 32);
    grown.set(level.bytes.subarray(0, level.count * 32));
    level.bytes = grown;
  }
  if (h > CACHED_FROM) extendLevel(leaves, levels, h - 1, want * 2);
  const below = levels[at - 1];
  for (let i = level.count; i < want; i++) {
    const root =
      below === undefined
        ? directRoot(leaves, i * 2 ** h, (i + 1) * 2 ** h)
        : nodeHash(below.bytes.subarray(2 * i * 32, 2 * i * 32 + 32), below.bytes.subarray(2 * i * 32 + 32, 2 * i * 32 + 64));
    level.bytes.set(root, i * 32);
  }
  level.count = want;
  return level;
}

/** MTH(D[lo:hi]) computed from the leaves alone. */
function directRoot(leaves: readonly Hash[], lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo] as Hash;
  const k = split(n);
  return nodeHash(directRoot(leaves, lo, lo + k), directRoot(leaves, lo + k, hi));
}

/** MTH(D[lo:hi]) over leaf hashes. */
function subtreeRoot(leaves: readonly Hash[], lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo] as Hash;
  if (isPowerOfTwo(n) && lo % n === 0) return perfectRoot(leaves, lo, Math.log2(n));
  const k = split(n);
  return nodeHash(subtreeRoot(leaves, lo, lo + k), subtreeRoot(leaves, lo + k, hi));
}

/** The root of the tree over the first `size` leaf hashes (all of them by default). */
export function rootOf(leaves: readonly Hash[], size = leaves.length): Hash {
  checkSize(size, 'size');
  if (size > leaves.length) throw new AuditProofError('invalid_size', `size ${size} > ${leaves.length} leaves`);
  return subtreeRoot(leaves, 0, size);
}

/**
 * A growing tree's state: the roots of its perfect subtrees, largest first (one per set bit of
 * the size). Append is amortized O(1) hashes; root() is O(log n).
 */
export class CompactRange {
  #size: number;
  readonly #hashes: Hash[];

  constructor(size = 0, hashes: readonly Hash[] = []) {
    checkSize(size, 'compact range size');
    let bits = 0;
    for (let n = size; n > 0; n = Math.floor(n / 2)) bits += n % 2;
    if (hashes.length !== bits || hashes.some((h) => !(h instanceof Uint8Array) || h.length !== 32))
      throw new AuditProofError('invalid_state', `a compact range of size ${size} holds ${bits} hashes of 32 bytes (got ${hashes.length})`);
    this.#size = size;
    this.#hashes = [...hashes];
  }

  get size(): number {
    return this.#size;
  }

  /** The state to store for a resume (size and perfect-subtree roots, largest first). */
  get hashes(): readonly Hash[] {
    return this.#hashes;
  }

  /** Appends a leaf by its hash (leafHash(data)). */
  append(leaf: Hash): void {
    let h = leaf;
    // Merge with the perfect subtrees of equal size: one per trailing 1 bit of the size.
    for (let n = this.#size; n % 2 === 1; n = Math.floor(n / 2)) h = nodeHash(this.#hashes.pop() as Hash, h);
    this.#hashes.push(h);
    this.#size++;
  }

  root(): Hash {
    if (this.#hashes.length === 0) return EMPTY_ROOT;
    let h = this.#hashes[this.#hashes.length - 1] as Hash;
    for (let i = this.#hashes.length - 2; i >= 0; i--) h = nodeHash(this.#hashes[i] as Hash, h);
    return h;
  }
}

/** PATH(index, D[lo:hi]) of RFC 6962 §2.1.1, sibling first. */
function path(leaves: readonly Hash[], index: number, lo: number, hi: number, out: Hash[]): void {
  const n = hi - lo;
  if (n <= 1) return;
  const k = split(n);
  if (index < k) {
    path(leaves, index, lo, lo + k, out);
    out.push(subtreeRoot(leaves, lo + k, hi));
  } else {
    path(leaves, index - k, lo + k, hi, out);
    out.push(subtreeRoot(leaves, lo, lo + k));
  }
}

/** The inclusion proof (audit path) of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(leaves: readonly Hash[], index: number, size = leaves.length): Hash[] {
  checkSize(size, 'size');
  checkSize(index, 'index');
  if (index >= size) throw new AuditProofError('index_out_of_range', `index ${index} >= size ${size}`);
  if (size > leaves.length) throw new AuditProofError('invalid_size', `size ${size} > ${leaves.length} leaves`);
  const out: Hash[] = [];
  path(leaves, index, 0, size, out);
  return out;
}

/** MTH(D[lo:hi]) from wherever the caller keeps the tree. */
export type SubtreeRoot = (lo: number, hi: number) => Hash;

/** SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2. */
function subproof(root: SubtreeRoot, m: number, lo: number, hi: number, whole: boolean, out: Hash[]): void {
  const n = hi - lo;
  if (m === n) {
    if (!whole) out.push(root(lo, hi));
    return;
  }
  const k = split(n);
  if (m <= k) {
    subproof(root, m, lo, lo + k, whole, out);
    out.push(root(lo + k, hi));
  } else {
    subproof(root, m - k, lo + k, hi, false, out);
    out.push(root(lo, lo + k));
  }
}

/** The consistency proof from size1 to size2, with subtree roots from `root` (sizes checked by the caller). */
export function consistencyProofWith(root: SubtreeRoot, size1: number, size2: number): Hash[] {
  if (size1 === 0 || size1 === size2) return [];
  const out: Hash[] = [];
  subproof(root, size1, 0, size2, true, out);
  return out;
}

/** MTH(D[lo:hi]) built by the RFC's split, with the leaves of [lo, hi) from `leaf` or whole perfect subtrees from `known`. */
export function splitRoot(lo: number, hi: number, base: (lo: number, hi: number) => Hash | undefined): Hash {
  const n = hi - lo;
  const b = base(lo, hi);
  if (b !== undefined) return b;
  if (n <= 1) throw new AuditProofError('invalid_state', `no hash for the subtree [${lo}, ${hi})`);
  const k = split(n);
  return nodeHash(splitRoot(lo, lo + k, base), splitRoot(lo + k, hi, base));
}

/** The consistency proof from the tree of size1 leaves to the tree of size2 leaves. */
export function consistencyProof(leaves: readonly Hash[], size1: number, size2 = leaves.length): Hash[] {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 > size2) throw new AuditProofError('size1_greater_than_size2', `size1 ${size1} > size2 ${size2}`);
  if (size2 > leaves.length) throw new AuditProofError('invalid_size', `size ${size2} > ${leaves.length} leaves`);
  return consistencyProofWith((lo, hi) => subtreeRoot(leaves, lo, hi), size1, size2);
}

/** RFC 9162 §2.1.3.2: throws AuditProofError (with its kind) unless the proof holds. */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): void {
  checkSize(size, 'size');
  checkSize(index, 'index');
  if (index >= size) throw new AuditProofError('index_out_of_range', `index ${index} >= size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new AuditProofError('wrong_proof_size', 'the proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else r = nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new AuditProofError('wrong_proof_size', 'the proof is shorter than the tree is deep');
  if (!equal(r, root)) throw new AuditProofError('root_mismatch', 'the proof does not lead to the root');
}

/** RFC 9162 §2.1.4.2: throws AuditProofError (with its kind) unless tree size2 extends tree size1. */
export function verifyConsistency(size1: number, size2: number, proof: readonly Hash[], root1: Hash, root2: Hash): void {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 > size2) throw new AuditProofError('size1_greater_than_size2', `size1 ${size1} > size2 ${size2}`);
  if (size1 === size2) {
    if (proof.length > 0) throw new AuditProofError('nonempty_proof_for_equal_sizes', 'equal sizes need an empty proof');
    if (!equal(root1, root2)) throw new AuditProofError('root_mismatch', 'equal sizes with different roots');
    return;
  }
  if (size1 === 0) {
    if (proof.length > 0) throw new AuditProofError('nonempty_proof_for_size1_zero', 'from the empty tree the proof is empty');
    return;
  }
  if (proof.length === 0) throw new AuditProofError('empty_proof', 'an empty proof between different sizes');
  const nodes = [...proof];
  // size1 a power of two: its root is the proof's implicit first node.
  if (isPowerOfTwo(size1)) nodes.unshift(root1);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = nodes[0] as Hash;
  let sr = nodes[0] as Hash;
  for (const c of nodes.slice(1)) {
    if (sn === 0) throw new AuditProofError('wrong_proof_size', 'the proof is longer than it should be');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else sr = nodeHash(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new AuditProofError('wrong_proof_size', 'the proof is shorter than it should be');
  if (!equal(fr, root1) || !equal(sr, root2)) throw new AuditProofError('root_mismatch', 'the proof does not lead to both roots');
}
