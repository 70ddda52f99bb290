/**
 * The Verifier: push lines or entries in input order, then finish() (docs/spec/hash-chain.md
 * §Verification). Chains may be interleaved; it goes on after a break (as CloudTrail's
 * validate-logs) and reports per chain: count, seq range, head, every break with kind and position,
 * declared gaps. Bounded memory (seq-window.ts). Each entry is checked on its own here; ChainTrack
 * places it in its chain; settle() (commitments.ts) decides what only the end can; trees:
 * tree-sink.ts, trust.ts; witnesses: witnessed.ts; forward-secure epochs: epochs.ts.
 */
import { AuditConfigError, AuditInputError } from '../errors.js';
import { EpochKeys } from '../forward-secure.js';
import { hashCanonical, hashLineBytes, type ResolvedKey, resolveKey, ZERO_HASH } from '../hash.js';
import type { NoteVerifier } from '../note.js';
import type { AuditEntry } from '../types.js';
import { BreakLedger, type BreakRef } from './breaks.js';
import { ChainTrack, type Checked, modifiedMessage } from './chain.js';
import { type SettleInputs, settle, settleInputs } from './commitments.js';
import { annotateEpochs, epochOpen, epochStep } from './epochs.js';
import { checkOptions, checkParsed, schemaBreak, strictUtf8, unwrap } from './input.js';
import { PUSH_SCANNED } from './line-scan.js';
import { type RetentionClaim, readLibraryRecord } from './records.js';
import { chainReport } from './report.js';
import { ascii, bytesEqual, isJsonPrefix, type LineScan, scanLine, tsOf } from './scan.js';
import { SealedCheck } from './sealed.js';
import { noteTime } from './silence.js';
import type { TreeResult, TrustedCheckpoint } from './tree.js';
import { LocalTreeSink, type TreeSink, workerTreeSink } from './tree-sink.js';
import { checkpointRecord, openExternal, settleTrees, trustedKeys } from './trust.js';
import type { Position, VerifyItem, VerifyOptions, VerifyReport } from './types.js';
import { noteTs, type WitnessPolicy, witnessPolicy } from './witnessed.js';

const UTF8 = new TextDecoder('utf-8');
const UTF8_ENCODER = new TextEncoder();

/** Incremental verifier: push items in order, then finish(). */
export class Verifier {
  readonly #keys = new Map<string, ResolvedKey>();
  /** Forward-secure chains' initial keys: epoch keys are derived on demand (then kept in #keys). */
  #epochKeys: EpochKeys | undefined;
  readonly #requireKeyed: boolean;
  readonly #allowPartialStart: boolean;
  readonly #extract: boolean;
  readonly #requireCanonical: boolean;
  readonly #window: number;
  readonly #fastPath: boolean;
  readonly #chains = new Map<string, ChainTrack>();
  /** Trusted checkpoint keys (`trust`): with them each chain's tree is rebuilt and checked. */
  readonly #trust: NoteVerifier[] | undefined;
  /** Where the trees are built (with `trust`): this thread, or a worker thread (`parallel`). */
  readonly #sink: TreeSink | undefined;
  /** Witness keys and threshold (`witnesses`): who must have cosigned a checkpoint for it to count. */
  readonly #policy: WitnessPolicy | undefined;
  #treeResults: TreeResult[] | undefined;
  /** External checkpoints (`checkpoints`), opened, by chain. */
  readonly #external = new Map<string, TrustedCheckpoint[]>();
  /** The chain of the previous fast-path line (see pushBytes). */
  #lastChain: ChainTrack | undefined;
  /** Ranges removed by retention, as declared by `retention` records (any chain may declare them). */
  readonly #retained: RetentionClaim[] = [];
  readonly #settling: SettleInputs; // what settle() weighs at the end: retention claims, anchors, bridges
  readonly #ledger = new BreakLedger();
  readonly #sealed: SealedCheck;
  #items = 0;
  #entries = 0;
  #autoLine = 0;
  /** The last line read was a cut-off JSON object: `truncated` if nothing follows it in its file. */
  #pendingTorn: { ref: BreakRef; file: string | undefined } | undefined;
  #finished = false;

  constructor(options: VerifyOptions = {}) {
    checkOptions(options);
    for (const [i, k] of (options.keys ?? []).entries()) {
      const r = resolveKey(k, `keys[${i}]`);
      this.#keys.set(r.id, r);
    }
    if (options.forwardSecure !== undefined) this.#epochKeys = new EpochKeys(options.forwardSecure);
    this.#requireKeyed = options.requireKeyed ?? (this.#keys.size > 0 || this.#epochKeys !== undefined);
    this.#settling = settleInputs(options, this.#retained, this.#requireKeyed);
    this.#extract = options.extract === true;
    this.#allowPartialStart = options.allowPartialStart === true || this.#extract;
    this.#requireCanonical = options.requireCanonical !== false;
    this.#window = options.window ?? 100_000;
    this.#fastPath = options.fastPath !== false && options.open === undefined; // opening needs every entry parsed
    this.#sealed = new SealedCheck(options.open);
    this.#trust = options.trust === undefined ? undefined : trustedKeys(options.trust);
    this.#policy = witnessPolicy(options.witnesses, options.witnessThreshold);
    if (this.#policy && this.#trust === undefined) throw new AuditConfigError('witnesses need the log keys (trust)', { path: 'witnesses' });
    if (options.checkpoints !== undefined) openExternal(options.checkpoints, this.#trust, this.#ledger, this.#external, this.#policy);
    if (this.#trust !== undefined) this.#sink = (options.parallel === true ? workerTreeSink() : undefined) ?? new LocalTreeSink();
  }

  /** Adds one line or entry. `pos` defaults to the item's own file/lineNo or a running count. */
  push(item: VerifyItem, pos?: Position): void {
    this.#push(item, pos, this.#fastPath);
  }

  #push(item: VerifyItem, pos: Position | undefined, tryFast: boolean): void {
    if (this.#finished) throw new AuditInputError('Verifier.push() after finish()');
    const u = unwrap(item);
    let line = u.line;
    let parsed = u.parsed;
    const where: Position = pos ?? { ...(u.file !== undefined ? { file: u.file } : {}), line: u.lineNo ?? ++this.#autoLine };
    if (line !== undefined) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() === '') return;
    }
    this.#items++;
    this.#nextLine(where.file);
    if (parsed === undefined && line !== undefined) {
      // Fast path: the line's own bytes, when it is the next entry of a known chain (see #fast).
      if (tryFast && line.isWellFormed()) {
        // (A lone surrogate would be encoded as U+FFFD: those bytes are not this line.)
        const bytes = UTF8_ENCODER.encode(line);
        if (this.#fast(bytes, 0, bytes.length, where)) return;
      }
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        const ref = this.#ledger.add({ kind: 'unparseable', ...where, message: `not JSON: ${(err as Error).message}` });
        if (isJsonPrefix(line)) this.#pendingTorn = { ref, file: where.file };
        return;
      }
    }
    const checked = checkParsed(parsed);
    if (checked.forms === undefined) {
      this.#ledger.add(schemaBreak(parsed, checked.errors, where));
      return;
    }
    this.#entries++;
    this.#onEntry(parsed as AuditEntry, line, where, checked.forms);
  }

  /** A line over `max` bytes the stream reader skipped unheld: `unparseable`, and a line for torn-write detection. */
  pushOverlong(bytes: number, max: number, pos: Position): void {
    if (this.#finished) throw new AuditInputError('Verifier.pushOverlong() after finish()');
    this.#unreadable(pos, `a line of ${bytes} bytes, longer than any entry (limit ${max}): not read`, false);
  }

  /** A line that is no entry before any parsing: `unparseable` (`torn`: perhaps the start of one, cut by a crash). */
  #unreadable(pos: Position, message: string, torn: boolean): void {
    this.#items++;
    this.#nextLine(pos.file);
    const ref = this.#ledger.add({ kind: 'unparseable', ...pos, message });
    if (torn) this.#pendingTorn = { ref, file: pos.file };
  }

  /** A line follows: a torn line before it in the same file was not the last one after all. */
  #nextLine(file: string | undefined): void {
    if (this.#pendingTorn === undefined) return;
    if (this.#pendingTorn.file !== file) this.#resolveTorn();
    else this.#pendingTorn = undefined;
  }

  /** Adds one line as bytes `buf[start, end)` (no newline): the fast path when it can, else decoded, push()'s full path. */
  pushBytes(buf: Uint8Array, start: number, end: number, pos: Position): void {
    this[PUSH_SCANNED](buf, start, end, pos);
  }

  /** pushBytes() for a line the line worker (line-feed.ts) scanned: `scan` as scanLine gave it there, `hashOk` whether its unkeyed hash matched. */
  [PUSH_SCANNED](buf: Uint8Array, start: number, end: number, pos: Position, scan?: LineScan, hashOk?: boolean): void {
    if (this.#finished) throw new AuditInputError('Verifier.pushBytes() after finish()');
    if (end > start && buf[end - 1] === 13) end--; // CRLF
    if (end === start) return;
    if (
      this.#fastPath &&
      (hashOk === undefined ? this.#fast(buf, start, end, pos) : hashOk && this.#fast(buf, start, end, pos, scan, true))
    ) {
      this.#items++;
      this.#nextLine(pos.file);
      return;
    }
    // What is sealed is UTF-8: bytes that are not (or carry a BOM) are no entry as sealed, whatever they decode to.
    const text = strictUtf8(buf, start, end);
    if (text !== undefined) this.#push(text, pos, false);
    else this.#unreadable(pos, 'not valid UTF-8', isJsonPrefix(UTF8.decode(buf.subarray(start, end))));
  }

  /**
   * The fast path: a canonical line that is the next entry of a chain already seen, links to its
   * head, and whose hash matches its own bytes (the `"hash":"…",` member cut out) is exactly what
   * was sealed; only its chain fields are needed, read from the bytes without decoding or parsing.
   * Returns false for anything else (first entries, breaks, library records with content), which
   * then takes the full path. Tests check both paths give identical reports.
   */
  #fast(buf: Uint8Array, start: number, end: number, pos: Position, pre?: LineScan, hashOk?: boolean): boolean {
    const scan = pre ?? scanLine(buf, start, end);
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
    const key = kid === undefined ? undefined : this.#key(kid);
    if (s.epochs !== undefined && (kid !== s.lastKid || !epochOpen(s))) return false; // an epoch boundary: the full path
    if (kid !== undefined ? key === undefined : this.#requireKeyed) return false;
    // Hashed by the line worker (unkeyed lines only), or here.
    const checked = hashOk === true && kid === undefined;
    const hash = checked
      ? ascii(buf, scan.hashValStart, scan.hashValEnd)
      : hashLineBytes(buf, start, scan.hashStart, scan.hashEnd, end, key);
    if (!checked && !bytesEqual(buf, scan.hashValStart, scan.hashValEnd, hash)) return false;
    // The bookkeeping of #onEntry + ChainTrack.advance for exactly this case.
    this.#entries++;
    this.#sealed.countScanned(scan.sealed);
    const seq = scan.seq;
    if (s.tree) this.#sink?.leaf(s.tree.idx, seq, buf, start, end);
    if (s.tree && this.#policy) noteTs(s.tree, tsOf(buf, start, end));
    if (s.heartbeatMs !== undefined) noteTime(s, tsOf(buf, start, end));
    s.count++;
    s.bySeq.markContinued(seq - 1);
    s.bySeq.setLine(seq, buf, scan.hashValStart, pos);
    s.expected = seq + 1;
    s.headHash = hash;
    s.accept[0] = hash;
    if (seq > s.maxSeq) s.maxSeq = seq;
    if (kid !== undefined) {
      s.keyIds.add(kid);
      s.noteKey(kid, true);
    }
    return true;
  }

  #resolveTorn(): void {
    const t = this.#pendingTorn;
    this.#pendingTorn = undefined;
    if (t?.ref.live) this.#ledger.relabel(t.ref, 'truncated', `last line is a partial entry (torn write): ${t.ref.brk.message}`);
  }

  #track(e: AuditEntry): ChainTrack {
    let s = this.#chains.get(e.chain);
    if (!s) {
      s = new ChainTrack(e.chain, e.seq, this.#window, this.#ledger);
      if (this.#sink !== undefined) {
        s.tree = { idx: this.#chains.size, recordSeqs: [], rotations: [], tsAt: new Map() };
        this.#sink.open(s.tree.idx, this.#external.get(e.chain) ?? []);
      }
      this.#chains.set(e.chain, s);
    }
    return s;
  }

  /** The key an entry names, or undefined; a missing key (or, when keys are required, no key id) is reported once per chain. */
  #keyFor(s: ChainTrack, e: AuditEntry, pos: Position): { key: ResolvedKey | undefined; checkable: boolean } {
    if (e.kid === undefined) {
      if (this.#requireKeyed && !s.unkeyedReported) {
        s.unkeyedReported = true;
        s.brk(
          'wrong-key',
          e.seq,
          `chain ${s.id} has entries without a key id (plain SHA-256) although keys were supplied: anyone can write such entries, so no key vouches for them`,
          pos,
        );
      }
      return { key: undefined, checkable: true };
    }
    s.keyIds.add(e.kid);
    const key = this.#key(e.kid);
    if (key) return { key, checkable: true };
    if (!s.missingKeyReported.has(e.kid)) {
      s.missingKeyReported.add(e.kid);
      s.brk(
        'wrong-key',
        e.seq,
        `entries are keyed with "${e.kid}" and no key with that id was supplied: their hashes cannot be checked`,
        pos,
      );
    }
    return { key: undefined, checkable: false };
  }

  /** The key a `kid` names: supplied, or derived for an epoch of a forward-secure chain. */
  #key(kid: string): ResolvedKey | undefined {
    const k = this.#keys.get(kid) ?? this.#epochKeys?.keyFor(kid);
    if (k !== undefined) this.#keys.set(kid, k);
    return k;
  }

  #onEntry(e: AuditEntry, line: string | undefined, pos: Position, forms: { unhashed: string; line: string }): void {
    const s = this.#track(e);
    s.count++;
    // 1. The entry on its own: does its content match its hash?
    const { key, checkable } = this.#keyFor(s, e, pos);
    const computed = checkable ? hashCanonical(forms.unhashed, key) : e.hash;
    const hashOk = computed === e.hash;
    let own: BreakRef | undefined;
    if (hashOk && this.#requireCanonical && line !== undefined && line !== forms.line) {
      own = s.brk(
        'modified',
        e.seq,
        'line is not in canonical form (same content as hashed, but the bytes differ: whitespace, key order, escapes or duplicate keys)',
        pos,
      );
    }
    const sealedBad = hashOk ? this.#sealed.check(e) : undefined;
    if (sealedBad !== undefined) own ??= s.brk('modified', e.seq, sealedBad, pos);
    if (e.kid !== undefined && key) s.noteKey(e.kid, hashOk);
    // 2. Its place in the chain. A bad hash becomes the entry's own break once the seq it stands for is known.
    if (s.expected === -1) s.firstHashOk = hashOk;
    const c: Checked = { s, e, computed, hashOk, key, pos };
    const before = s.expected;
    const seq = before === -1 ? this.#first(c, own) : this.#next(c, own);
    readLibraryRecord(e, s, seq, key !== undefined && hashOk, this.#retained);
    if (before === -1 || seq >= before) {
      epochStep(s, e, seq, pos);
      noteTime(s, e.ts);
    }
    s.lastKid = e.kid;
    if (s.tree === undefined || (before !== -1 && seq < before)) return; // a late entry is not in the tree's order
    const bytes = UTF8_ENCODER.encode(line ?? forms.line);
    const sink = this.#sink as TreeSink;
    sink.leaf(s.tree.idx, seq, bytes, 0, bytes.length);
    if (this.#policy) noteTs(s.tree, e.ts);
    if (e.kind === 'checkpoint') checkpointRecord(s, sink, e, seq, pos, this.#trust as NoteVerifier[], this.#policy);
  }

  /** The first entry of its chain in the input. Returns the seq it stands for. */
  #first({ s, e, computed, hashOk, key, pos }: Checked, own: BreakRef | undefined): number {
    const seq = e.seq;
    s.firstPrev = e.prev;
    s.firstPos = pos;
    const anchor = this.#settling.anchors.find((a) => a.chain === s.id && a.seq === seq - 1);
    if (seq === 0) {
      if (e.prev !== ZERO_HASH) own ??= s.brk('modified', seq, 'seq 0 must have prev = 64 zeros', pos);
    } else if (anchor) {
      if (e.prev !== anchor.hash && hashOk)
        s.brk('modified', seq - 1, `entry ${seq} does not link to the anchored hash of seq ${seq - 1}`, pos);
    } else if (!this.#allowPartialStart) {
      const ref = s.brk('deleted', 0, `chain starts at seq ${seq}: seqs 0..${seq - 1} are missing`, pos, seq - 1);
      s.addHole(0, seq - 1, ref, e.prev);
    }
    if (!hashOk) own ??= s.brk('modified', seq, modifiedMessage(e, key), pos);
    s.advance(e, seq, computed, pos, own);
    return seq;
  }

  /** Any later entry of a chain. Returns the seq it stands for. */
  #next({ s, e, computed, hashOk, key, pos }: Checked, own: BreakRef | undefined): number {
    const seq = e.seq;
    const linksHead = s.accept.includes(e.prev);
    if (!hashOk && seq !== s.expected && linksHead) {
      // The seq field itself was edited: the entry still links to the head, so it stands for `expected`.
      const at = s.expected;
      own ??= s.brk('modified', at, `content does not match hash; its seq field reads ${seq} but it links to seq ${at - 1}`, pos);
      s.advance(e, at, computed, pos, own);
      return at;
    }
    if (!hashOk) own ??= s.brk('modified', seq, modifiedMessage(e, key), pos);
    if (seq === s.expected) {
      if (!linksHead) s.relink(e, seq, hashOk);
      s.advance(e, seq, computed, pos, own);
    } else if (seq > s.expected && this.#extract) {
      s.advance(e, seq, computed, pos, own); // an extract leaves entries out: not a hole
    } else if (seq > s.expected) {
      // A hole: tentatively deleted; reclassified if the seqs show up later or a gap record covers them.
      const from = s.expected;
      const ref = s.brk(
        'deleted',
        from,
        from === seq - 1 ? `seq ${from} is missing` : `seqs ${from}..${seq - 1} are missing`,
        pos,
        seq - 1,
      );
      s.addHole(from, seq - 1, ref, e.prev);
      s.advance(e, seq, computed, pos, own);
    } else {
      s.late(e, seq, computed, hashOk, pos, own);
    }
    return seq;
  }

  /** Ends the input and returns the report, once the trees built in a worker thread (`parallel`) are done. */
  async finishAsync(): Promise<VerifyReport> {
    if (!this.#finished && this.#sink !== undefined) this.#treeResults ??= await this.#sink.results();
    return this.finish();
  }

  /** Ends the input; returns the report. With `parallel` trees, use finishAsync(). */
  finish(): VerifyReport {
    if (!this.#finished) {
      const trees = this.#sink === undefined ? undefined : (this.#treeResults ?? this.#sink.resultsNow());
      if (this.#sink !== undefined && trees === undefined)
        throw new AuditInputError('Verifier.finish(): the trees are built in a worker thread (parallel): use finishAsync()');
      this.#finished = true;
      if (this.#pendingTorn) this.#resolveTorn();
      if (trees !== undefined) settleTrees(this.#chains, trees, this.#external, this.#ledger, this.#extract, this.#policy);
      settle(this.#chains, this.#settling, this.#ledger);
    }
    const breaks = this.#ledger.list();
    annotateEpochs(this.#chains.values(), breaks);
    const omitted = this.#ledger.omitted();
    const chains = [...this.#chains.values()].map((s) => chainReport(s, breaks, this.#ledger.omittedOf(s.id)));
    const valid = breaks.length === 0 && Object.keys(omitted).length === 0;
    // Declared gaps are entries known to be missing: consistent (the log says so), never complete.
    const complete = valid && !this.#extract && chains.length > 0 && chains.every((c) => c.commitment !== undefined && c.gaps.length === 0);
    return {
      valid,
      consistent: valid,
      complete,
      items: this.#items,
      entries: this.#entries,
      chains,
      breaks,
      ...(Object.keys(omitted).length > 0 ? { omittedBreaks: omitted } : {}),
      ...(this.#sealed.report() ? { sealed: this.#sealed.report() } : {}),
    };
  }
}
