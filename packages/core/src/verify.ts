/**
 * @auditready/core/verify: prove a log complete and untampered, or say exactly where it is not
 * (docs/spec/hash-chain.md §Verification).
 *
 * Input: any iterable or async iterable of lines (strings) or parsed entries, optionally with
 * positions (file, line). Several chains may be interleaved. The verifier keeps going after the
 * first break, as CloudTrail's validate-logs does, and reports per chain: count, first and last
 * seq, head hash, every break with its kind and position, and the gaps the chain itself declared.
 *
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
 *
 * Memory is bounded: per chain, the hashes of the last `window` seqs are kept for reorder and
 * duplicate detection; entries further back that reappear are reported as reordered.
 */

import { AuditConfigError, AuditInputError } from './errors.js';
import { type AuditKey, hashCanonical, hashLineBytes, type ResolvedKey, resolveKey, ZERO_HASH } from './hash.js';
import { canonicalForms } from './hash-chain.js';
import { checkEntry } from './schema.js';
import type { AuditEntry, ChainHead } from './types.js';

export type BreakKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'duplicated'
  | 'truncated'
  | 'forked'
  | 'unparseable'
  | 'wrong-key';

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
  message: string;
}

export interface DeclaredGap {
  from: number;
  to: number;
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

export interface ChainReport {
  chain: string;
  valid: boolean;
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
  /** The previous chain this one links to from its genesis, if any. */
  previous?: ChainHead;
}

export interface VerifyReport {
  /** True when no chain has a break and no line was unparseable. */
  valid: boolean;
  /** Lines or items read (blank lines excluded). */
  items: number;
  entries: number;
  chains: ChainReport[];
  /** Every break, in input order (breaks of all chains plus unparseable lines). */
  breaks: VerifyBreak[];
}

export interface VerifyOptions {
  /** HMAC keys for keyed chains, matched by key id (`kid`). */
  keys?: AuditKey[];
  /** Commitments held elsewhere: the verifier reports `truncated` if a chain ends before one. */
  anchors?: ChainHead[];
  /**
   * Chains may start after seq 0 (a verifier over a later segment of a log). Default false: a chain
   * whose first entry is not seq 0 reports the missing beginning as `deleted`.
   */
  allowPartialStart?: boolean;
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
}

export type VerifyItem = string | AuditEntry | Record<string, unknown> | { line?: string; entry?: unknown; file?: string; lineNo?: number };

interface SeqRecord {
  hash: string;
  computed: string;
  pos: Position;
  /** Index in breaks of this entry's own break (modified ...), if any. */
  breakIdx?: number;
  /** Some accepted entry linked to this one. */
  continued: boolean;
}

/**
 * The last `max` seqs of a chain, in a ring indexed by seq (O(1), no hashing, no deletions). It
 * starts small and doubles up to `max`, so many short chains stay cheap.
 */
class SeqWindow {
  #slots: (SeqRecord | undefined)[] = new Array(256);
  #seqs: number[] = new Array(256).fill(-1);
  #cap = 256;
  #sets = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(seq: number): SeqRecord | undefined {
    const i = seq % this.#cap;
    return this.#seqs[i] === seq ? this.#slots[i] : undefined;
  }

  set(seq: number, rec: SeqRecord): void {
    if (++this.#sets > this.#cap && this.#cap < this.#max) this.#grow();
    const i = seq % this.#cap;
    this.#seqs[i] = seq;
    this.#slots[i] = rec;
  }

  #grow(): void {
    const oldSlots = this.#slots;
    const oldSeqs = this.#seqs;
    this.#cap = Math.min(this.#max, this.#cap * 2);
    this.#slots = new Array(this.#cap);
    this.#seqs = new Array(this.#cap).fill(-1);
    for (let i = 0; i < oldSeqs.length; i++) {
      const q = oldSeqs[i] as number;
      if (q < 0) continue;
      const j = q % this.#cap;
      // Keep the newer seq if two old ones land on the same slot.
      if ((this.#seqs[j] as number) < q) {
        this.#seqs[j] = q;
        this.#slots[j] = oldSlots[i];
      }
    }
  }
}

interface Missing {
  from: number;
  to: number;
  breakIdx: number;
}

interface Alt {
  seq: number;
  pos: Position;
  breakIdx: number;
  forked: boolean;
}

interface ChainState {
  id: string;
  count: number;
  firstSeq: number;
  maxSeq: number;
  expected: number;
  headHash: string;
  /** Hashes the next entry's prev may equal (stored and recomputed hash of the head). */
  accept: string[];
  bySeq: SeqWindow;
  missing: Missing[];
  alts: Map<string, Alt>;
  keyIds: Set<string>;
  keyStats: Map<string, { ok: number; bad: number[] }>;
  missingKeyReported: Set<string>;
  declared: DeclaredGap[];
  retained: RetainedRange[];
  previous?: ChainHead;
  firstPrev?: string;
  firstPos?: Position;
  genesisPos?: Position;
}

const KIND_ORDER: Record<string, number> = {};

/**
 * True when `line` is the beginning of a JSON object cut short (a torn write): it opens with `{`
 * and ends inside a string or with an object or array still open. A torn write can end right after
 * a nested value (`..."details":{"i":1}`), so the last character alone does not tell.
 */
function isJsonPrefix(line: string): boolean {
  const t = line.trimStart();
  if (!t.startsWith('{')) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return inString || depth > 0;
}

/** Incremental verifier: push items in order, then finish(). */
export class Verifier {
  readonly #keys = new Map<string, ResolvedKey>();
  readonly #anchors: ChainHead[];
  readonly #allowPartialStart: boolean;
  readonly #requireCanonical: boolean;
  readonly #window: number;
  readonly #fastPath: boolean;
  readonly #chains = new Map<string, ChainState>();
  /** The chain of the previous fast-path line (see pushBytes). */
  #lastChain: ChainState | undefined;
  /** Ranges removed by retention, as declared by `retention` records (any chain may declare them). */
  readonly #retained: (RetainedRange & { chain: string; lastHash?: string })[] = [];
  /** All breaks in input order; reclassification edits entries in place, removal sets null. */
  readonly #breaks: (VerifyBreak | null)[] = [];
  #items = 0;
  #entries = 0;
  #autoLine = 0;
  #pendingTorn: { idx: number; file: string | undefined } | undefined;
  #finished = false;

  constructor(options: VerifyOptions = {}) {
    if (options === null || typeof options !== 'object') throw new AuditConfigError('verify options must be an object');
    if (options.keys !== undefined && !Array.isArray(options.keys))
      throw new AuditConfigError('keys must be an array of { id, secret }', { path: 'keys' });
    if (
      options.anchors !== undefined &&
      (!Array.isArray(options.anchors) ||
        !options.anchors.every(
          (a) =>
            a !== null && typeof a === 'object' && typeof a.chain === 'string' && Number.isSafeInteger(a.seq) && typeof a.hash === 'string',
        ))
    ) {
      throw new AuditConfigError('anchors must be an array of { chain, seq, hash }', { path: 'anchors' });
    }
    if (options.window !== undefined && (!Number.isInteger(options.window) || options.window < 1))
      throw new AuditConfigError('window must be a positive integer', { path: 'window' });
    for (const [i, k] of (options.keys ?? []).entries()) {
      const r = resolveKey(k, `keys[${i}]`);
      this.#keys.set(r.id, r);
    }
    this.#anchors = options.anchors ?? [];
    this.#allowPartialStart = options.allowPartialStart === true;
    this.#requireCanonical = options.requireCanonical !== false;
    this.#window = options.window ?? 100_000;
    this.#fastPath = options.fastPath !== false;
  }

  #add(b: VerifyBreak): number {
    // A run of consecutive reordered or duplicated seqs (a whole segment out of place, a file
    // concatenated twice) is one break with a range, not thousands.
    if ((b.kind === 'reordered' || b.kind === 'duplicated') && b.seq !== undefined) {
      const last = this.#breaks[this.#breaks.length - 1];
      if (last && last.kind === b.kind && last.chain === b.chain && last.file === b.file && (last.toSeq ?? last.seq) === b.seq - 1) {
        last.toSeq = b.seq;
        last.message = `seqs ${last.seq}..${b.seq} ${b.kind === 'reordered' ? 'appear after later entries' : 'appear again'}`;
        return this.#breaks.length - 1;
      }
    }
    this.#breaks.push(b);
    return this.#breaks.length - 1;
  }

  /** Adds one line or entry. `pos` defaults to the item's own file/lineNo or a running count. */
  push(item: VerifyItem, pos?: Position): void {
    this.#push(item, pos, this.#fastPath);
  }

  #push(item: VerifyItem, pos: Position | undefined, tryFast: boolean): void {
    if (this.#finished) throw new Error('Verifier.push() after finish()');
    let line: string | undefined;
    let parsed: unknown;
    let where: Position;
    if (typeof item === 'string') {
      line = item;
      where = pos ?? { line: ++this.#autoLine };
    } else if (item !== null && typeof item === 'object' && ('line' in item || 'entry' in item) && !('chain' in item)) {
      const w = item as { line?: string; entry?: unknown; file?: string; lineNo?: number };
      line = w.line;
      parsed = w.entry;
      where = pos ?? { ...(w.file !== undefined ? { file: w.file } : {}), line: w.lineNo ?? ++this.#autoLine };
    } else {
      parsed = item;
      where = pos ?? { line: ++this.#autoLine };
    }
    if (line !== undefined) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() === '') return;
    }
    this.#items++;
    if (this.#pendingTorn && this.#pendingTorn.file !== where.file) this.#resolveTorn();
    else this.#pendingTorn = undefined;

    if (parsed === undefined && line !== undefined) {
      // Fast path: the line's own bytes, when it is the next entry of a known chain (see #fast).
      if (tryFast) {
        const bytes = UTF8_ENCODER.encode(line);
        if (this.#fast(bytes, 0, bytes.length, where)) return;
      }
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        const idx = this.#add({ kind: 'unparseable', ...where, message: `not JSON: ${(err as Error).message}` });
        if (isJsonPrefix(line)) this.#pendingTorn = { idx, file: where.file };
        return;
      }
    }
    const schema = checkEntry(parsed);
    if (!schema.valid) {
      const chain =
        parsed !== null && typeof parsed === 'object' && typeof (parsed as { chain?: unknown }).chain === 'string'
          ? (parsed as { chain: string }).chain
          : undefined;
      const seq =
        parsed !== null && typeof parsed === 'object' && Number.isSafeInteger((parsed as { seq?: unknown }).seq)
          ? (parsed as { seq: number }).seq
          : undefined;
      const detail = schema.errors
        .slice(0, 3)
        .map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`)
        .join('; ');
      this.#add({
        kind: 'unparseable',
        ...(chain !== undefined ? { chain } : {}),
        ...(seq !== undefined ? { seq } : {}),
        ...where,
        message: `not a valid entry: ${detail}`,
      });
      return;
    }
    this.#entries++;
    this.#onEntry(parsed as AuditEntry, line, where);
  }

  /**
   * Adds one line given as bytes: `buf[start, end)`, without its newline. The common case, the
   * next entry of a chain linking to its head, is checked from the bytes without decoding or
   * parsing; everything else is decoded and takes the full path of push().
   */
  pushBytes(buf: Uint8Array, start: number, end: number, pos: Position): void {
    if (this.#finished) throw new Error('Verifier.pushBytes() after finish()');
    if (end > start && buf[end - 1] === 13) end--; // CRLF
    if (end === start) return;
    if (this.#fastPath && this.#fast(buf, start, end, pos)) {
      this.#items++;
      if (this.#pendingTorn) {
        if (this.#pendingTorn.file !== pos.file) this.#resolveTorn();
        else this.#pendingTorn = undefined;
      }
      return;
    }
    this.#push(UTF8.decode(buf.subarray(start, end)), pos, false);
  }

  /**
   * The fast path: a canonical line that is the next entry of a chain already seen, links to its
   * head, and whose hash matches its own bytes (the `"hash":"…",` member cut out) is exactly what
   * was sealed; only its chain fields are needed, read from the bytes without decoding or parsing.
   * Returns false for anything else (first entries, breaks, library records with content), which
   * then takes the full path. Tests check both paths give identical reports.
   */
  #fast(buf: Uint8Array, start: number, end: number, pos: Position): boolean {
    const scan = scanBytes(buf, start, end);
    if (!scan) return false;
    // Most lines continue the chain of the line before: compare bytes, skip the map lookup.
    let s = this.#lastChain;
    if (s === undefined || !bytesEqual(buf, scan.chainStart, scan.chainEnd, s.id)) {
      s = this.#chains.get(ascii(buf, scan.chainStart, scan.chainEnd));
      if (s) this.#lastChain = s;
    }
    const head = s?.accept[0];
    if (
      !s ||
      s.expected !== scan.seq ||
      s.accept.length !== 1 ||
      head === undefined ||
      !bytesEqual(buf, scan.prevStart, scan.prevEnd, head)
    )
      return false;
    const kid = scan.kidStart < 0 ? undefined : ascii(buf, scan.kidStart, scan.kidEnd);
    const key = kid === undefined ? undefined : this.#keys.get(kid);
    if (kid !== undefined && key === undefined) return false;
    const hash = hashLineBytes(buf, start, scan.hashStart, scan.hashEnd, end, key);
    if (!bytesEqual(buf, scan.hashValStart, scan.hashValEnd, hash)) return false;
    // The bookkeeping of #onEntry + #accept for exactly this case.
    this.#entries++;
    const seq = scan.seq;
    s.count++;
    const prevRec = s.bySeq.get(seq - 1);
    if (prevRec) prevRec.continued = true;
    s.bySeq.set(seq, { hash, computed: hash, pos, continued: false });
    s.expected = seq + 1;
    s.headHash = hash;
    s.accept[0] = hash;
    if (seq > s.maxSeq) s.maxSeq = seq;
    if (kid !== undefined) {
      s.keyIds.add(kid);
      const st = s.keyStats.get(kid);
      if (st) st.ok++;
      else s.keyStats.set(kid, { ok: 1, bad: [] });
    }
    return true;
  }

  #resolveTorn(): void {
    const t = this.#pendingTorn;
    this.#pendingTorn = undefined;
    const b = t ? this.#breaks[t.idx] : undefined;
    if (b) {
      b.kind = 'truncated';
      b.message = `last line is a partial entry (torn write): ${b.message}`;
    }
  }

  #state(e: AuditEntry): ChainState {
    let s = this.#chains.get(e.chain);
    if (!s) {
      s = {
        id: e.chain,
        count: 0,
        firstSeq: e.seq,
        maxSeq: -1,
        expected: -1,
        headHash: '',
        accept: [],
        bySeq: new SeqWindow(this.#window),
        missing: [],
        alts: new Map(),
        keyIds: new Set(),
        keyStats: new Map(),
        missingKeyReported: new Set(),
        declared: [],
        retained: [],
      };
      this.#chains.set(e.chain, s);
    }
    return s;
  }

  #remember(s: ChainState, seq: number, rec: SeqRecord): void {
    s.bySeq.set(seq, rec);
  }

  #onEntry(e: AuditEntry, line: string | undefined, pos: Position): void {
    const s = this.#state(e);
    s.count++;
    const brk = (kind: BreakKind, seq: number, message: string, p: Position = pos, toSeq?: number) =>
      this.#add({ kind, chain: s.id, seq, ...(toSeq !== undefined && toSeq !== seq ? { toSeq } : {}), ...p, message });

    // 1. The entry on its own: does its content match its hash?
    let key: ResolvedKey | undefined;
    let checkable = true;
    if (e.kid !== undefined) {
      s.keyIds.add(e.kid);
      key = this.#keys.get(e.kid);
      if (!key) {
        checkable = false;
        if (!s.missingKeyReported.has(e.kid)) {
          s.missingKeyReported.add(e.kid);
          brk('wrong-key', e.seq, `entries are keyed with "${e.kid}" and no key with that id was supplied: their hashes cannot be checked`);
        }
      }
    }
    const forms = canonicalForms(e);
    const computed = checkable ? hashCanonical(forms.unhashed, key) : e.hash;
    const hashOk = computed === e.hash;
    let ownBreak: number | undefined;
    if (!hashOk) {
      ownBreak = -1; // filled in below, once we know which seq this line stands for
    } else if (this.#requireCanonical && line !== undefined && line !== forms.line) {
      ownBreak = brk(
        'modified',
        e.seq,
        'line is not in canonical form (same content as hashed, but the bytes differ: whitespace, key order, escapes or duplicate keys)',
      );
    }
    if (e.kid !== undefined && key) {
      let st = s.keyStats.get(e.kid);
      if (!st) s.keyStats.set(e.kid, (st = { ok: 0, bad: [] }));
      if (hashOk) st.ok++;
    }

    // 2. Its place in the chain.
    let seq = e.seq;
    if (s.expected === -1) {
      // First entry of this chain in the input.
      s.firstPrev = e.prev;
      s.firstPos = pos;
      const anchor = this.#anchors.find((a) => a.chain === s.id && a.seq === seq - 1);
      if (seq === 0) {
        if (e.prev !== ZERO_HASH) ownBreak = this.#fill(ownBreak, brk, 'modified', seq, 'seq 0 must have prev = 64 zeros');
      } else if (anchor) {
        if (e.prev !== anchor.hash && hashOk) brk('modified', seq - 1, `entry ${seq} does not link to the anchored hash of seq ${seq - 1}`);
      } else if (!this.#allowPartialStart) {
        const idx = brk('deleted', 0, `chain starts at seq ${seq}: seqs 0..${seq - 1} are missing`, pos, seq - 1);
        s.missing.push({ from: 0, to: seq - 1, breakIdx: idx });
      }
      if (!hashOk) ownBreak = this.#fill(ownBreak, brk, 'modified', seq, this.#modifiedMessage(e, key));
      this.#accept(s, e, seq, computed, pos, ownBreak);
      this.#afterAccept(s, e, seq, pos);
      return;
    }

    const linksHead = s.accept.includes(e.prev);
    if (!hashOk && seq !== s.expected && linksHead) {
      // The seq field itself was edited: the entry still links to the head, so it stands for `expected`.
      ownBreak = this.#fill(
        ownBreak,
        brk,
        'modified',
        s.expected,
        `content does not match hash; its seq field reads ${seq} but it links to seq ${s.expected - 1}`,
      );
      seq = s.expected;
      this.#accept(s, e, seq, computed, pos, ownBreak);
      this.#afterAccept(s, e, seq, pos);
      return;
    }
    if (!hashOk) ownBreak = this.#fill(ownBreak, brk, 'modified', seq, this.#modifiedMessage(e, key));

    if (seq === s.expected) {
      if (!linksHead) {
        const alt = s.alts.get(e.prev);
        const prevRec = s.bySeq.get(seq - 1);
        if (alt && alt.seq === seq - 1) {
          this.#switchToAlt(s, e.prev, alt, prevRec);
        } else if (hashOk && prevRec && !s.missing.some((m) => m.from <= seq - 1 && seq - 1 <= m.to)) {
          const b = this.#breaks[prevRec.breakIdx ?? -1];
          if (b) b.message += '; the next entry links to yet another hash';
          else
            prevRec.breakIdx = brk(
              'modified',
              seq - 1,
              `entry ${seq} links to a different hash than entry ${seq - 1} has: entry ${seq - 1} was changed and re-hashed, or replaced`,
              prevRec.pos,
            );
        }
      }
      this.#accept(s, e, seq, computed, pos, ownBreak);
    } else if (seq > s.expected) {
      // A hole: tentatively deleted; reclassified if the seqs show up later or a gap record covers them.
      const from = s.expected;
      const idx = brk('deleted', from, from === seq - 1 ? `seq ${from} is missing` : `seqs ${from}..${seq - 1} are missing`, pos, seq - 1);
      s.missing.push({ from, to: seq - 1, breakIdx: idx });
      this.#accept(s, e, seq, computed, pos, ownBreak);
    } else {
      this.#late(s, e, seq, computed, hashOk, pos, ownBreak, brk);
    }
    this.#afterAccept(s, e, seq, pos);
  }

  #modifiedMessage(e: AuditEntry, key: ResolvedKey | undefined): string {
    return key ? `content does not match its HMAC (key "${e.kid}")` : 'content does not match its hash';
  }

  /** Turns a pending own-break placeholder (-1) into a real break. */
  #fill(
    own: number | undefined,
    brk: (k: BreakKind, seq: number, m: string) => number,
    kind: BreakKind,
    seq: number,
    message: string,
  ): number {
    if (own !== undefined && own >= 0) return own;
    return brk(kind, seq, message);
  }

  /** Remembers an entry at its seq, and marks its predecessor as continued if it links to it. */
  #place(s: ChainState, e: AuditEntry, seq: number, computed: string, pos: Position, ownBreak: number | undefined): void {
    const prevRec = s.bySeq.get(seq - 1);
    if (prevRec && (prevRec.hash === e.prev || prevRec.computed === e.prev)) prevRec.continued = true;
    this.#remember(s, seq, {
      hash: e.hash,
      computed,
      pos,
      ...(ownBreak !== undefined && ownBreak >= 0 ? { breakIdx: ownBreak } : {}),
      continued: false,
    });
  }

  #accept(s: ChainState, e: AuditEntry, seq: number, computed: string, pos: Position, ownBreak: number | undefined): void {
    this.#place(s, e, seq, computed, pos, ownBreak);
    s.expected = seq + 1;
    s.headHash = e.hash;
    s.accept = computed === e.hash ? [e.hash] : [e.hash, computed];
    if (seq > s.maxSeq) s.maxSeq = seq;
    if (e.kid !== undefined && ownBreak !== undefined && ownBreak >= 0) {
      const b = this.#breaks[ownBreak];
      if (b?.kind === 'modified' && b.message.startsWith('content does not match its HMAC')) s.keyStats.get(e.kid)?.bad.push(ownBreak);
    }
  }

  #afterAccept(s: ChainState, e: AuditEntry, seq: number, pos: Position): void {
    const through = (e.details as { through?: unknown } | undefined)?.through;
    if (e.kind === 'retention' && Array.isArray(through)) {
      for (const t of through) {
        const x = t as { chain?: unknown; seq?: unknown; hash?: unknown };
        if (typeof x.chain === 'string' && Number.isSafeInteger(x.seq)) {
          this.#retained.push({
            chain: x.chain,
            from: 0,
            to: x.seq as number,
            file: '(segments removed by retention)',
            declaredAt: { chain: s.id, seq },
            ...(typeof x.hash === 'string' ? { lastHash: x.hash } : {}),
          });
        }
      }
    }
    if (e.kind === 'retention' && Array.isArray((e.details as { removed?: unknown } | undefined)?.removed)) {
      for (const r of (e.details as { removed: unknown[] }).removed) {
        const x = r as { chain?: unknown; firstSeq?: unknown; lastSeq?: unknown; file?: unknown };
        if (typeof x.chain === 'string' && Number.isSafeInteger(x.firstSeq) && Number.isSafeInteger(x.lastSeq)) {
          this.#retained.push({
            chain: x.chain,
            from: x.firstSeq as number,
            to: x.lastSeq as number,
            file: typeof x.file === 'string' ? x.file : '',
            declaredAt: { chain: s.id, seq },
          });
        }
      }
    }
    if (e.kind === 'gap' && e.details) {
      const d = e.details as { from?: unknown; to?: unknown; count?: unknown };
      if (Number.isSafeInteger(d.from) && Number.isSafeInteger(d.to) && Number.isSafeInteger(d.count)) {
        s.declared.push({
          from: d.from as number,
          to: d.to as number,
          count: d.count as number,
          reason: e.reason ?? 'gap',
          declaredAt: seq,
        });
      }
    }
    if (e.kind === 'genesis' && seq === 0) {
      s.genesisPos = pos;
      const p = (e.details as { previous?: ChainHead } | undefined)?.previous;
      if (p && typeof p.chain === 'string' && Number.isSafeInteger(p.seq) && typeof p.hash === 'string')
        s.previous = { chain: p.chain, seq: p.seq, hash: p.hash };
    }
  }

  /** An entry whose seq is below the next expected one. */
  #late(
    s: ChainState,
    e: AuditEntry,
    seq: number,
    computed: string,
    hashOk: boolean,
    pos: Position,
    ownBreak: number | undefined,
    brk: (k: BreakKind, seq: number, m: string, p?: Position, to?: number) => number,
  ): void {
    // Filling a hole: it was reordered, not deleted.
    const mi = s.missing.findIndex((m) => m.from <= seq && seq <= m.to);
    if (mi >= 0) {
      const m = s.missing[mi] as Missing;
      const b = this.#breaks[m.breakIdx] as VerifyBreak;
      const pieces: Missing[] = [];
      if (m.from < seq) pieces.push({ from: m.from, to: seq - 1, breakIdx: m.breakIdx });
      if (seq < m.to) pieces.push({ from: seq + 1, to: m.to, breakIdx: -1 });
      if (pieces.length === 0) this.#breaks[m.breakIdx] = null;
      else {
        const first = pieces[0] as Missing;
        if (first.breakIdx === -1) first.breakIdx = m.breakIdx;
        for (const p of pieces) {
          if (p.breakIdx === -1) p.breakIdx = this.#add({ ...b, seq: p.from, message: '' });
          const pb = this.#breaks[p.breakIdx] as VerifyBreak;
          pb.seq = p.from;
          if (p.to !== p.from) pb.toSeq = p.to;
          else delete pb.toSeq;
          pb.message = p.from === p.to ? `seq ${p.from} is missing` : `seqs ${p.from}..${p.to} are missing`;
        }
      }
      s.missing.splice(mi, 1, ...pieces);
      if (ownBreak === undefined) brk('reordered', seq, `seq ${seq} appears after seq ${s.expected - 1}`);
      this.#place(s, e, seq, computed, pos, ownBreak);
      return;
    }
    const known = s.bySeq.get(seq);
    if (!known) {
      if (ownBreak === undefined)
        brk(
          'reordered',
          seq,
          `seq ${seq} appears after seq ${s.expected - 1} (older than the verifier's window, or a duplicate of an entry outside it)`,
        );
      return;
    }
    if (known.hash === e.hash) {
      if (ownBreak === undefined) brk('duplicated', seq, `seq ${seq} appears again (first at ${describePos(known.pos)})`);
      return;
    }
    // Another entry claims a seq already taken.
    const altParent = s.alts.get(e.prev);
    if (altParent && altParent.seq === seq - 1) {
      // The alternative branch goes on: two continuations of one entry.
      s.alts.delete(e.prev);
      if (!altParent.forked) {
        const b = this.#breaks[altParent.breakIdx];
        if (b) {
          b.kind = 'forked';
          b.message = `two continuations of seq ${b.seq! - 1}: another line of entries continues from ${describePos(b)}`;
        }
      }
      s.alts.set(e.hash, { ...altParent, seq, forked: true });
      return;
    }
    if (ownBreak !== undefined && ownBreak >= 0) {
      const b = this.#breaks[ownBreak] as VerifyBreak;
      b.kind = 'inserted';
      b.message = `an extra entry claims seq ${seq} (already at ${describePos(known.pos)}) and does not match its hash`;
      return;
    }
    const parent = s.bySeq.get(seq - 1);
    const idx = brk('inserted', seq, `an extra entry claims seq ${seq} (already at ${describePos(known.pos)})`);
    if (hashOk && (parent === undefined || parent.hash === e.prev || parent.computed === e.prev)) {
      s.alts.set(e.hash, { seq, pos, breakIdx: idx, forked: false });
    }
  }

  /** The next entry continues the alternative at seq-1: the one we had accepted there was the extra one. */
  #switchToAlt(s: ChainState, altHash: string, alt: Alt, superseded: SeqRecord | undefined): void {
    s.alts.delete(altHash);
    const altBreak = this.#breaks[alt.breakIdx];
    if (superseded?.continued) {
      // Both lines continue: a fork.
      if (altBreak) {
        altBreak.kind = 'forked';
        altBreak.message = `two continuations of seq ${alt.seq - 1}`;
      }
    } else if (superseded) {
      this.#breaks[alt.breakIdx] = null;
      const own = superseded.breakIdx !== undefined ? this.#breaks[superseded.breakIdx] : undefined;
      if (own) {
        own.kind = 'inserted';
        own.message = `an extra entry claims seq ${alt.seq}; the chain continues from the entry at ${describePos(alt.pos)}`;
      } else {
        this.#add({
          kind: 'inserted',
          chain: s.id,
          seq: alt.seq,
          ...superseded.pos,
          message: `an extra entry claims seq ${alt.seq}; the chain continues from the entry at ${describePos(alt.pos)}`,
        });
      }
    }
    const rec = s.bySeq.get(alt.seq);
    if (rec) {
      s.bySeq.set(alt.seq, { hash: altHash, computed: altHash, pos: alt.pos, continued: true });
    }
    s.accept = [altHash];
  }

  /** Ends the input; returns the report. */
  finish(): VerifyReport {
    if (!this.#finished) {
      this.#finished = true;
      if (this.#pendingTorn) this.#resolveTorn();
      this.#finishChains();
    }
    const breaks = this.#breaks.filter((b): b is VerifyBreak => b !== null);
    const chains: ChainReport[] = [...this.#chains.values()].map((s) => {
      const own = breaks.filter((b) => b.chain === s.id);
      const headRec = s.bySeq.get(s.maxSeq);
      return {
        chain: s.id,
        valid: own.length === 0,
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
        ...(s.previous ? { previous: s.previous } : {}),
      };
    });
    void KIND_ORDER;
    return { valid: breaks.length === 0, items: this.#items, entries: this.#entries, chains, breaks };
  }

  #finishChains(): void {
    for (const s of this.#chains.values()) {
      // Keyed chains where no entry verifies: the key is wrong, not every entry modified.
      for (const [kid, st] of s.keyStats) {
        if (st.ok === 0 && st.bad.length > 0) {
          const first = this.#breaks[st.bad[0] as number];
          for (const i of st.bad) this.#breaks[i] = null;
          this.#add({
            kind: 'wrong-key',
            chain: s.id,
            ...(first?.seq !== undefined ? { seq: first.seq } : {}),
            ...(first?.file !== undefined ? { file: first.file } : {}),
            ...(first?.line !== undefined ? { line: first.line } : {}),
            message: `the key "${kid}" verifies none of the ${st.bad.length} keyed entries: wrong key`,
          });
        }
      }
      // Holes the chain declared with gap records are not tampering.
      for (const m of s.missing) {
        const g = s.declared.find((d) => d.from <= m.from && m.to <= d.to);
        if (g) this.#breaks[m.breakIdx] = null;
      }
      // Nor are segments removed by retention, as long as retention records cover every seq.
      const ranges = this.#retained.filter((r) => r.chain === s.id).sort((a, b) => a.from - b.from);
      for (const m of s.missing) {
        if (this.#breaks[m.breakIdx] === null) continue;
        let next = m.from;
        for (const r of ranges) if (r.from <= next && r.to >= next) next = r.to + 1;
        if (next > m.to) {
          this.#breaks[m.breakIdx] = null;
          for (const r of ranges) {
            if (r.to < m.from || r.from > m.to) continue;
            if (!s.retained.some((x) => x.from === r.from && x.to === r.to))
              s.retained.push({ from: r.from, to: r.to, file: r.file, declaredAt: r.declaredAt });
          }
          // The first entry kept after a retained prefix must link to the hash the record names.
          const edge = ranges.find((r) => r.to === s.firstSeq - 1 && r.lastHash !== undefined);
          if (m.from === 0 && edge && s.firstPrev !== undefined && s.firstPrev !== edge.lastHash) {
            this.#add({
              kind: 'modified',
              chain: s.id,
              seq: s.firstSeq,
              ...(s.firstPos ?? {}),
              message: `a retention record says seq ${edge.to} had hash ${edge.lastHash?.slice(0, 12)}…, but seq ${s.firstSeq} links to ${s.firstPrev.slice(0, 12)}…`,
            });
          }
        }
      }
      for (const a of this.#anchors.filter((x) => x.chain === s.id)) this.#checkCommitment(s, a, 'an anchor');
    }
    // A later chain's genesis commits to the previous chain's head: its tail cannot vanish unseen.
    for (const s of this.#chains.values()) {
      if (!s.previous) continue;
      const p = this.#chains.get(s.previous.chain);
      if (p) this.#checkCommitment(p, s.previous, `chain ${s.id}'s genesis`);
    }
    for (const a of this.#anchors) {
      if (!this.#chains.has(a.chain))
        this.#add({
          kind: 'truncated',
          chain: a.chain,
          seq: 0,
          toSeq: a.seq,
          message: `anchored chain ${a.chain} (head seq ${a.seq}) is absent from the input`,
        });
    }
  }

  #checkCommitment(s: ChainState, c: ChainHead, by: string): void {
    if (s.maxSeq < c.seq) {
      this.#add({
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
      this.#add({
        kind: 'forked',
        chain: s.id,
        seq: c.seq,
        ...rec.pos,
        message: `${by} commits to a different hash at seq ${c.seq}: the log diverged from what was committed`,
      });
    }
  }
}

const UTF8 = new TextDecoder('utf-8');
const UTF8_ENCODER = new TextEncoder();
const PLAIN_KINDS = new Set(['access', 'event', 'checkpoint', 'recovered', 'clock', 'rejected', 'notice']);
const NodeBuffer = (globalThis as { Buffer?: { isBuffer(b: unknown): boolean } }).Buffer;

/** ASCII bytes to a string (chain ids, hex hashes, kinds). */
function ascii(buf: Uint8Array, s: number, e: number): string {
  if (NodeBuffer?.isBuffer(buf)) return (buf as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e);
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i] as number);
  return out;
}

function skipStringBytes(b: Uint8Array, i: number, end: number): number {
  // A plain loop: TypedArray#indexOf is slower than this for the short strings of an entry.
  for (let j = i + 1; j < end; j++) {
    const c = b[j];
    if (c === 92)
      j++; // skip the escaped byte
    else if (c === 34) return j + 1;
  }
  return -1;
}

function skipValueBytes(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c === 34) return skipStringBytes(b, i, end);
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const d = b[j];
      if (d === 34) {
        j = skipStringBytes(b, j, end) - 1;
        if (j < 0) return -1;
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < end) {
    const d = b[j];
    if (d === 44 || d === 125 || d === 93) break;
    j++;
  }
  return j > i ? j : -1;
}

/** Positions of the top-level members the byte fast path needs (see scanBytes). */
interface ByteScan {
  chainStart: number;
  chainEnd: number;
  seq: number;
  prevStart: number;
  prevEnd: number;
  hashValStart: number;
  hashValEnd: number;
  kidStart: number;
  kidEnd: number;
  /** The `"hash":"…",` member, cut out for hashing. */
  hashStart: number;
  hashEnd: number;
}

const SCAN: ByteScan = {
  chainStart: 0,
  chainEnd: 0,
  seq: 0,
  prevStart: 0,
  prevEnd: 0,
  hashValStart: 0,
  hashValEnd: 0,
  kidStart: -1,
  kidEnd: -1,
  hashStart: 0,
  hashEnd: 0,
};

/** Does `b[start, start + s.length)` hold exactly the ASCII string `s`? */
function bytesEqual(b: Uint8Array, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

const PLAIN_KIND_BYTES = [...PLAIN_KINDS].map((k) => k);

/**
 * Reads the top-level members of a line that looks canonical, without parsing nested content,
 * recording positions only (no strings are made). Returns the shared SCAN object, or undefined
 * for anything unusual (the caller then takes the full path).
 */
function scanBytes(b: Uint8Array, start: number, end: number): ByteScan | undefined {
  if (end - start < 2 || b[start] !== 123 || b[end - 1] !== 125) return undefined;
  const r = SCAN;
  r.chainStart = -1;
  r.seq = -1;
  r.prevStart = -1;
  r.hashValStart = -1;
  r.kidStart = -1;
  r.kidEnd = -1;
  let kindOk = false;
  let v = false;
  let i = start + 1;
  while (i < end - 1) {
    if (b[i] !== 34) return undefined;
    const keyEnd = skipStringBytes(b, i, end);
    if (keyEnd < 0 || b[keyEnd] !== 58) return undefined;
    const keyLen = keyEnd - i - 2;
    const k0 = b[i + 1];
    const vStart = keyEnd + 1;
    const vEnd = skipValueBytes(b, vStart, end);
    if (vEnd < 0) return undefined;
    // Keys of interest, told apart by length and first bytes.
    if (keyLen === 5 && k0 === 99 && b[i + 2] === 104) {
      r.chainStart = vStart + 1;
      r.chainEnd = vEnd - 1;
    } else if (keyLen === 3 && k0 === 115 && b[i + 2] === 101 && b[i + 3] === 113) {
      let n = 0;
      for (let j = vStart; j < vEnd; j++) {
        const d = (b[j] as number) - 48;
        if (d < 0 || d > 9 || n > 900719925474099) return undefined;
        n = n * 10 + d;
      }
      r.seq = n;
    } else if (keyLen === 4 && k0 === 112 && b[i + 2] === 114) {
      r.prevStart = vStart + 1;
      r.prevEnd = vEnd - 1;
    } else if (keyLen === 4 && k0 === 104 && b[i + 2] === 97) {
      r.hashValStart = vStart + 1;
      r.hashValEnd = vEnd - 1;
      r.hashStart = i;
      r.hashEnd = vEnd + 1;
    } else if (keyLen === 3 && k0 === 107 && b[i + 2] === 105 && b[i + 3] === 100) {
      r.kidStart = vStart + 1;
      r.kidEnd = vEnd - 1;
    } else if (keyLen === 4 && k0 === 107 && b[i + 2] === 105 && b[i + 3] === 110) {
      for (const k of PLAIN_KIND_BYTES) if (bytesEqual(b, vStart + 1, vEnd - 1, k)) kindOk = true;
    } else if (keyLen === 1 && k0 === 118) v = vEnd - vStart === 1 && b[vStart] === 49;
    const sep = b[vEnd];
    if (sep === 44) i = vEnd + 1;
    else if (vEnd === end - 1) break;
    else return undefined;
  }
  if (
    !v ||
    !kindOk ||
    r.chainStart < 0 ||
    r.seq < 0 ||
    r.prevStart < 0 ||
    r.hashValStart < 0 ||
    r.hashValEnd - r.hashValStart !== 64 ||
    r.hashEnd > end - 1
  )
    return undefined;
  return r;
}

/**
 * Feeds a byte or text stream of NDJSON to a verifier, line by line, with positions relative to
 * `file`. Returns the number of lines read. Used by verifyStream and by tools that verify several
 * files as one log.
 */
export async function feedStream(
  verifier: Verifier,
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: { file?: string } = {},
): Promise<number> {
  assertIterable(chunks, true);
  const encoder = new TextEncoder();
  const at = (line: number): Position => (options.file !== undefined ? { file: options.file, line } : { line });
  let carry: Uint8Array | undefined;
  let lineNo = 0;
  for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) {
    let buf: Uint8Array;
    if (typeof chunk === 'string') buf = encoder.encode(chunk);
    else if (chunk instanceof Uint8Array) buf = chunk;
    else throw new AuditInputError('verifyStream: chunks must be strings or bytes (Uint8Array / Buffer)');
    if (carry) {
      const joined = new Uint8Array(carry.length + buf.length);
      joined.set(carry, 0);
      joined.set(buf, carry.length);
      buf = joined;
    }
    let start = 0;
    let nl = buf.indexOf(10, start);
    while (nl >= 0) {
      lineNo++;
      if (nl > start) verifier.pushBytes(buf, start, nl, at(lineNo));
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    carry = start < buf.length ? buf.slice(start) : undefined;
  }
  if (carry && carry.length > 0) {
    lineNo++;
    verifier.pushBytes(carry, 0, carry.length, at(lineNo));
  }
  return lineNo;
}

function describePos(p: Position): string {
  if (p.file !== undefined && p.line !== undefined) return `${p.file}:${p.line}`;
  if (p.line !== undefined) return `line ${p.line}`;
  return p.file ?? 'an earlier position';
}

/** Verifies a whole iterable or async iterable (lines, entries, or { line | entry, file, lineNo }). */
function assertIterable(source: unknown, asyncOk: boolean): void {
  const s = source as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  const ok =
    s !== null &&
    s !== undefined &&
    (typeof s[Symbol.iterator] === 'function' || (asyncOk && typeof s[Symbol.asyncIterator] === 'function'));
  if (!ok || typeof source === 'string')
    throw new AuditInputError(
      `verify: expected an ${asyncOk ? '(async) ' : ''}iterable of lines or entries (use verifyText for a whole text)`,
    );
}

export async function verify(source: Iterable<VerifyItem> | AsyncIterable<VerifyItem>, options: VerifyOptions = {}): Promise<VerifyReport> {
  assertIterable(source, true);
  const v = new Verifier(options);
  for await (const item of source as AsyncIterable<VerifyItem>) v.push(item);
  return v.finish();
}

/** Synchronous form for arrays and other iterables. */
export function verifySync(source: Iterable<VerifyItem>, options: VerifyOptions = {}): VerifyReport {
  assertIterable(source, false);
  const v = new Verifier(options);
  for (const item of source) v.push(item);
  return v.finish();
}

/**
 * Splits a stream of text or byte chunks (a Node Readable, a web ReadableStream, any async
 * iterable of string | Uint8Array) into lines, decoding UTF-8 across chunk boundaries.
 */
export async function* splitLines(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let rest = '';
  for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) {
    if (typeof chunk === 'string') rest += chunk;
    else if (chunk instanceof Uint8Array) rest += decoder.decode(chunk, { stream: true });
    else throw new AuditInputError('verifyStream: chunks must be strings or bytes (Uint8Array / Buffer)');
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

/**
 * Verifies a byte or text stream of NDJSON (e.g. fs.createReadStream('audit.log')), in constant
 * memory apart from the per-chain window. Positions are 1-based lines of `file`.
 */
export async function verifyStream(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: VerifyOptions & { file?: string } = {},
): Promise<VerifyReport> {
  assertIterable(chunks, true);
  const v = new Verifier(options);
  await feedStream(v, chunks, options.file !== undefined ? { file: options.file } : {});
  return v.finish();
}

/** Verifies NDJSON text (one entry per line), positions relative to `file` when given. */
export function verifyText(text: string, options: VerifyOptions & { file?: string } = {}): VerifyReport {
  if (typeof text !== 'string') throw new AuditInputError('verifyText: expected a string');
  const v = new Verifier(options);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    v.push(line, { ...(options.file !== undefined ? { file: options.file } : {}), line: i + 1 });
  });
  return v.finish();
}

export type { AuditKey, ChainHead };
