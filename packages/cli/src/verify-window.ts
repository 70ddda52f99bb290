/**
 * `verify --since/--until` (docs/spec/segment-index.md, "Verifying a window"): the segments whose
 * trusted index puts them wholly outside the window are not read; the chain is bridged across
 * them with the hashes their sidecars hold (the `prev` of each chain's first entry, the `hash` of
 * its last), and the verifier checks that the segments read link to those hashes.
 *
 * A sidecar is trusted only through index notices that a commitment covers (a head file or
 * --anchor): a notice appended past the committed head of an unkeyed chain could be anyone's.
 * Without such a commitment every segment is read.
 */
import type { AuditEntry, ChainHead, SegmentIndex } from '@auditready/core';
import type { Bridge } from '@auditready/core/verify';
import type { InputFile } from './inputs.js';
import { planSegments, type TrustedIndex } from './segment-plan.js';

export interface VerifyWindow {
  read: InputFile[];
  bridges: Bridge[];
  /** Segments not read (outside the window, linked by their index). */
  skipped: InputFile[];
  /** Why some index was not used, or all of them. */
  notes: string[];
  /** The trusted sidecars of the segments not read. */
  indexes: Map<InputFile, TrustedIndex>;
}

/** The bridges over one run of consecutive skipped segments, or undefined when their sidecars do not join up. */
function bridgesOver(run: { f: InputFile; ix: SegmentIndex }[]): Bridge[] | undefined {
  const open = new Map<string, Bridge>();
  const source = `the index of ${run.length === 1 ? (run[0] as { f: InputFile }).f.display : `${run.length} segments (${run[0]?.f.display} .. ${run[run.length - 1]?.f.display})`}`;
  for (const { ix } of run) {
    if (ix.links === undefined) return undefined; // an index from before links were kept
    for (const [chain, [from, to]] of Object.entries(ix.chains)) {
      const link = ix.links[chain];
      if (!link) return undefined;
      const b = open.get(chain);
      if (!b) open.set(chain, { chain, from, to, prev: link[0], hash: link[1], source });
      else if (b.to + 1 === from && b.hash === link[0]) {
        b.to = to;
        b.hash = link[1];
      } else return undefined; // the segments' ranges do not join: read them
    }
  }
  return [...open.values()];
}

export async function planWindow(
  files: readonly InputFile[],
  anchors: readonly ChainHead[],
  since: number | undefined,
  until: number | undefined,
): Promise<VerifyWindow> {
  if (anchors.length === 0)
    return {
      read: [...files],
      bridges: [],
      skipped: [],
      notes: ['--since/--until: no head file or --anchor commits to the log, so no index can be trusted: every segment is read'],
      indexes: new Map(),
    };
  const covered = (e: AuditEntry) => anchors.some((a) => a.chain === e.chain && e.seq <= a.seq);
  const plan = await planSegments(
    files,
    { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) },
    { blocks: false, acceptNotice: covered },
  );
  const notes = [...plan.distrusted];
  const skipped = new Set(plan.skipped);
  const bridges: Bridge[] = [];
  let run: { f: InputFile; ix: SegmentIndex }[] = [];
  const endRun = () => {
    if (run.length === 0) return;
    const b = bridgesOver(run);
    if (b) bridges.push(...b);
    else {
      notes.push(`${run.map((r) => r.f.display).join(', ')}: their indexes do not join up: read`);
      for (const r of run) skipped.delete(r.f);
    }
    run = [];
  };
  for (const f of files) {
    const ix = plan.indexes.get(f)?.index;
    if (skipped.has(f) && ix) run.push({ f, ix });
    else endRun();
  }
  endRun();
  return {
    read: files.filter((f) => !skipped.has(f)),
    bridges,
    skipped: files.filter((f) => skipped.has(f)),
    notes,
    indexes: plan.indexes,
  };
}
