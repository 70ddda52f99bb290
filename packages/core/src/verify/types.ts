/**
 * The verifier's public shapes: what it takes (options, items) and what it reports
 * (docs/spec/hash-chain.md §Verification).
 */
import type { AuditKey } from '../hash.js';
import type { NoteVerifier } from '../note.js';
import type { AuditEntry, ChainHead } from '../types.js';
import type { EntryOpening, SealedReport } from './sealed.js';
import type { ChainCheckpoints } from './tree.js';

/**
 * Break kinds:
 *   modified     the entry's content does not match its hash, or the next entry links to a
 *                different hash (the entry was rewritten and re-hashed), or the line is not in
 *                canonical form
 *   deleted      seqs missing from the chain (and not declared by a `gap` record)
 *   inserted     an extra entry claiming a seq that the chain's continuation does not use
 *   reordered    an entry that appears after entries with higher seqs
 *   duplicated   the same entry (same seq, same hash) appears again
 *   truncated    the tail is missing against a commitment (an anchor, or a later chain's genesis
 *                link), or the last line of a file is a partial entry (torn write)
 *   forked       two valid continuations of the same entry
 *   unparseable  not JSON, not an entry, or not matching the entry schema
 *   wrong-key    keyed (HMAC) entries whose key is missing or does not verify any of them
 *   checkpoint-root       a checkpoint record signed by a trusted key whose root is not the tree
 *                         of the entries before it (the entries were rewritten)
 *   checkpoint-signature  with trusted keys: a checkpoint record whose note is malformed, not
 *                         signed by a trusted key, or names another log (origin)
 *   destination-mismatch  a checkpoint held by a checkpoint destination disagrees with the tree
 *                         of the log's entries (the log or the destination's copy was rewritten)
 * A cut behind a checkpoint held elsewhere is `truncated`; two trusted checkpoints of one size
 * with different roots are `forked`.
 */
export type BreakKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'duplicated'
  | 'truncated'
  | 'forked'
  | 'unparseable'
  | 'wrong-key'
  | 'checkpoint-root'
  | 'checkpoint-signature'
  | 'destination-mismatch';

export interface Position {
  file?: string;
  /** 1-based line number within `file` (or within the input when there is no file). */
  line?: number;
}

export interface VerifyBreak extends Position {
  kind: BreakKind;
  chain?: string;
  /** The seq concerned (the first one, for a range). */
  seq?: number;
  /** Last seq of a range (deleted, truncated). */
  toSeq?: number;
  /** On a forward-secure chain: the epoch the break is in. */
  epoch?: number;
  message: string;
}

export interface DeclaredGap {
  /** The seqs lost, first..last; absent when the entries were lost before they had seqs (e.g. taken by an audit worker that died before sealing them). */
  from?: number;
  to?: number;
  /** Entries lost. */
  count: number;
  reason: string;
  /** seq of the `gap` record that declared it. */
  declaredAt: number;
}

/** Seqs removed on purpose by a retention policy, as a `retention` record declared. */
export interface RetainedRange {
  from: number;
  to: number;
  /** The segment file that held them. */
  file: string;
  /** The `retention` record that declared the removal. */
  declaredAt: { chain: string; seq: number };
}

/** A commitment to a chain's head that the chain meets: every entry through `seq` is present. */
export interface Commitment {
  /** The committed seq: nothing at or before it is missing. */
  seq: number;
  /** What committed it: `audit.head.json`, `an anchor`, `chain <id>'s genesis` ... */
  by: string;
}

export interface ChainReport {
  chain: string;
  /** No break in this chain (consistent). */
  valid: boolean;
  /**
   * The newest commitment this chain meets, which proves it complete through `commitment.seq`;
   * absent when nothing commits to this chain's head (its tail could have been cut unseen).
   */
  commitment?: Commitment;
  /** Entries after the commitment's seq: present and linked, but no commitment covers them. */
  uncommitted: number;
  count: number;
  firstSeq: number;
  lastSeq: number;
  /** Hash of the entry with the highest seq on the accepted line of the chain. */
  headHash: string;
  keyIds: string[];
  breaks: VerifyBreak[];
  /** Holes the chain itself declared with `gap` records (entries dropped, e.g. queue overflow). */
  gaps: DeclaredGap[];
  /** Seqs removed by retention and declared by `retention` records (not a break). */
  retained: RetainedRange[];
  /** Seqs not read, vouched for by a bridge (options.bridges), whose neighbours link to it. */
  bridged?: { from: number; to: number; source: string }[];
  /** The previous chain this one links to from its genesis, if any. */
  previous?: ChainHead;
  /** With trusted keys (`trust`): the chain's checkpoints checked against the tree of its entries. */
  checkpoints?: ChainCheckpoints;
  /** On a chain with heartbeats: stretches longer than twice the interval with no record at all. */
  silences?: { from: string; to: string; ms: number }[];
}

export interface VerifyReport {
  /** True when no chain has a break and no line was unparseable: the log is consistent. */
  valid: boolean;
  /** Same as `valid`: every entry present verifies and links (the name the verdict uses). */
  consistent: boolean;
  /**
   * Consistent, and proven complete: at least one chain, and every chain meets a commitment to its
   * head (a head file or anchor held elsewhere, or a later chain's genesis link), so no entry up to
   * each commitment is missing. Without a commitment a cut tail cannot be seen, and this is false;
   * a chain that declares lost entries (`gap` records) is not complete either.
   */
  complete: boolean;
  /** Lines or items read (blank lines excluded). */
  items: number;
  entries: number;
  chains: ChainReport[];
  /** Every break, in input order (breaks of all chains plus unparseable lines); at most 10,000. */
  breaks: VerifyBreak[];
  /** Breaks past the first 10,000 (hostile input), counted by kind but not listed. */
  omittedBreaks?: Partial<Record<BreakKind, number>>;
  /** Entries with encrypted content, when there were any: how many, how many opened (VerifyOptions.open). */
  sealed?: SealedReport;
}

export interface VerifyOptions {
  /** HMAC keys for keyed chains, matched by key id (`kid`). */
  keys?: AuditKey[];
  /**
   * Only keyed chains count (default: true when `keys` are given): a chain without a key id is a
   * `wrong-key` break, and retention or genesis claims count only from entries a key authenticates.
   * Anyone can write a valid unkeyed chain; with keys, the verifier trusts what a key proves.
   */
  requireKeyed?: boolean;
  /**
   * Commitments held elsewhere (`source` names them in the report): the verifier reports
   * `truncated` if a chain ends before one, and a chain that meets one is proven complete through it.
   */
  anchors?: (ChainHead & { source?: string })[];
  /**
   * Chains may start after seq 0 (a verifier over a later segment of a log). Default false: a chain
   * whose first entry is not seq 0 reports the missing beginning as `deleted`.
   */
  allowPartialStart?: boolean;
  /**
   * Ranges of seqs deliberately not read (a window of an archive, `verify --since/--until`),
   * vouched for by a trusted source (segment index sidecars the log commits to): the `prev` of the
   * range's first entry and the `hash` of its last. A hole that a bridge covers exactly, and whose
   * neighbours link to those hashes, is reported in `bridged`, not `deleted`; one whose neighbours
   * do not link is `modified`.
   */
  bridges?: Bridge[];
  /**
   * The input is an extract (a query's output: some entries of a log, in order): each entry's hash
   * and the links between consecutive seqs are checked; seqs left out are not breaks, and an
   * extract is never complete. Default false.
   */
  extract?: boolean;
  /** Check lines are in canonical form. Default true. */
  requireCanonical?: boolean;
  /** Seqs of history kept per chain for reorder/duplicate detection. Default 100000. */
  window?: number;
  /**
   * Verify canonical lines from their bytes without parsing them (default true). A line whose
   * hash matches its own bytes is exactly what was sealed; lines that do not match, and
   * genesis/gap/retention records, are always parsed and checked in full. Off: everything is.
   */
  fastPath?: boolean;
  /**
   * The log's trusted checkpoint keys (C2SP verifier keys `name+id+base64`, or parsed). With them,
   * the verifier rebuilds each chain's Merkle tree and checks every checkpoint against it; a chain
   * is proven complete through its newest checkpoint that verifies (docs/spec/checkpoints.md).
   */
  trust?: (string | NoteVerifier)[];
  /**
   * Checkpoints held outside the log (a checkpoint destination's records as lines, or bare signed
   * notes), checked against the log's tree when it reaches their size: a log that ends before one
   * is `truncated`; one that disagrees is `destination-mismatch`. Needs `trust`.
   */
  checkpoints?: (string | { note?: string; line?: string; source?: string })[];
  /**
   * With `trust`, rebuild the trees in a worker thread beside the verifying one (Node; the built
   * package), so the extra hashing runs on another core. Default: true in verifyStream() and
   * verify(), which await it; a Verifier used directly then needs finishAsync().
   */
  parallel?: boolean;
  /**
   * Witnesses' cosignature keys (C2SP tlog-cosignature, `name+id+base64(0x04 || key)`). With them a
   * checkpoint proves completeness only when at least `witnessThreshold` of them cosigned it (the
   * cosignatures the log and the destinations carry), and entries later than a cosignature of a
   * checkpoint that covers them are reported (`clockAhead`). Needs `trust`.
   */
  witnesses?: (string | NoteVerifier)[];
  /** Cosignatures required (k of the witnesses given). Default 1. */
  witnessThreshold?: number;
  /**
   * Initial keys k(0) of forward-secure chains (`chain.forwardSecure`): each epoch's key is derived
   * from them. Their holder can forge any epoch: keep them offline, with the auditor.
   */
  forwardSecure?: AuditKey[];
  /**
   * Opens encrypted entries (an EntryOpener with the data keys): each one's content must open
   * under its data key and be a valid entry, else the entry is `modified`. Without it, encrypted
   * entries are verified as they are (the hash covers the ciphertext) and counted in `sealed`.
   */
  open?: EntryOpening;
}

/** A range of a chain not read, and the hashes at its ends (VerifyOptions.bridges). */
export interface Bridge {
  chain: string;
  from: number;
  to: number;
  /** `prev` of the entry at `from`. */
  prev: string;
  /** `hash` of the entry at `to`. */
  hash: string;
  /** What vouches for it, as the report names it. */
  source: string;
}

export type VerifyItem = string | AuditEntry | Record<string, unknown> | { line?: string; entry?: unknown; file?: string; lineNo?: number };

/** "file:line", "line N" or the file alone: where a break or an earlier entry was seen. */
export function describePos(p: Position): string {
  if (p.file !== undefined && p.line !== undefined) return `${p.file}:${p.line}`;
  if (p.line !== undefined) return `line ${p.line}`;
  return p.file ?? 'an earlier position';
}
