/**
 * A chain's Merkle tree state (docs/spec/checkpoints.md §Tree state): the compact range of the
 * first `size` entries, as a `checkpoint` record commits it (hex, largest subtree first) so that a
 * restart continues the tree without re-reading the log, and a verifier can take the tree up after
 * retention removed the entries before it. Isomorphic (no Node built-ins).
 */
import { CompactRange, type Hash, leafHash } from './merkle.js';
import type { AuditEntry, ChainHead } from './types.js';

export interface TreeState {
  /** Entries covered: seqs 0 .. size-1 of the chain. */
  size: number;
  /** The roots of the perfect subtrees, largest first, in lowercase hex. */
  hashes: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;

const toHex = (b: Uint8Array) => {
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  return s;
};

function fromHex(s: string): Hash {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function treeStateOf(r: CompactRange): TreeState {
  return { size: r.size, hashes: r.hashes.map(toHex) };
}

/** The compact range a state describes, or undefined when it is not a well-formed state. */
export function rangeOf(t: unknown): CompactRange | undefined {
  const s = t as Partial<TreeState> | null;
  if (s === null || typeof s !== 'object' || !Number.isSafeInteger(s.size) || (s.size as number) < 0 || !Array.isArray(s.hashes))
    return undefined;
  if (!s.hashes.every((h) => typeof h === 'string' && HEX64.test(h))) return undefined;
  try {
    return new CompactRange(s.size, s.hashes.map(fromHex));
  } catch {
    return undefined;
  }
}

/** The tree state a `checkpoint` record commits (`details.size` and `details.tree`), or undefined. */
export function committedTree(e: Pick<AuditEntry, 'kind' | 'details'>): CompactRange | undefined {
  if (e.kind !== 'checkpoint') return undefined;
  const d = e.details as { size?: unknown; tree?: unknown } | undefined;
  return rangeOf({ size: d?.size, hashes: d?.tree });
}

/**
 * The tree of `head.chain` through `head.seq`, from the log's lines read newest first (what a
 * transport holds): back to the newest `checkpoint` record's committed state and the entries after
 * its size, or to seq 0. Undefined when the lines do not reach one (a hole, another chain's lines
 * only, more than `maxLines` read): the logger then starts a new chain linked to this one.
 */
export function resumeTree(linesNewestFirst: Iterable<string>, head: ChainHead, maxLines = 1_000_000): TreeState | undefined {
  const kept: string[] = [];
  let expected = head.seq;
  let base: CompactRange | undefined;
  let read = 0;
  for (const line of linesNewestFirst) {
    if (++read > maxLines) return undefined;
    let e: AuditEntry;
    try {
      e = JSON.parse(line) as AuditEntry;
    } catch {
      continue;
    }
    if (e === null || typeof e !== 'object' || e.chain !== head.chain) continue;
    if (e.seq !== expected) return undefined;
    kept.push(line);
    expected--;
    base ??= committedTree(e);
    if (base !== undefined && expected < base.size) break;
    if (expected < 0) break;
  }
  if (base === undefined) {
    if (expected >= 0) return undefined;
    base = new CompactRange();
  }
  if (expected >= base.size || base.size > head.seq + 1) return undefined;
  // kept holds seqs head.seq down to expected+1; the tree needs base.size .. head.seq.
  for (let i = head.seq - base.size; i >= 0; i--) base.append(leafHash(kept[i] as string));
  return treeStateOf(base);
}
