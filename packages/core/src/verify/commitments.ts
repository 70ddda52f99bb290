/**
 * End of input: settle what only the whole input can decide. Keyed entries that no supplied key
 * verifies are one `wrong-key` break, not thousands of `modified`; holes that a `gap` or
 * `retention` record explains are withdrawn; and every commitment to a chain's head (an anchor
 * held elsewhere, a later chain's genesis link) must be met, or the tail is `truncated`.
 */
import { ZERO_HASH } from '../hash.js';
import type { ChainHead } from '../types.js';
import type { BreakLedger } from './breaks.js';
import type { ChainTrack, Missing } from './chain.js';
import type { RetentionClaim } from './records.js';
import type { Bridge, VerifyOptions } from './types.js';

/** Keyed chains where no entry verifies: the key is wrong, not every entry modified. */
function settleKeys(s: ChainTrack, ledger: BreakLedger): void {
  for (const [kid, st] of s.keyStats) {
    if (st.ok !== 0 || st.bad.length === 0) continue;
    const first = (st.bad[0] as (typeof st.bad)[number]).brk;
    for (const ref of st.bad) ledger.withdraw(ref);
    ledger.add({
      kind: 'wrong-key',
      chain: s.id,
      ...(first.seq !== undefined ? { seq: first.seq } : {}),
      ...(first.file !== undefined ? { file: first.file } : {}),
      ...(first.line !== undefined ? { line: first.line } : {}),
      message: `the key "${kid}" verifies none of the ${st.bad.length} keyed entries: wrong key`,
    });
  }
}

/** A hole retention records cover seq by seq is not tampering; the kept entry after it must link to the record's hash. */
function settleRetained(s: ChainTrack, m: Missing, ranges: RetentionClaim[], ledger: BreakLedger): void {
  let next = m.from;
  for (const r of ranges) if (r.from <= next && r.to >= next) next = r.to + 1;
  if (next <= m.to) return;
  ledger.withdraw(m.ref);
  for (const r of ranges) {
    if (r.to < m.from || r.from > m.to) continue;
    if (!s.retained.some((x) => x.from === r.from && x.to === r.to))
      s.retained.push({ from: r.from, to: r.to, file: r.file, declaredAt: r.declaredAt });
  }
  const edge = ranges.find((r) => r.to === s.firstSeq - 1 && r.lastHash !== undefined);
  if (m.from === 0 && edge && s.firstPrev !== undefined && s.firstPrev !== edge.lastHash) {
    ledger.add({
      kind: 'modified',
      chain: s.id,
      seq: s.firstSeq,
      ...(s.firstPos ?? {}),
      message: `a retention record says seq ${edge.to} had hash ${edge.lastHash?.slice(0, 12)}…, but seq ${s.firstSeq} links to ${s.firstPrev.slice(0, 12)}…`,
    });
  }
}

/** Holes the chain declared with gap records, or that retention records cover, are withdrawn. */
function settleHoles(s: ChainTrack, retained: RetentionClaim[], ledger: BreakLedger): void {
  for (const m of s.missing) {
    if (s.declared.some((d) => d.from !== undefined && d.to !== undefined && d.from <= m.from && m.to <= d.to)) ledger.withdraw(m.ref);
  }
  const ranges = retained.filter((r) => r.chain === s.id).sort((a, b) => a.from - b.from);
  for (const m of s.missing) if (m.ref.live) settleRetained(s, m, ranges, ledger);
}

/**
 * A commitment to seq `c.seq` with hash `c.hash`: the chain must reach it, with that hash. A chain
 * that does is proven complete through `c.seq`.
 */
function checkCommitment(s: ChainTrack, c: ChainHead, by: string, ledger: BreakLedger, bridges: Bridge[] = []): void {
  // The chain's tail not read (a window), vouched for by a bridge that ends at the committed hash.
  const tail = bridges.find((b) => b.chain === s.id && b.from === s.maxSeq + 1 && b.to === c.seq);
  if (tail && s.accept.includes(tail.prev) && tail.hash === c.hash) {
    s.bridged.push({ from: tail.from, to: tail.to, source: tail.source });
    s.commit({ seq: c.seq, by });
    return;
  }
  if (s.maxSeq < c.seq) {
    ledger.add({
      kind: 'truncated',
      chain: s.id,
      seq: s.maxSeq + 1,
      toSeq: c.seq,
      message: `${by} commits to seq ${c.seq}, but the chain ends at seq ${s.maxSeq}: the tail is missing`,
    });
    return;
  }
  const rec = s.bySeq.get(c.seq);
  if (rec && rec.hash !== c.hash) {
    ledger.add({
      kind: 'forked',
      chain: s.id,
      seq: c.seq,
      ...rec.pos,
      message: `${by} commits to a different hash at seq ${c.seq}: the log diverged from what was committed`,
    });
    return;
  }
  // Met (or so far back that the window no longer holds it, with the chain going on past it). A
  // commitment before the first entry present (the head a continued read starts from) links the
  // start; it proves nothing about what is here.
  if (c.seq >= s.firstSeq) s.commit({ seq: c.seq, by });
}

/**
 * A lone entry that forms a "chain" of its own, starting past seq 0, whose `prev` links into a
 * hole of another chain at exactly its seq: its `chain` field was edited. One `modified` entry of
 * the real chain, not a new chain with thousands of `deleted` seqs (and, keyed, a `wrong-key`).
 */
function settleChainEdits(chains: Map<string, ChainTrack>, ledger: BreakLedger): void {
  for (const x of [...chains.values()]) {
    if (x.count !== 1 || x.firstSeq === 0 || x.firstHashOk || x.firstPrev === undefined) continue;
    const seq = x.firstSeq;
    for (const y of chains.values()) {
      if (y === x || !y.inHole(seq)) continue;
      const before = y.bySeq.get(seq - 1);
      if (!before || (before.hash !== x.firstPrev && before.computed !== x.firstPrev)) continue;
      ledger.withdrawWhere((b) => b.chain === x.id);
      chains.delete(x.id);
      y.fill(seq);
      y.count++;
      ledger.add({
        kind: 'modified',
        chain: y.id,
        seq,
        ...(x.firstPos ?? {}),
        message: `the entry's chain field was changed (it reads ${x.id}), but it links to seq ${seq - 1} of chain ${y.id}: content does not match its hash`,
      });
      break;
    }
  }
}

/** Do retention claims cover seqs from..to, one after another? */
function coveredByRetention(from: number, to: number, ranges: RetentionClaim[]): boolean {
  let next = from;
  for (const r of ranges) if (r.from <= next && r.to >= next) next = r.to + 1;
  return next > to;
}

/**
 * Holes a bridge covers (seqs not read on purpose, vouched for by a trusted index): not deleted,
 * if the entries on either side link to the hashes it vouches for; `modified` if not. A hole at
 * the chain's start may begin with seqs retention removed before the oldest segment kept.
 */
function settleBridges(s: ChainTrack, bridges: Bridge[], retained: RetentionClaim[], ledger: BreakLedger): void {
  for (const m of s.missing) {
    if (!m.ref.live) continue;
    const b = bridges.find((x) => x.chain === s.id && x.to === m.to && (x.from === m.from || (m.from === 0 && x.from > 0)));
    if (!b) continue;
    const ranges = retained.filter((r) => r.chain === s.id).sort((x, y) => x.from - y.from);
    if (b.from > m.from && !coveredByRetention(m.from, b.from - 1, ranges)) continue;
    ledger.withdraw(m.ref);
    const before = b.from === 0 ? b.prev === ZERO_HASH : m.from === b.from ? (m.before ?? []).includes(b.prev) : true;
    if (before && m.after === b.hash) {
      s.bridged.push({ from: b.from, to: b.to, source: b.source });
      continue;
    }
    ledger.add({
      kind: 'modified',
      chain: s.id,
      seq: before ? m.to + 1 : m.from - 1,
      message: before
        ? `seq ${m.to + 1} links to ${(m.after ?? '').slice(0, 12)}…, but ${b.source} says seq ${m.to} (not read) had hash ${b.hash.slice(0, 12)}…`
        : `${b.source} says seq ${m.from} (not read) links to ${b.prev.slice(0, 12)}…, but seq ${m.from - 1} has another hash`,
    });
  }
}

export interface SettleInputs {
  retained: RetentionClaim[];
  bridges: Bridge[];
  anchors: (ChainHead & { source?: string })[];
  /** Only claims a key authenticates count (retention, genesis links). */
  requireKeyed: boolean;
}

export function settleInputs(o: VerifyOptions, retained: RetentionClaim[], requireKeyed: boolean): SettleInputs {
  return { retained, anchors: o.anchors ?? [], requireKeyed, bridges: o.bridges ?? [] };
}

export function settle(chains: Map<string, ChainTrack>, inputs: SettleInputs, ledger: BreakLedger): void {
  const { anchors, requireKeyed } = inputs;
  const retained = requireKeyed ? inputs.retained.filter((r) => r.authenticated) : inputs.retained;
  settleChainEdits(chains, ledger);
  for (const s of chains.values()) {
    settleKeys(s, ledger);
    settleHoles(s, retained, ledger);
    settleBridges(s, inputs.bridges, retained, ledger);
    for (const a of anchors) if (a.chain === s.id) checkCommitment(s, a, a.source ?? 'an anchor', ledger, inputs.bridges);
  }
  // A later chain's genesis commits to the previous chain's head: its tail cannot vanish unseen.
  for (const s of chains.values()) {
    if (!s.previous || (requireKeyed && !s.genesisAuthenticated)) continue;
    const p = chains.get(s.previous.chain);
    if (p) checkCommitment(p, s.previous, `chain ${s.id}'s genesis`, ledger, inputs.bridges);
  }
  for (const a of anchors) {
    if (!chains.has(a.chain))
      ledger.add({
        kind: 'truncated',
        chain: a.chain,
        seq: 0,
        toSeq: a.seq,
        message: `anchored chain ${a.chain} (head seq ${a.seq}) is absent from the input`,
      });
  }
}
