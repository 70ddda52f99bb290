/**
 * Segment indexes (docs/spec/segment-index.md): a small sidecar written when a log segment is
 * closed — its time range, each chain's seq range, and membership filters for actor, resource,
 * action, outcome, status class, kind and service — so that queries skip segments that cannot
 * match. A sidecar is derived data: its SHA-256 is committed in the chain by a `notice` record
 * (details.index), each sidecar lists the commitments found in its own segment, and a reader
 * trusts a sidecar only through that chain of commitments from the log itself. Bloom filters
 * give false positives (a segment read for nothing), never false negatives.
 */
import type { AuditEntry } from './types.js';

export const SEGMENT_INDEX_VERSION = 1;

export interface BloomFilter {
  /** Bits, base64. */
  bits: string;
  /** Hash functions. */
  k: number;
}

export interface SegmentIndex {
  v: typeof SEGMENT_INDEX_VERSION;
  /** The segment's name when it was closed (`audit-<stamp>.log`; it may be gzipped since). */
  segment: string;
  entries: number;
  /** First and last ts (RFC 3339, as the entries carry them). */
  time?: [string, string];
  chains: Record<string, [number, number]>;
  /**
   * Per chain: the `prev` of its first entry here and the `hash` of its last. A reader that skips
   * this segment links the segments around it through these (verify --since/--until).
   */
  links?: Record<string, [string, string]>;
  /**
   * Per chain: the roots (hex) of the compact range of its leaves here (compactRangeOf: the
   * maximal aligned perfect subtrees covering seqs first..last), so that a reader that skips this
   * segment can still compute roots and proofs over the rest (evidence --since/--until).
   */
  trees?: Record<string, string[]>;
  outcomes: string[];
  kinds: string[];
  services: string[];
  statusClasses: string[];
  /**
   * Membership filters of the whole segment. In the sidecar written without blocks only: with
   * blocks they are in the blocks file, so that the sidecar a reader hashes for every segment
   * stays small (the filters of busy segments are tens of KB).
   */
  actors?: BloomFilter;
  actions?: BloomFilter;
  resources?: BloomFilter;
  /** Index commitments (notice records) inside this segment: the sidecars of earlier segments. */
  commits: IndexCommitment[];
  /**
   * Entries whose content is encrypted (docs/spec/encryption.md): their actor, action, resource,
   * outcome, service and status are not known to the index, so its filters rule nothing out.
   */
  sealed?: number;
  /** The segment's blocks (`<segment>.blk.json`), committed here by SHA-256. */
  blocks?: { file: string; sha256: string };
}

/**
 * A segment cut into blocks at line boundaries (each a gzip member when the segment is gzipped),
 * with a summary per block, so that a reader decompresses and scans only the blocks that may match.
 */
export interface SegmentBlocks {
  v: typeof SEGMENT_INDEX_VERSION;
  segment: string;
  /** What the offsets count: the plain segment's bytes, or the gzipped file's (one member per block). */
  form: 'plain' | 'gzip';
  /** Size of the file the offsets describe: a file of another size (recompressed, edited) is read in full. */
  fileBytes: number;
  /** Membership filters of the whole segment. */
  actors: BloomFilter;
  actions: BloomFilter;
  resources: BloomFilter;
  blocks: SegmentBlock[];
}

export interface SegmentBlock {
  at: number;
  bytes: number;
  lines: number;
  time?: [string, string];
  actors: BloomFilter;
  actions: BloomFilter;
  resources: BloomFilter;
}

export interface IndexCommitment {
  segment: string;
  sha256: string;
}

/** FNV-1a over UTF-16 units with a seed: two of them drive the k probes (double hashing). */
function fnv(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function probes(s: string, k: number, m: number): number[] {
  const a = fnv(s, 0);
  const b = fnv(s, 0x5bd1e995) | 1;
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push((a + Math.imul(i, b)) >>> (0 % m));
  return out.map((x) => x % m);
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A filter every value passes: for segments whose entries' content the index cannot see (encrypted). */
const BLOOM_ALL: BloomFilter = { bits: toBase64(new Uint8Array(8).fill(255)), k: 1 };

/** About 1% false positives: 10 bits and 7 probes per distinct value. */
function bloomOf(values: ReadonlySet<string>, sealed = 0): BloomFilter {
  if (sealed > 0) return BLOOM_ALL;
  const m = Math.max(64, Math.ceil((values.size * 10) / 8) * 8);
  const bits = new Uint8Array(m / 8);
  for (const v of values) for (const p of probes(v, 7, m)) bits[p >> 3] = (bits[p >> 3] as number) | (1 << (p & 7));
  return { bits: toBase64(bits), k: 7 };
}

/** False when `value` is certainly not in the filter. */
export function bloomHas(f: BloomFilter, value: string): boolean {
  const bits = fromBase64(f.bits);
  const m = bits.length * 8;
  if (m === 0) return false;
  return probes(value, f.k, m).every((p) => ((bits[p >> 3] as number) & (1 << (p & 7))) !== 0);
}

/** The values a query filter compares, as the index keeps them. */
const actorKeys = (e: AuditEntry): string[] => [
  e.actor?.id ?? e.actor?.type ?? '',
  ...(e.actor?.impersonator?.id ? [e.actor.impersonator.id] : []),
];

export class SegmentIndexBuilder {
  #entries = 0;
  #first: string | undefined;
  #last: string | undefined;
  readonly #chains = new Map<string, [number, number]>();
  readonly #links = new Map<string, [string, string]>();
  readonly #outcomes = new Set<string>();
  readonly #kinds = new Set<string>();
  readonly #services = new Set<string>();
  readonly #statusClasses = new Set<string>();
  readonly #actors = new Set<string>();
  readonly #actions = new Set<string>();
  readonly #resources = new Set<string>();
  readonly #commits: IndexCommitment[] = [];
  #sealed = 0;

  add(e: AuditEntry): void {
    this.#entries++;
    if (e.enc !== undefined || e.pii !== undefined) this.#sealed++; // content (or the actor) the index cannot see
    if (this.#first === undefined || e.ts < this.#first) this.#first = e.ts;
    if (this.#last === undefined || e.ts > this.#last) this.#last = e.ts;
    const c = this.#chains.get(e.chain);
    const l = this.#links.get(e.chain);
    if (!c || !l) {
      this.#chains.set(e.chain, [e.seq, e.seq]);
      this.#links.set(e.chain, [e.prev, e.hash]);
    } else {
      if (e.seq < c[0]) [c[0], l[0]] = [e.seq, e.prev];
      if (e.seq > c[1]) [c[1], l[1]] = [e.seq, e.hash];
    }
    if (e.outcome) this.#outcomes.add(e.outcome);
    this.#kinds.add(e.kind);
    if (e.service?.name) this.#services.add(e.service.name);
    if (e.http?.status !== undefined) this.#statusClasses.add(`${Math.floor(e.http.status / 100)}xx`);
    for (const a of actorKeys(e)) this.#actors.add(a);
    if (e.action !== undefined) this.#actions.add(e.action);
    if (e.resource) {
      this.#resources.add(e.resource.type);
      if (e.resource.id !== undefined) this.#resources.add(`${e.resource.type}:${e.resource.id}`);
    }
    const idx = (e.details as { index?: { segment?: unknown; sha256?: unknown } } | undefined)?.index;
    if (e.kind === 'notice' && typeof idx?.segment === 'string' && typeof idx.sha256 === 'string')
      this.#commits.push({ segment: idx.segment, sha256: idx.sha256 });
  }

  finish(segment: string): SegmentIndex {
    return {
      v: SEGMENT_INDEX_VERSION,
      segment,
      entries: this.#entries,
      ...(this.#first !== undefined && this.#last !== undefined ? { time: [this.#first, this.#last] as [string, string] } : {}),
      chains: Object.fromEntries(this.#chains),
      links: Object.fromEntries(this.#links),
      outcomes: [...this.#outcomes].sort(),
      kinds: [...this.#kinds].sort(),
      services: [...this.#services].sort(),
      statusClasses: [...this.#statusClasses].sort(),
      actors: bloomOf(this.#actors, this.#sealed),
      actions: bloomOf(this.#actions, this.#sealed),
      resources: bloomOf(this.#resources, this.#sealed),
      commits: this.#commits,
      ...(this.#sealed > 0 ? { sealed: this.#sealed } : {}),
    };
  }
}

/** What a query asks for, in the terms of the index (literal values only: a pattern is not checked). */
export interface IndexCriteria {
  actor?: string;
  action?: string;
  /** `type` or `type:id`. */
  resource?: string;
  outcomes?: string[];
  /** `403` or `4xx` forms. */
  statuses?: string[];
  kinds?: string[];
  service?: string;
  /** Epoch ms, [since, until). */
  since?: number;
  until?: number;
}

/** A block's summary from a builder that saw only that block's entries. */
export function blockOf(ix: SegmentIndex, at: number, bytes: number, lines: number): SegmentBlock {
  const { actors, actions, resources } = ix as Required<SegmentIndex>;
  return { at, bytes, lines, ...(ix.time ? { time: ix.time } : {}), actors, actions, resources };
}

type Filters = Pick<SegmentIndex, 'actors' | 'actions' | 'resources'>;

/** False when the membership filters rule the criteria out (a filter absent rules nothing out). */
export function filtersMayMatch(f: Filters, q: IndexCriteria): boolean {
  if (q.actor !== undefined && f.actors && !bloomHas(f.actors, q.actor)) return false;
  if (q.action !== undefined && f.actions && !bloomHas(f.actions, q.action)) return false;
  return q.resource === undefined || !f.resources || bloomHas(f.resources, q.resource);
}

/** False when no entry of the block can match the criteria (the filters a block keeps). */
export function blockMayMatch(b: SegmentBlock, q: IndexCriteria): boolean {
  if (b.time) {
    if (q.since !== undefined && Date.parse(b.time[1]) < q.since) return false;
    if (q.until !== undefined && Date.parse(b.time[0]) >= q.until) return false;
  }
  return filtersMayMatch(b, q);
}

/** False when no entry of the segment can match the criteria; true when one may. */
export function segmentMayMatch(ix: SegmentIndex, q: IndexCriteria): boolean {
  if (ix.time) {
    if (q.since !== undefined && Date.parse(ix.time[1]) < q.since) return false;
    if (q.until !== undefined && Date.parse(ix.time[0]) >= q.until) return false;
  } else if (ix.entries === 0) return false;
  if (!filtersMayMatch(ix, q)) return false;
  if (typeof ix.sealed === 'number' && ix.sealed > 0) return q.kinds === undefined || q.kinds.some((k) => ix.kinds.includes(k));
  if (q.outcomes && !q.outcomes.some((o) => ix.outcomes.includes(o))) return false;
  if (q.kinds && !q.kinds.some((k) => ix.kinds.includes(k))) return false;
  if (q.service !== undefined && !ix.services.includes(q.service)) return false;
  if (q.statuses && !q.statuses.some((s) => ix.statusClasses.includes(/^\d{3}$/.test(s) ? `${s[0]}xx` : s.toLowerCase()))) return false;
  return true;
}
