/**
 * The retention inventory of an evidence pack (retention.json): every segment read, with the seq
 * and time range of each chain in it, and every segment the log says its retention policy removed
 * (from the `retention` records: file, seqs, times, policy, when). The segments removed whose
 * records fall in the requested window are named: those records exist no more, by policy.
 */
import type { AuditEntry, SegmentIndex } from '@auditready/core';

export interface SegmentKept {
  file: string;
  /** The file's SHA-256; empty for a segment not read (`notRead`). */
  sha256: string;
  lines: number;
  /** Not read (outside the window): what is shown comes from its index sidecar, committed in the log (its SHA-256 here). */
  notRead?: { index: string };
  chains: { chain: string; firstSeq: number; lastSeq: number; firstTs: string; lastTs: string }[];
}

export interface SegmentRemoved {
  file: string;
  chain: string;
  seqs: [number, number];
  firstTs?: string;
  lastTs?: string;
  /** Only the part of the segment before a point (a partial removal). */
  partial?: boolean;
  policy: Record<string, unknown>;
  /** The retention record that declared the removal. */
  removedBy: { chain: string; seq: number; ts: string };
  /** Its records fall (partly) in the requested window. */
  inWindow: boolean;
}

export interface RetentionInventory {
  kept: SegmentKept[];
  /** Removals whose retention record is still in the log (older ones were removed in turn). */
  removed: SegmentRemoved[];
  /**
   * Per chain, the seq through which retention removed everything (the newest retention record's
   * watermark): it accounts for removals whose own records are gone too.
   */
  removedThrough: { chain: string; seq: number; declaredBy: { chain: string; seq: number; ts: string } }[];
}

type Ranges = Map<string, SegmentKept['chains'][number]>;

export class RetentionCollector {
  readonly #kept: SegmentKept[] = [];
  readonly #removed: SegmentRemoved[] = [];
  readonly #through = new Map<string, RetentionInventory['removedThrough'][number]>();
  #current: Ranges = new Map();
  readonly #since: number | undefined;
  readonly #until: number | undefined;

  constructor(since: number | undefined, until: number | undefined) {
    this.#since = since;
    this.#until = until;
  }

  /** One parsed entry of the file being read. */
  add(e: AuditEntry): void {
    const r = this.#current.get(e.chain);
    if (!r) this.#current.set(e.chain, { chain: e.chain, firstSeq: e.seq, lastSeq: e.seq, firstTs: e.ts, lastTs: e.ts });
    else {
      if (e.seq < r.firstSeq) r.firstSeq = e.seq;
      if (e.seq > r.lastSeq) r.lastSeq = e.seq;
      if (e.ts < r.firstTs) r.firstTs = e.ts;
      if (e.ts > r.lastTs) r.lastTs = e.ts;
    }
    if (e.kind === 'retention') this.#retention(e);
  }

  /** A segment not read (its trusted index puts it outside the window): its ranges from the sidecar. */
  notRead(file: string, ix: SegmentIndex, indexSha256: string): void {
    const [firstTs, lastTs] = ix.time ?? ['', ''];
    const chains = Object.entries(ix.chains).map(([chain, [firstSeq, lastSeq]]) => ({ chain, firstSeq, lastSeq, firstTs, lastTs }));
    this.#kept.push({ file, sha256: '', lines: ix.entries, notRead: { index: indexSha256 }, chains });
  }

  /** The file just read is done. */
  endFile(file: string, sha256: string, lines: number): void {
    this.#kept.push({ file, sha256, lines, chains: [...this.#current.values()] });
    this.#current = new Map();
  }

  #retention(e: AuditEntry): void {
    const d = e.details as { policy?: unknown; removed?: unknown; through?: unknown } | undefined;
    if (Array.isArray(d?.through))
      for (const t of d.through as Record<string, unknown>[]) {
        if (typeof t?.chain !== 'string' || typeof t.seq !== 'number') continue;
        const had = this.#through.get(t.chain);
        if (!had || t.seq > had.seq)
          this.#through.set(t.chain, { chain: t.chain, seq: t.seq, declaredBy: { chain: e.chain, seq: e.seq, ts: e.ts } });
      }
    if (!Array.isArray(d?.removed)) return;
    for (const x of d.removed as Record<string, unknown>[]) {
      if (typeof x?.file !== 'string' || typeof x.lastSeq !== 'number') continue;
      const firstTs = typeof x.firstTs === 'string' ? x.firstTs : undefined;
      const lastTs = typeof x.lastTs === 'string' ? x.lastTs : undefined;
      this.#removed.push({
        file: x.file,
        chain: String(x.chain ?? e.chain),
        seqs: [typeof x.firstSeq === 'number' ? x.firstSeq : 0, x.lastSeq],
        ...(firstTs ? { firstTs } : {}),
        ...(lastTs ? { lastTs } : {}),
        ...(x.partial === true ? { partial: true } : {}),
        policy: (d.policy as Record<string, unknown> | undefined) ?? {},
        removedBy: { chain: e.chain, seq: e.seq, ts: e.ts },
        inWindow: this.#overlaps(firstTs, lastTs),
      });
    }
  }

  #overlaps(first: string | undefined, last: string | undefined): boolean {
    const a = first ? Date.parse(first) : Number.NEGATIVE_INFINITY;
    const b = last ? Date.parse(last) : Number.POSITIVE_INFINITY;
    return (this.#until === undefined || a < this.#until) && (this.#since === undefined || b >= this.#since);
  }

  inventory(): RetentionInventory {
    return { kept: this.#kept, removed: this.#removed, removedThrough: [...this.#through.values()] };
  }
}
