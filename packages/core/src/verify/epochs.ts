/**
 * Forward-secure chains in the verifier (docs/spec/hash-chain.md §Forward-secure sealing): every
 * entry names its epoch (`kid` `<id>:e<epoch>`); epochs only go forward one at a time, and each ends
 * with its `epoch` record before the next begins. An epoch that never got its record had its end
 * cut off (or a whole epoch was removed): `truncated`. Breaks on such a chain carry their epoch.
 */
import { parseEpochKid } from '../forward-secure.js';
import type { AuditEntry } from '../types.js';
import type { ChainTrack } from './chain.js';
import type { Position, VerifyBreak } from './types.js';

/** Per chain: the epoch of the last entry, whether it was sealed, and where each epoch began (seq). */
export interface EpochTrack {
  epoch: number;
  sealed: boolean;
  starts: { seq: number; epoch: number }[];
}

/** Checks an entry's place in the epochs of its chain (entries read on the full path). */
export function epochStep(s: ChainTrack, e: AuditEntry, seq: number, pos: Position): void {
  const p = e.kid === undefined ? undefined : parseEpochKid(e.kid);
  if (p === undefined) return;
  const t = s.epochs;
  if (t === undefined) {
    s.epochs = { epoch: p.epoch, sealed: false, starts: [{ seq, epoch: p.epoch }] };
  } else if (p.epoch === t.epoch) {
    if (t.sealed) s.brk('modified', seq, `an entry of epoch ${p.epoch} after that epoch was sealed`, pos);
  } else if (p.epoch < t.epoch) {
    s.brk('modified', seq, `epoch ${p.epoch} after epoch ${t.epoch}: epochs only go forward`, pos);
    return;
  } else {
    if (!t.sealed)
      s.brk('truncated', seq, `epoch ${t.epoch} was never sealed: the entries at its end (at least its epoch record) are missing`, pos);
    if (p.epoch > t.epoch + 1)
      s.brk('truncated', seq, `epochs ${t.epoch + 1}..${p.epoch - 1} are missing: every epoch is sealed, even an empty one`, pos);
    t.epoch = p.epoch;
    t.sealed = false;
    t.starts.push({ seq, epoch: p.epoch });
  }
  const cur = s.epochs as EpochTrack;
  if (e.kind === 'epoch' && (e.details as { epoch?: unknown } | undefined)?.epoch === p.epoch) cur.sealed = true;
}

/** Whether a fast-path line (same kid as the entry before) may skip epochStep: not after the epoch's seal. */
export function epochOpen(s: ChainTrack): boolean {
  return s.epochs === undefined || !s.epochs.sealed;
}

/** Puts the epoch on every break of a forward-secure chain. */
export function annotateEpochs(chains: Iterable<ChainTrack>, breaks: VerifyBreak[]): void {
  const byChain = new Map<string, EpochTrack>();
  for (const s of chains) if (s.epochs) byChain.set(s.id, s.epochs);
  if (byChain.size === 0) return;
  for (const b of breaks) {
    const t = b.chain === undefined ? undefined : byChain.get(b.chain);
    if (!t || b.seq === undefined) continue;
    let epoch: number | undefined;
    for (const x of t.starts) if (x.seq <= (b.seq as number)) epoch = x.epoch;
    if (epoch !== undefined) b.epoch = epoch;
  }
}
