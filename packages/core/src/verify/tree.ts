/**
 * Checkpoints against the entries (docs/spec/checkpoints.md §Verification): per chain, the
 * verifier rebuilds the RFC 6962 tree from the lines as they pass (the fast path included) and
 * checks each signed checkpoint against it: the `checkpoint` records in the log when they arrive,
 * and those held by a checkpoint destination (external) when the tree reaches their size. A
 * checkpoint record also commits the tree state at its size, which lets the verifier take the
 * tree up where retention removed the entries before it, and check a checkpoint signed while
 * later entries were already sealed (a KMS answering late) by replaying the leaves since.
 */
import { AuditProofError } from '../errors.js';
import { CompactRange, type Hash, leafHashOf } from '../merkle.js';
import type { NoteVerifier } from '../note.js';
import { rangeOf } from '../tree-state.js';
import type { Position } from './types.js';

/** Leaves kept for replays (a checkpoint sealed after later entries; taking the tree up after retention). */
const RECENT = 65_536;

/** A checkpoint opened under a trusted key. */
export interface TrustedCheckpoint {
  origin: string;
  chain: string;
  size: number;
  root: Hash;
  keyName: string;
  keyId: string;
  /** `the log (seq N)` or the external source. */
  source: string;
  /** The record's ts, for checkpoints in the log. */
  ts?: string;
}

export interface ChainCheckpoints {
  /** Checkpoints that matched the tree of the entries. */
  verified: number;
  /** Checkpoints that could not be checked: entries they cover are missing (declared gaps, retention). */
  unchecked: number;
  /** The newest verified checkpoint. */
  newest?: Omit<TrustedCheckpoint, 'root' | 'chain'> & { root: string };
  /** Entries after the newest verified checkpoint (checkpoint records not counted). */
  unsealed: number;
  /** Key rotations the log announced (statements signed by a trusted key): the new key is trusted from there on. */
  rotations: { seq: number; keyName: string; keyId: string }[];
  /**
   * With witness keys: the newest checkpoint that matched the tree and carries at least the
   * threshold of valid cosignatures (only it proves completeness then), with each cosigner's time.
   */
  witnessed?: { size: number; cosigners: Cosigner[] };
  /**
   * Trusted time: checkpoints a witness cosigned at T that cover an entry whose ts is later than T
   * (the host clock ran ahead, or entries were backdated into the past).
   */
  clockAhead?: { size: number; cosignedAt: string; latestTs: string }[];
}

/** A witness's valid cosignature of a checkpoint: who, and when (POSIX seconds). */
export interface Cosigner {
  name: string;
  keyId: string;
  timestamp: number;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const b64 = (h: Uint8Array) => btoa(String.fromCharCode(...h));

/** The chain an origin names: the part after its last `/` (docs/spec/checkpoints.md §Origin). */
export function chainOfOrigin(origin: string): string {
  return origin.slice(origin.lastIndexOf('/') + 1);
}

/**
 * Opens a checkpoint note under the trusted keys (openCheckpoint, for an origin read from the
 * note): undefined with the reason when it does not open.
 */
export function openTrusted(
  note: unknown,
  trusted: readonly NoteVerifier[],
  source: string,
  open: (
    note: string,
    origin: string,
    v: readonly NoteVerifier[],
  ) => { size: number; root: Hash; note: { verified: { name: string; keyId: string; timestamp?: number }[] } },
): TrustedCheckpoint | { error: string } {
  if (typeof note !== 'string') return { error: 'no signed note' };
  const origin = note.slice(0, note.indexOf('\n'));
  try {
    const c = open(note, origin, trusted);
    const sig = c.note.verified.find((x) => x.timestamp === undefined) as { name: string; keyId: string };
    return { origin, chain: chainOfOrigin(origin), size: c.size, root: c.root, keyName: sig.name, keyId: sig.keyId, source };
  } catch (err) {
    return { error: err instanceof AuditProofError ? `${err.kind}: ${err.message}` : String(err) };
  }
}

/** A break the tree found; the verifier adds it to its ledger at the end (whichever thread built the tree). */
export interface TreeBreak {
  kind: 'checkpoint-root' | 'destination-mismatch' | 'forked';
  seq: number;
  message: string;
  pos?: Position;
}

/** What a chain's tree concluded (structured-cloneable: a worker thread may have built it). */
export interface TreeResult {
  breaks: TreeBreak[];
  verified: number;
  unchecked: number;
  newest?: TrustedCheckpoint;
  /** Every checkpoint that matched the tree, by size (one per size). */
  matched: TrustedCheckpoint[];
  /** External checkpoints beyond the end of the tree. */
  beyond: TrustedCheckpoint[];
}

export class TreeTrack {
  /** The tree through the leaves seen in order; undefined until seq 0 or a committed state is met. */
  #range: CompactRange | undefined;
  /** Recent leaves, contiguous: #recent[i] is the leaf of seq #recentStart + i. */
  #recent: Hash[] = [];
  #recentStart = 0;
  /** External checkpoints of this chain, by size ascending; #ext[#next] is the next to meet. */
  readonly #ext: TrustedCheckpoint[];
  #next = 0;
  /** Roots of every trusted checkpoint seen, by size (fork detection). */
  readonly #roots = new Map<number, { root: Hash; source: string }>();
  readonly #breaks: TreeBreak[] = [];
  verified = 0;
  unchecked = 0;
  newest: TrustedCheckpoint | undefined;
  readonly #matched = new Map<number, TrustedCheckpoint>();

  constructor(external: TrustedCheckpoint[]) {
    this.#ext = [...external].sort((a, b) => a.size - b.size);
    for (const c of this.#ext) this.#seen(c, -1);
  }

  #report(kind: TreeBreak['kind'], seq: number, message: string, pos?: Position): void {
    this.#breaks.push({ kind, seq, message, ...(pos ? { pos } : {}) });
  }

  /** The leaf of `seq`, in order. A jump (a hole) loses the tree until a checkpoint record restores it. */
  leaf(seq: number, data: Uint8Array, start: number, end: number): void {
    if (this.#recent.length > 0 && this.#recentStart + this.#recent.length !== seq) {
      this.#range = undefined;
      this.#recent = [];
    }
    if (this.#recent.length === 0) this.#recentStart = seq;
    const h = leafHashOf(data, start, end);
    this.#recent.push(h);
    if (this.#recent.length > 2 * RECENT) {
      this.#recent = this.#recent.slice(RECENT);
      this.#recentStart += RECENT;
    }
    if (this.#range === undefined && seq === 0) this.#range = new CompactRange();
    if (this.#range === undefined) return;
    this.#range.append(h);
    this.#meetExternal();
  }

  /** External checkpoints whose size the tree has reached. */
  #meetExternal(): void {
    const r = this.#range as CompactRange;
    while (this.#next < this.#ext.length && (this.#ext[this.#next] as TrustedCheckpoint).size <= r.size) {
      const c = this.#ext[this.#next++] as TrustedCheckpoint;
      if (c.size < r.size || c.size === 0) {
        this.unchecked++;
        continue;
      }
      if (eq(r.root(), c.root)) this.#verified(c);
      else
        this.#report(
          'destination-mismatch',
          c.size - 1,
          `${c.source} holds checkpoint ${c.size} signed by ${c.keyName}, whose root differs from the tree of the log's first ${c.size} entries: the log was rewritten, or the destination's copy was`,
        );
    }
  }

  #verified(c: TrustedCheckpoint): void {
    this.verified++;
    if (!this.#matched.has(c.size) || c.ts !== undefined) this.#matched.set(c.size, c);
    if (this.newest === undefined || c.size > this.newest.size || (c.size === this.newest.size && c.ts !== undefined)) this.newest = c;
  }

  /** A trusted checkpoint of this chain: two roots for one size are a fork. */
  #seen(c: TrustedCheckpoint, seq: number, pos?: Position): boolean {
    const had = this.#roots.get(c.size);
    if (had === undefined) {
      this.#roots.set(c.size, { root: c.root, source: c.source });
      return true;
    }
    if (eq(had.root, c.root)) return true;
    this.#report(
      'forked',
      seq >= 0 ? seq : c.size - 1,
      `two checkpoints of size ${c.size} signed by trusted keys have different roots (${had.source}; ${c.source}): the log key signed two histories`,
      pos,
    );
    return false;
  }

  /** A `checkpoint` record of the log at `seq`, opened under the trusted keys; `tree` is its committed state (`details.tree`). */
  record(seq: number, c: TrustedCheckpoint, tree: unknown, pos: Position): void {
    if (!this.#seen(c, seq, pos)) return;
    if (c.size > seq) {
      this.#report(
        'checkpoint-root',
        seq,
        `checkpoint ${c.size} claims entries up to seq ${c.size - 1}, but it is sealed at seq ${seq}`,
        pos,
      );
      return;
    }
    const state = rangeOf({ size: c.size, hashes: tree });
    if (state !== undefined && !eq(state.root(), c.root)) {
      this.#report('checkpoint-root', seq, `the tree state in checkpoint record ${c.size} does not match its signed root`, pos);
      return;
    }
    const root = this.#rootAt(c.size, state);
    if (root === undefined) {
      this.unchecked++;
      return;
    }
    if (!eq(root, c.root)) {
      this.#report(
        'checkpoint-root',
        seq,
        `checkpoint ${c.size} (signed by ${c.keyName}) does not match the tree of the first ${c.size} entries`,
        pos,
      );
      return;
    }
    this.#verified(c);
  }

  /**
   * The tree at `size`: the current tree when it stands there; else the committed state replayed
   * with the leaves since, which must reproduce the current tree (or becomes it, where the tree was
   * unknown: after retention). Undefined when the leaves to replay are not at hand.
   */
  #rootAt(size: number, committed: CompactRange | undefined): Hash | undefined {
    const r = this.#range;
    if (r !== undefined && r.size === size) return r.root();
    if (committed === undefined) return undefined;
    const end = this.#recentStart + this.#recent.length;
    if (r !== undefined && r.size !== end) return undefined;
    if (size < this.#recentStart || size > end) return undefined;
    const replay = new CompactRange(committed.size, committed.hashes);
    for (let i = size - this.#recentStart; i < this.#recent.length; i++) replay.append(this.#recent[i] as Hash);
    if (r === undefined) {
      this.#range = replay;
      this.#meetExternal();
      return committed.root();
    }
    // Equal compact ranges at the current size mean the committed state was the tree at `size`
    // (collision resistance); otherwise it was not, and the signed root is not this log's.
    const same = replay.hashes.length === r.hashes.length && replay.hashes.every((h, i) => eq(h, r.hashes[i] as Hash));
    return same ? committed.root() : new Uint8Array(32);
  }

  /** What the tree concluded. External checkpoints beyond its end mean the log's tail was cut behind a commitment held elsewhere. */
  result(): TreeResult {
    const beyond = this.#ext.slice(this.#next).filter((c) => this.#range === undefined || c.size > this.#range.size);
    return {
      breaks: this.#breaks,
      verified: this.verified,
      unchecked: this.unchecked,
      beyond,
      matched: [...this.#matched.values()].sort((a, b) => a.size - b.size),
      ...(this.newest ? { newest: this.newest } : {}),
    };
  }
}

/** A chain's checkpoints part of the report, from its tree's result and what the main thread saw. */
export function checkpointSummary(
  r: TreeResult,
  s: { maxSeq: number; count: number },
  recordSeqs: readonly number[],
  rotations: ChainCheckpoints['rotations'],
): ChainCheckpoints {
  const n = r.newest;
  return {
    verified: r.verified,
    unchecked: r.unchecked,
    ...(n
      ? {
          newest: {
            origin: n.origin,
            size: n.size,
            root: b64(n.root),
            keyName: n.keyName,
            keyId: n.keyId,
            source: n.source,
            ...(n.ts ? { ts: n.ts } : {}),
          },
        }
      : {}),
    rotations,
    unsealed: n ? Math.max(0, s.maxSeq - (n.size - 1) - recordSeqs.filter((q) => q > n.size - 1 && q <= s.maxSeq).length) : s.count,
  };
}
