/** A chain's part of the report. */
import type { ChainTrack } from './chain.js';
import type { ChainReport, VerifyReport } from './types.js';

export function chainReport(s: ChainTrack, breaks: VerifyReport['breaks'], omitted: number): ChainReport {
  const own = breaks.filter((b) => b.chain === s.id);
  const headRec = s.bySeq.get(s.maxSeq);
  return {
    chain: s.id,
    valid: own.length === 0 && omitted === 0,
    ...(s.commitment ? { commitment: s.commitment } : {}),
    uncommitted: s.commitment ? Math.max(0, s.maxSeq - s.commitment.seq) : s.count,
    count: s.count,
    firstSeq: s.firstSeq,
    lastSeq: s.maxSeq,
    headHash: headRec?.hash ?? s.headHash,
    keyIds: [...s.keyIds],
    breaks: own,
    gaps: s.declared,
    // Cumulative retention records repeat earlier ranges: report only the widest.
    retained: s.retained.filter(
      (r, i) => !s.retained.some((o, j) => j !== i && o.from <= r.from && r.to <= o.to && (o.to - o.from > r.to - r.from || j < i)),
    ),
    ...(s.bridged.length > 0 ? { bridged: s.bridged } : {}),
    ...(s.previous ? { previous: s.previous } : {}),
    ...(s.tree?.summary ? { checkpoints: s.tree.summary } : {}),
    ...(s.silences ? { silences: s.silences } : {}),
  };
}
