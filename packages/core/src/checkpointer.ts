/**
 * The logger's Merkle tree and signed checkpoints (docs/spec/checkpoints.md). Every sealed record
 * is a leaf (its canonical line); every `everyEntries` entries, every `intervalMs` with new entries,
 * at close and on demand, the tree head is signed as a C2SP checkpoint and sealed into the chain as
 * a `checkpoint` record that also carries the tree state (for restarts and retention). The logger
 * ships that record to the checkpoint destinations as well.
 */
import { toBase64 } from './base64.js';
import { formatCheckpoint, ROTATION_HEADER } from './checkpoint.js';
import { AuditConfigError, AuditHookError, AuditProofError } from './errors.js';
import type { SealedRecord } from './hash-chain.js';
import type { ChainStart } from './logger-options.js';
import { CompactRange, leafHash } from './merkle.js';
import { type NoteSigner, parseSignerKey, parseWitnessKey, signNoteNow } from './note.js';
import { intOption } from './options.js';
import { randomId } from './platform.js';
import type { Transport } from './transport.js';
import { rangeOf, type TreeState, treeStateOf } from './tree-state.js';
import { errorMessage, isPlainObject } from './util.js';
import { type WitnessHealth, Witnessing, type WitnessOptions } from './witness.js';

export interface CheckpointOptions {
  /**
   * The log's key: a signer key in the C2SP text form (`PRIVATE+KEY+name+id+base64`, as
   * `auditready keygen` writes it: read it from a file or a secret store, never from argv), or a
   * NoteSigner whose sign() a KMS or HSM answers.
   */
  signer: NoteSigner | string;
  /** The origin line is `<origin>/<chain id>`. Default: the signer's key name. */
  origin?: string;
  /** Issue a checkpoint after this many entries. Default 1000. */
  everyEntries?: number;
  /** And this long after an entry that no checkpoint covers yet. Default 10000 ms; 0 = off. */
  intervalMs?: number;
  /**
   * Where each `checkpoint` record also goes, beside the log: a commitment kept only next to the
   * log dies with it. A file transport on another directory or mount, the HTTP transport, a Kafka
   * topic. Delivered like entries (queue, retries), in their own lanes.
   */
  destinations?: Transport[];
  /**
   * Witnesses (C2SP tlog-witness, e.g. litewitness) asked to cosign each checkpoint; the
   * cosignatures they return are sealed into the next checkpoint record (`details.witnessed`).
   * Register the log with each witness first: its origin (`<origin>/<chain id>`) and verifier key.
   */
  witnesses?: WitnessOptions[];
  /** Bound on one request to a witness. Default 10000 ms. */
  witnessTimeoutMs?: number;
  /** The policy: how many witnesses must cosign a checkpoint (k of n; health() says which is witnessed). Default 1. */
  witnessThreshold?: number;
}

/** A checkpoint the logger issued. */
export interface IssuedCheckpoint {
  origin: string;
  /** Entries covered: seqs 0 .. size-1. */
  size: number;
  /** The signed note (C2SP tlog-checkpoint). */
  note: string;
  /** The `checkpoint` record that carries it. */
  record: SealedRecord;
}

export interface ResolvedCheckpoints {
  signer: NoteSigner & { verifierKey?: string };
  origin: string;
  everyEntries: number;
  intervalMs: number;
  destinations: Transport[];
  witnesses: WitnessOptions[];
  witnessTimeoutMs: number;
  witnessThreshold: number;
}

const ORIGIN_PREFIX = /^[^\s+]{1,200}$/u;

/** A signer key string or a NoteSigner, checked; a key string's verifier key comes with it. */
export function resolveSigner(x: unknown, path: string): NoteSigner & { verifierKey?: string } {
  if (typeof x === 'string') {
    try {
      return parseSignerKey(x);
    } catch (err) {
      // Never echo the key: the message says what is wrong with it, not what it is.
      throw new AuditConfigError(`${path} is not a signer key (${err instanceof AuditProofError ? err.kind : 'invalid'})`, { path });
    }
  }
  const o = x as NoteSigner | null;
  if (
    o !== null &&
    typeof o === 'object' &&
    typeof o.sign === 'function' &&
    typeof o.name === 'string' &&
    /^[0-9a-f]{8}$/.test(String(o.keyId))
  )
    return o;
  throw new AuditConfigError(`${path} must be a signer key string or { name, keyId, sign() }`, { path });
}

export function resolveCheckpoints(o: unknown, chainId: string): ResolvedCheckpoints | undefined {
  if (o === undefined) return undefined;
  if (!isPlainObject(o)) throw new AuditConfigError('checkpoints must be an object', { path: 'checkpoints' });
  const c = o as unknown as CheckpointOptions;
  const signer = resolveSigner(c.signer, 'checkpoints.signer');
  const prefix = c.origin ?? signer.name;
  if (typeof prefix !== 'string' || !ORIGIN_PREFIX.test(prefix))
    throw new AuditConfigError('checkpoints.origin must be 1-200 characters without spaces or "+"', { path: 'checkpoints.origin' });
  const destinations = c.destinations ?? [];
  if (!Array.isArray(destinations) || destinations.some((t) => t === null || typeof t !== 'object' || typeof t.write !== 'function'))
    throw new AuditConfigError('checkpoints.destinations must be transports', { path: 'checkpoints.destinations' });
  return {
    signer,
    origin: `${prefix}/${chainId}`,
    everyEntries: intOption(c.everyEntries, 1000, 1, 'checkpoints.everyEntries'),
    intervalMs: intOption(c.intervalMs, 10_000, 0, 'checkpoints.intervalMs'),
    destinations,
    witnesses: resolveWitnesses(c.witnesses),
    witnessTimeoutMs: intOption(c.witnessTimeoutMs, 10_000, 1, 'checkpoints.witnessTimeoutMs'),
    witnessThreshold: intOption(c.witnessThreshold, 1, 1, 'checkpoints.witnessThreshold'),
  };
}

function resolveWitnesses(list: unknown): WitnessOptions[] {
  if (list === undefined) return [];
  if (!Array.isArray(list))
    throw new AuditConfigError('checkpoints.witnesses must be an array of { url, key }', { path: 'checkpoints.witnesses' });
  return list.map((w, i) => {
    const path = `checkpoints.witnesses[${i}]`;
    const o = w as Partial<WitnessOptions> | null;
    if (o === null || typeof o !== 'object' || typeof o.url !== 'string' || !/^https?:\/\//.test(o.url))
      throw new AuditConfigError(`${path}.url must be an http(s) URL`, { path: `${path}.url` });
    try {
      parseWitnessKey(String(o.key));
    } catch (err) {
      throw new AuditConfigError(`${path}.key is not a witness key (name+id+base64 of a type 0x04 key): ${errorMessage(err)}`, {
        path: `${path}.key`,
      });
    }
    return { url: o.url, key: String(o.key) };
  });
}

/** The tree to continue: a new chain's (empty), or a resumed chain's state. */
export function startRange(state: TreeState | undefined): CompactRange {
  return state === undefined ? new CompactRange() : (rangeOf(state) as CompactRange);
}

interface CheckpointerHooks {
  /** Seals the `checkpoint` record (the logger's #sealInternal). */
  seal(details: Record<string, unknown>, reason: string): SealedRecord | undefined;
  report(err: AuditHookError): void;
}

export class Checkpointer {
  readonly #c: ResolvedCheckpoints;
  readonly #range: CompactRange;
  readonly #hooks: CheckpointerHooks;
  /** Records sealed since the last checkpoint was cut. */
  #since = 0;
  /** The last cut: the checkpoint it became (or will, while a KMS signs). */
  #lastCut: Promise<IssuedCheckpoint | undefined> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #signing = new Set<Promise<unknown>>();
  #last: IssuedCheckpoint | undefined;
  #issued = 0;
  readonly #witnessing: Witnessing | undefined;

  constructor(c: ResolvedCheckpoints, range: CompactRange, hooks: CheckpointerHooks) {
    this.#c = c;
    this.#range = range;
    this.#hooks = hooks;
    if (c.witnesses.length > 0) {
      if (c.witnessThreshold > c.witnesses.length)
        throw new AuditConfigError(`checkpoints.witnessThreshold ${c.witnessThreshold} > ${c.witnesses.length} witnesses`, {
          path: 'checkpoints.witnessThreshold',
        });
      this.#witnessing = new Witnessing(c.witnesses, (e) => hooks.report(e), c.witnessTimeoutMs, c.witnessThreshold);
      this.#witnessing.start(range);
    }
    if (c.intervalMs > 0) {
      this.#timer = setInterval(() => {
        if (this.#since > 0) void this.issue();
      }, c.intervalMs);
      this.#timer.unref?.();
    }
  }

  get origin(): string {
    return this.#c.origin;
  }

  /** The tree through the last sealed record (read it, do not append to it). */
  get range(): CompactRange {
    return this.#range;
  }

  /** A record was sealed: its leaf joins the tree (first, so the tree is current when onSealed hooks run). */
  append(r: SealedRecord): void {
    const h = leafHash(r.line);
    this.#range.append(h);
    this.#witnessing?.leaf(h);
  }

  /** After the record went to its queues: cuts a checkpoint when `everyEntries` were sealed since the last. */
  delivered(r: SealedRecord): void {
    if (r.entry.kind === 'checkpoint') return;
    if (++this.#since >= this.#c.everyEntries) void this.issue();
  }

  /**
   * Cuts a checkpoint of the tree as it stands and seals it once signed (at once for a key in
   * memory; when a KMS answers, with the entries sealed meanwhile before it). Resolves with it, or
   * undefined when nothing was sealed since the last one or signing failed (reported).
   */
  /**
   * Hands checkpoint signing to `next` (its verifier key must be known: a key string, or a signer
   * with `verifierKey`). The rotation is a checkpoint signed by both keys whose record carries a
   * statement signed by the old key naming the new one, so a verifier that trusts the old key
   * learns the new one from the log itself. Later checkpoints are signed by `next` alone.
   */
  rotate(next: NoteSigner & { verifierKey?: string }): Promise<IssuedCheckpoint | undefined> {
    const to = next.verifierKey;
    if (typeof to !== 'string')
      throw new AuditConfigError('rotateCheckpointKey(): the new signer needs its verifierKey', { path: 'verifierKey' });
    const old = this.#c.signer;
    const statement = signNoteNow(`${ROTATION_HEADER}\n${this.#c.origin}\n${to}\n`, [old]);
    this.#c.signer = next;
    this.#since = 0;
    const cut = Promise.resolve(statement).then(
      (st) => this.#cut(this.#range.size, [old, next], { rotation: { from: { name: old.name, keyId: old.keyId }, to, statement: st } }),
      (err) => this.#failed(this.#range.size, err),
    );
    this.#lastCut = cut;
    return cut;
  }

  issue(): Promise<IssuedCheckpoint | undefined> {
    // Nothing but checkpoint records since the last cut: that checkpoint stands (a checkpoint of a
    // checkpoint record would call for another, without end).
    if (this.#since === 0 && this.#lastCut !== undefined) return this.#lastCut;
    const size = this.#range.size;
    this.#since = 0;
    this.#lastCut = this.#cut(size, [this.#c.signer]);
    return this.#lastCut;
  }

  #cut(size: number, signers: NoteSigner[], extra: Record<string, unknown> = {}): Promise<IssuedCheckpoint | undefined> {
    const root = this.#range.root();
    const tree = treeStateOf(this.#range);
    const text = formatCheckpoint({ origin: this.#c.origin, size, root, extensions: [] });
    let signed: string | Promise<string>;
    try {
      signed = signNoteNow(text, signers);
    } catch (err) {
      return Promise.resolve(this.#failed(size, err));
    }
    const seal = (note: string) => this.#seal(size, toBase64(root), note, tree, extra);
    if (typeof signed === 'string') return Promise.resolve(seal(signed));
    const p = signed.then(seal, (err) => this.#failed(size, err));
    this.#signing.add(p);
    void p.finally(() => this.#signing.delete(p));
    return p;
  }

  #failed(size: number, err: unknown): undefined {
    this.#lastCut = undefined; // the next attempt cuts again
    this.#hooks.report(
      new AuditHookError(`checkpoint ${size} of ${this.#c.origin} could not be signed: ${errorMessage(err)}`, { cause: err }),
    );
    return undefined;
  }

  #seal(size: number, root: string, note: string, tree: TreeState, extra: Record<string, unknown>): IssuedCheckpoint | undefined {
    const { signer, origin } = this.#c;
    // Cosignatures gathered for an earlier checkpoint travel in this record.
    const witnessed = this.#witnessing?.take();
    const details = {
      origin,
      size,
      root,
      keyName: signer.name,
      keyId: signer.keyId,
      note,
      tree: tree.hashes,
      ...extra,
      ...(witnessed ? { witnessed } : {}),
    };
    const record = this.#hooks.seal(details, `checkpoint: the first ${size} entries of the chain, signed by ${signer.name}`);
    if (record === undefined) return undefined;
    this.#witnessing?.submit({ size, note });
    this.#issued++;
    this.#last = { origin, size, note, record };
    return this.#last;
  }

  /** Waits for signatures still on their way (a KMS), at most `ms`. */
  async settle(ms: number): Promise<void> {
    if (this.#signing.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...this.#signing]), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  /**
   * At close: the last checkpoint, its signature, then (with witnesses) its cosignatures, sealed
   * in one more checkpoint record so that the log itself carries them. At most `ms` in all.
   */
  async finish(ms: number): Promise<void> {
    const until = Date.now() + ms;
    void this.issue();
    await this.settle(ms);
    const w = this.#witnessing;
    if (w !== undefined) {
      await w.settle(Math.max(0, until - Date.now()));
      this.#since = 1; // a carrier: nothing new but the cosignatures
      void this.issue();
      await this.settle(Math.max(0, until - Date.now()));
      w.stop();
    }
    this.stop();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  health(): {
    origin: string;
    issued: number;
    size: number;
    uncovered: number;
    last?: { size: number; seq: number; at: string };
    witnesses?: WitnessHealth[];
    witnessed?: number;
  } {
    return {
      origin: this.#c.origin,
      issued: this.#issued,
      size: this.#range.size,
      uncovered: this.#since,
      ...(this.#last ? { last: { size: this.#last.size, seq: this.#last.record.entry.seq, at: this.#last.record.entry.ts } } : {}),
      ...(this.#witnessing ? { witnesses: this.#witnessing.health() } : {}),
      ...(this.#witnessing?.witnessed !== undefined ? { witnessed: this.#witnessing.witnessed } : {}),
    };
  }
}

/**
 * Where the tree starts. A resumed chain continues its tree from the state its transport reports;
 * when none can (no checkpoint record found, a hole), a new chain starts, linking the old head
 * from its genesis, since a tree with unknown leaves could not be checked.
 */
export function treeStart(start: ChainStart): { start: ChainStart; state: TreeState | undefined } {
  const r = start.resume;
  if (r === undefined) return { start, state: undefined };
  let state: TreeState | undefined;
  try {
    state = r.tree?.();
  } catch {
    state = undefined;
  }
  if (state !== undefined && state.size === r.seq + 1 && rangeOf(state) !== undefined) return { start, state };
  return {
    start: { ...start, id: randomId(), resume: undefined, previous: { chain: r.chain, seq: r.seq, hash: r.hash } },
    state: undefined,
  };
}
