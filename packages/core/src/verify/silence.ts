/**
 * Silence (docs/spec/hash-chain.md §Heartbeat): a chain whose first record declares
 * `heartbeatMs` has a record at least that often while its logger runs; a stretch longer than
 * twice it with neither an entry nor a heartbeat is reported (the logger was down, or entries of
 * that time are gone) — not a break: a fact the report shows with its bounds.
 */
import type { ChainTrack } from './chain.js';

/** Takes note of an entry's time on a chain with heartbeats. */
export function noteTime(s: ChainTrack, ts: string | undefined): void {
  const hb = s.heartbeatMs;
  if (hb === undefined || ts === undefined) return;
  const last = s.lastTs;
  s.lastTs = ts;
  if (last === undefined) return;
  // Same ten minutes (RFC 3339 prefix `YYYY-MM-DDTHH:M`) and a limit of ten minutes or more: cannot be a silence.
  if (2 * hb >= 600_000 && last.slice(0, 15) === ts.slice(0, 15)) return;
  const gap = Date.parse(ts) - Date.parse(last);
  if (gap > 2 * hb) (s.silences ??= []).push({ from: last, to: ts, ms: gap });
}
