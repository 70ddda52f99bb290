/**
 * What the library's own records tell the verifier (docs/spec/hash-chain.md): `gap` declares seqs
 * the logger dropped, `retention` declares segments removed by policy (for any chain), `genesis`
 * links the previous chain's head. Read once the record's place in its chain is settled.
 */
import type { AuditEntry, ChainHead } from '../types.js';
import type { ChainTrack } from './chain.js';
import type { RetainedRange } from './types.js';

/**
 * A retention claim, for the chain it names (which may not be the chain that declared it).
 * `authenticated`: the declaring entry verified under a supplied key.
 */
export type RetentionClaim = RetainedRange & { chain: string; lastHash?: string; authenticated: boolean };

/** Cumulative form: every seq of `chain` through `seq` was removed; `hash` was the last one's. */
function readThrough(e: AuditEntry, declaredAt: { chain: string; seq: number }, authenticated: boolean, out: RetentionClaim[]): void {
  const through = (e.details as { through?: unknown } | undefined)?.through;
  if (!Array.isArray(through)) return;
  for (const t of through) {
    const x = t as { chain?: unknown; seq?: unknown; hash?: unknown };
    if (typeof x.chain === 'string' && Number.isSafeInteger(x.seq)) {
      out.push({
        chain: x.chain,
        from: 0,
        to: x.seq as number,
        file: '(segments removed by retention)',
        declaredAt,
        authenticated,
        ...(typeof x.hash === 'string' ? { lastHash: x.hash } : {}),
      });
    }
  }
}

/** Per segment: the chain and seq range each removed file held. */
function readRemoved(e: AuditEntry, declaredAt: { chain: string; seq: number }, authenticated: boolean, out: RetentionClaim[]): void {
  const removed = (e.details as { removed?: unknown } | undefined)?.removed;
  if (!Array.isArray(removed)) return;
  for (const r of removed) {
    const x = r as { chain?: unknown; firstSeq?: unknown; lastSeq?: unknown; file?: unknown };
    if (typeof x.chain === 'string' && Number.isSafeInteger(x.firstSeq) && Number.isSafeInteger(x.lastSeq)) {
      out.push({
        chain: x.chain,
        from: x.firstSeq as number,
        to: x.lastSeq as number,
        file: typeof x.file === 'string' ? x.file : '',
        declaredAt,
        authenticated,
      });
    }
  }
}

function readGap(e: AuditEntry, s: ChainTrack, seq: number): void {
  if (!e.details) return;
  const d = e.details as { from?: unknown; to?: unknown; count?: unknown };
  if (!Number.isSafeInteger(d.count)) return;
  const reason = e.reason ?? 'gap';
  if (Number.isSafeInteger(d.from) && Number.isSafeInteger(d.to))
    s.declared.push({ from: d.from as number, to: d.to as number, count: d.count as number, reason, declaredAt: seq });
  else if (d.from === undefined && d.to === undefined) s.declared.push({ count: d.count as number, reason, declaredAt: seq }); // lost before they had seqs
}

function readGenesis(e: AuditEntry, s: ChainTrack, authenticated: boolean): void {
  s.genesisAuthenticated = authenticated;
  const p = (e.details as { previous?: ChainHead } | undefined)?.previous;
  if (p && typeof p.chain === 'string' && Number.isSafeInteger(p.seq) && typeof p.hash === 'string')
    s.previous = { chain: p.chain, seq: p.seq, hash: p.hash };
}

/**
 * Takes note of what a library record at `seq` of chain `s` declares. `authenticated`: the record
 * verified under a supplied key (when keys are required, only such claims count).
 */
export function readLibraryRecord(e: AuditEntry, s: ChainTrack, seq: number, authenticated: boolean, retained: RetentionClaim[]): void {
  if (e.kind === 'retention') {
    const at = { chain: s.id, seq };
    readThrough(e, at, authenticated, retained);
    readRemoved(e, at, authenticated, retained);
  } else if (e.kind === 'gap') readGap(e, s, seq);
  else if (e.kind === 'genesis' && seq === 0) readGenesis(e, s, authenticated);
  if (e.kind === 'genesis' || e.kind === 'recovered') {
    const hb = (e.details as { heartbeatMs?: unknown } | undefined)?.heartbeatMs;
    s.heartbeatMs = typeof hb === 'number' && hb > 0 ? hb : undefined;
  }
}
