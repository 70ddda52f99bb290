/**
 * One chain as the verifier reads it: where it is (next expected seq, the head it must link to),
 * what it remembers (a window of recent seqs), and the breaks it has open (holes that later input
 * may fill, alternative entries that may turn out to be a fork). The Verifier decides what an
 * entry is on its own (hash, key, schema); this decides where it stands in the chain.
 */
import type { ResolvedKey } from '../hash.js';
import type { AuditEntry, ChainHead } from '../types.js';
import type { BreakLedger, BreakRef } from './breaks.js';
import type { EpochTrack } from './epochs.js';
import { type SeqRecord, SeqWindow } from './seq-window.js';
import type { ChainCheckpoints } from './tree.js';
import { type BreakKind, type Commitment, type DeclaredGap, describePos, type Position, type RetainedRange } from './types.js';

/** A hole: seqs not (yet) seen, reported `deleted` until filled or explained. */
export interface Missing {
  from: number;
  to: number;
  ref: BreakRef;
  /** Hashes the entry before the hole had (stored, recomputed); none when the hole starts the chain. */
  before?: string[];
  /** The `prev` of the entry after the hole. */
  after?: string;
}

/** An extra entry that claimed a taken seq; it may become the accepted line, or a fork. */
interface Alt {
  seq: number;
  pos: Position;
  ref: BreakRef;
  forked: boolean;
}

function missingMessage(from: number, to: number): string {
  return from === to ? `seq ${from} is missing` : `seqs ${from}..${to} are missing`;
}

/** A chain's tree as the verifying thread knows it: its index in the TreeSink, and what only this thread sees. */
export interface ChainTree {
  idx: number;
  /** Seqs of its checkpoint records (not counted as entries left unsealed). */
  recordSeqs: number[];
  /** Key rotations it announced that a trusted key signed. */
  rotations: ChainCheckpoints['rotations'];
  /** Set at the end, for the report. */
  summary?: ChainCheckpoints;
  /** With witness keys: the latest entry ts read so far, and as it stood at each checkpoint record's size (trusted time). */
  maxTs?: string;
  tsAt: Map<number, string>;
}

export class ChainTrack {
  readonly id: string;
  readonly firstSeq: number;
  count = 0;
  maxSeq = -1;
  /** The next seq in order; -1 before the first entry. */
  expected = -1;
  headHash = '';
  /** Hashes the next entry's prev may equal (stored and recomputed hash of the head). */
  accept: string[] = [];
  readonly bySeq: SeqWindow;
  readonly missing: Missing[] = [];
  readonly #alts = new Map<string, Alt>();
  readonly keyIds = new Set<string>();
  /** Per key id: entries that verified, and the `modified` breaks of those that did not. */
  readonly keyStats = new Map<string, { ok: number; bad: BreakRef[] }>();
  /** Counts an entry under key `kid` (`ok`: it verified under it). */
  noteKey(kid: string, ok: boolean): void {
    let st = this.keyStats.get(kid);
    if (!st) this.keyStats.set(kid, (st = { ok: 0, bad: [] }));
    if (ok) st.ok++;
  }
  readonly missingKeyReported = new Set<string>();
  readonly declared: DeclaredGap[] = [];
  readonly retained: RetainedRange[] = [];
  readonly bridged: { from: number; to: number; source: string }[] = [];
  previous?: ChainHead;
  /** The genesis entry was keyed and verified under a supplied key (its `previous` claim is authenticated). */
  genesisAuthenticated = false;
  /** A key-less entry was reported already (requireKeyed). */
  unkeyedReported = false;
  firstPrev?: string;
  firstPos?: Position;
  /** Whether the first entry seen matched its hash (a lone edited entry does not). */
  firstHashOk = true;
  /** The newest commitment to this chain's head that it meets (see commitments.ts). */
  commitment?: Commitment;
  /** Heartbeat interval the chain declared (genesis/recovered), the last entry's ts, and the silences found (silence.ts). */
  heartbeatMs?: number;
  lastTs?: string;
  silences?: { from: string; to: string; ms: number }[];
  /** The kid of the last entry read (a change is an epoch boundary on a forward-secure chain). */
  lastKid?: string;
  /** A forward-secure chain's epochs (epochs.ts). */
  epochs?: EpochTrack;
  /** With trusted keys: the chain's tree (built by a TreeSink, tree-sink.ts) and what the main thread keeps of its checkpoints. */
  tree?: ChainTree;
  readonly #ledger: BreakLedger;

  constructor(id: string, firstSeq: number, window: number, ledger: BreakLedger) {
    this.id = id;
    this.firstSeq = firstSeq;
    this.bySeq = new SeqWindow(window);
    this.#ledger = ledger;
  }

  /** Records a break of this chain. */
  brk(kind: BreakKind, seq: number, message: string, pos: Position, toSeq?: number): BreakRef {
    return this.#ledger.add({ kind, chain: this.id, seq, ...(toSeq !== undefined && toSeq !== seq ? { toSeq } : {}), ...pos, message });
  }

  /** Is `seq` inside a hole still open? */
  inHole(seq: number): boolean {
    return this.missing.some((m) => m.from <= seq && seq <= m.to);
  }

  /** Opens a hole (tentatively `deleted`), with the hashes on either side of it. */
  addHole(from: number, to: number, ref: BreakRef, after?: string): void {
    this.missing.push({ from, to, ref, ...(from > 0 ? { before: [...this.accept] } : {}), ...(after !== undefined ? { after } : {}) });
  }

  /** Remembers an entry at its seq, and marks its predecessor as continued if it links to it. */
  place(e: AuditEntry, seq: number, computed: string, pos: Position, own: BreakRef | undefined): void {
    const prevRec = this.bySeq.get(seq - 1);
    if (prevRec && (prevRec.hash === e.prev || prevRec.computed === e.prev)) prevRec.continued = true;
    this.bySeq.set(seq, { hash: e.hash, computed, pos, ...(own ? { own } : {}), continued: false });
  }

  /** The entry becomes the head: the next one must link to it. */
  advance(e: AuditEntry, seq: number, computed: string, pos: Position, own: BreakRef | undefined): void {
    this.place(e, seq, computed, pos, own);
    this.expected = seq + 1;
    this.headHash = e.hash;
    this.accept = computed === e.hash ? [e.hash] : [e.hash, computed];
    if (seq > this.maxSeq) this.maxSeq = seq;
    if (e.kid !== undefined && own?.brk.kind === 'modified' && own.brk.message.startsWith('content does not match its HMAC'))
      this.keyStats.get(e.kid)?.bad.push(own);
  }

  /**
   * The next seq in order, but not linking to the head: either it continues an alternative entry
   * seen at seq-1 (the accepted one there was the extra), or the entry at seq-1 was rewritten.
   */
  relink(e: AuditEntry, seq: number, hashOk: boolean): void {
    const alt = this.#alts.get(e.prev);
    const prevRec = this.bySeq.get(seq - 1);
    if (alt && alt.seq === seq - 1) {
      this.#switchToAlt(e.prev, alt, prevRec);
    } else if (hashOk && prevRec && !this.inHole(seq - 1)) {
      if (prevRec.own?.live) prevRec.own.brk.message += '; the next entry links to yet another hash';
      else
        prevRec.own = this.brk(
          'modified',
          seq - 1,
          `entry ${seq} links to a different hash than entry ${seq - 1} has: entry ${seq - 1} was changed and re-hashed, or replaced`,
          prevRec.pos,
        );
    }
  }

  /** An entry whose seq is below the next expected one: reordered, duplicated, inserted or forked. */
  late(e: AuditEntry, seq: number, computed: string, hashOk: boolean, pos: Position, own: BreakRef | undefined): void {
    const mi = this.missing.findIndex((m) => m.from <= seq && seq <= m.to);
    if (mi >= 0) {
      this.#fillHole(mi, seq);
      if (own === undefined) this.brk('reordered', seq, `seq ${seq} appears after seq ${this.expected - 1}`, pos);
      this.place(e, seq, computed, pos, own);
      return;
    }
    const known = this.bySeq.get(seq);
    if (!known) {
      if (own === undefined)
        this.brk(
          'reordered',
          seq,
          `seq ${seq} appears after seq ${this.expected - 1} (older than the verifier's window, or a duplicate of an entry outside it)`,
          pos,
        );
      return;
    }
    if (known.hash === e.hash) {
      if (own === undefined) this.brk('duplicated', seq, `seq ${seq} appears again (first at ${describePos(known.pos)})`, pos);
      return;
    }
    this.#claimTaken(e, seq, known, hashOk, pos, own);
  }

  /** `seq` is accounted for after all (it was found elsewhere): the hole shrinks around it. */
  fill(seq: number): void {
    const mi = this.missing.findIndex((m) => m.from <= seq && seq <= m.to);
    if (mi >= 0) this.#fillHole(mi, seq);
  }

  /** Records a commitment the chain meets, keeping the one that reaches furthest. */
  commit(c: Commitment): void {
    if (this.commitment === undefined || c.seq > this.commitment.seq) this.commitment = c;
  }

  /** A late entry fills (part of) a hole: that part was reordered, not deleted. */
  #fillHole(mi: number, seq: number): void {
    const m = this.missing[mi] as Missing;
    const pieces: Missing[] = [];
    if (m.from < seq) pieces.push({ from: m.from, to: seq - 1, ref: m.ref });
    if (seq < m.to) {
      const template = m.ref.brk;
      const ref = pieces.length === 0 ? m.ref : this.#ledger.add({ ...template, seq: seq + 1, message: '' });
      pieces.push({ from: seq + 1, to: m.to, ref });
    }
    if (pieces.length === 0) this.#ledger.withdraw(m.ref);
    for (const p of pieces) {
      const b = p.ref.brk;
      b.seq = p.from;
      if (p.to !== p.from) b.toSeq = p.to;
      else delete b.toSeq;
      b.message = missingMessage(p.from, p.to);
    }
    this.missing.splice(mi, 1, ...pieces);
  }

  /** Another entry claims a seq already taken. */
  #claimTaken(e: AuditEntry, seq: number, known: SeqRecord, hashOk: boolean, pos: Position, own: BreakRef | undefined): void {
    const altParent = this.#alts.get(e.prev);
    if (altParent && altParent.seq === seq - 1) {
      // The alternative branch goes on: two continuations of one entry.
      this.#alts.delete(e.prev);
      if (!altParent.forked && altParent.ref.live) {
        const b = altParent.ref.brk;
        this.#ledger.relabel(
          altParent.ref,
          'forked',
          `two continuations of seq ${(b.seq as number) - 1}: another line of entries continues from ${describePos(b)}`,
        );
      }
      this.#alts.set(e.hash, { ...altParent, seq, forked: true });
      return;
    }
    if (own !== undefined) {
      this.#ledger.relabel(
        own,
        'inserted',
        `an extra entry claims seq ${seq} (already at ${describePos(known.pos)}) and does not match its hash`,
      );
      return;
    }
    const parent = this.bySeq.get(seq - 1);
    const ref = this.brk('inserted', seq, `an extra entry claims seq ${seq} (already at ${describePos(known.pos)})`, pos);
    if (hashOk && (parent === undefined || parent.hash === e.prev || parent.computed === e.prev)) {
      this.#alts.set(e.hash, { seq, pos, ref, forked: false });
    }
  }

  /** The next entry continues the alternative at seq-1: the one we had accepted there was the extra one. */
  #switchToAlt(altHash: string, alt: Alt, superseded: SeqRecord | undefined): void {
    this.#alts.delete(altHash);
    if (superseded?.continued) {
      // Both lines continue: a fork.
      if (alt.ref.live) this.#ledger.relabel(alt.ref, 'forked', `two continuations of seq ${alt.seq - 1}`);
    } else if (superseded) {
      this.#ledger.withdraw(alt.ref);
      const message = `an extra entry claims seq ${alt.seq}; the chain continues from the entry at ${describePos(alt.pos)}`;
      if (superseded.own?.live) this.#ledger.relabel(superseded.own, 'inserted', message);
      else this.brk('inserted', alt.seq, message, superseded.pos);
    }
    if (this.bySeq.get(alt.seq)) this.bySeq.set(alt.seq, { hash: altHash, computed: altHash, pos: alt.pos, continued: true });
    this.accept = [altHash];
  }
}

/** An entry checked on its own, on its way to its place in the chain. */
export interface Checked {
  s: ChainTrack;
  e: AuditEntry;
  /** Its hash as recomputed (its own `hash` when no key could check it). */
  computed: string;
  hashOk: boolean;
  key: ResolvedKey | undefined;
  pos: Position;
}

export function modifiedMessage(e: AuditEntry, key: ResolvedKey | undefined): string {
  return key ? `content does not match its HMAC (key "${e.kid}")` : 'content does not match its hash';
}
