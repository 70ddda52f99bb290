/**
 * The hash chain (docs/spec/hash-chain.md).
 *
 * Every entry carries `chain` (stream id), `seq` (0, 1, 2 ... without holes), `prev` (the `hash` of
 * seq-1; 64 zeros at seq 0) and `hash` = H(tag || canonical(entry without hash)). `kid` names the
 * HMAC key when the chain is keyed and is covered by the hash, so an entry cannot be moved to a
 * different key silently. State lives in #private fields: app code cannot rewind or fork a chain.
 */
import { canonicalize } from './canonical.js';
import { AuditConfigError, AuditInputError } from './errors.js';
import { hashCanonical, type ResolvedKey, ZERO_HASH } from './hash.js';
import type { AuditEntry, ChainHead } from './types.js';

const SORTED_BODY_KEYS = new Set([
  'action',
  'actor',
  'details',
  'enc',
  'http',
  'kind',
  'outcome',
  'pii',
  'reason',
  'redacted',
  'resource',
  'service',
  'trace',
  'ts',
]);

export const CHAIN_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** An entry as a transport receives it: the object and its canonical line (no trailing newline). */
export interface SealedRecord {
  readonly entry: AuditEntry;
  readonly line: string;
}

/**
 * A SealedRecord, made without an object literal. V8 tracks where literals' objects are made: when
 * many of one literal's objects stay alive at once (entries queued while a transport stalls), it
 * makes every later one in the old generation, for the rest of the process, and what such a record
 * points to (its line, its entry) then survives young-generation collections too: after a backlog
 * of 20,000 entries, record() cost ~26% more CPU per entry (bench/record-pretenuring.bench.mjs;
 * test/backlog-gc.test.ts). Objects made empty and then filled are not tracked.
 */
function sealedRecord(entry: AuditEntry, line: string): SealedRecord {
  const r = {} as { entry: AuditEntry; line: string };
  r.entry = entry;
  r.line = line;
  return r;
}

/** Entry fields the chain fills in. */
type ChainFields = 'v' | 'chain' | 'seq' | 'prev' | 'hash' | 'kid';
export type EntryBody = Omit<AuditEntry, ChainFields>;

/**
 * Canonical members of an entry, split around where `hash` sorts. Top-level keys are sorted, so
 * the full line is `{before,"hash":"…",after}` and the hashed text is `{before,after}`: each member
 * is serialized once for both.
 */
function members(entry: Omit<AuditEntry, 'hash'>): { before: string[]; after: string[] } {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new AuditInputError('an entry must be an object');
  const rec = entry as unknown as Record<string, unknown>;
  const keys = Object.keys(rec).sort();
  const before: string[] = [];
  const after: string[] = [];
  for (const k of keys) {
    const v = rec[k];
    if (v === undefined || k === 'hash') continue;
    (k < 'hash' ? before : after).push(`${JSON.stringify(k)}:${canonicalize(v)}`);
  }
  return { before, after };
}

function unhashedText(m: { before: string[]; after: string[] }): string {
  return `{${m.before.concat(m.after).join(',')}}`;
}

function lineText(m: { before: string[]; after: string[] }, hash: string): string {
  return `{${m.before.concat(`"hash":${JSON.stringify(hash)}`, m.after).join(',')}}`;
}

/** Canonical text of `entry` without its `hash` member: the bytes the hash covers (after the tag). */
export function canonicalUnhashed(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  return unhashedText(members(entry));
}

/** Both canonical texts of an entry at once: what the hash covers, and the full line. */
export function canonicalForms(entry: AuditEntry): { unhashed: string; line: string } {
  const m = members(entry);
  return { unhashed: unhashedText(m), line: lineText(m, entry.hash) };
}

/** Recomputes an entry's hash from its content (ignores the stored `hash`). */
export function computeEntryHash(entry: Omit<AuditEntry, 'hash'> | AuditEntry, key?: ResolvedKey): string {
  return hashCanonical(unhashedText(members(entry)), key);
}

/** The canonical line of a sealed entry (what files, HTTP payloads and Kafka values carry). */
export function serializeEntry(entry: AuditEntry): string {
  return canonicalize(entry);
}

export interface HashChainOptions {
  /** Chain id. */
  id: string;
  /** HMAC-SHA256 key; plain SHA-256 when absent. */
  key?: ResolvedKey;
  /** Continue after this entry (same chain id) instead of starting at seq 0. */
  resume?: ChainHead;
}

export class HashChain {
  readonly id: string;
  #key: ResolvedKey | undefined;
  #seq: number;
  #prev: string;

  constructor(options: HashChainOptions) {
    if (options === null || typeof options !== 'object') throw new AuditConfigError('HashChain options must be an object');
    if (typeof options.id !== 'string' || !CHAIN_ID_PATTERN.test(options.id)) {
      throw new AuditConfigError('chain id must be 1-128 characters of A-Z a-z 0-9 . _ : -', { path: 'chain.id' });
    }
    this.id = options.id;
    this.#key = options.key;
    const r = options.resume;
    if (r !== undefined) {
      if (r === null || typeof r !== 'object')
        throw new AuditConfigError('chain.resume must be { chain, seq, hash }', { path: 'chain.resume' });
      if (r.chain !== options.id) throw new AuditConfigError(`cannot resume chain ${r.chain} as ${options.id}`, { path: 'chain.resume' });
      if (!Number.isSafeInteger(r.seq) || r.seq < 0 || typeof r.hash !== 'string' || !HASH_PATTERN.test(r.hash)) {
        throw new AuditConfigError('chain.resume must be { chain, seq >= 0, hash: 64 hex }', { path: 'chain.resume' });
      }
      this.#seq = r.seq + 1;
      this.#prev = r.hash;
    } else {
      this.#seq = 0;
      this.#prev = ZERO_HASH;
    }
  }

  /** The next seq to be sealed. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** The last sealed entry's position, or undefined before the first seal (and no resume). */
  get head(): ChainHead | undefined {
    return this.#seq === 0 ? undefined : { chain: this.id, seq: this.#seq - 1, hash: this.#prev };
  }

  get keyId(): string | undefined {
    return this.#key?.id;
  }

  /** The key for the records sealed from now on (a forward-secure chain's next epoch). */
  rekey(key: ResolvedKey): void {
    this.#key = key;
  }

  /**
   * Fast path of seal() for bodies whose nested objects already have their keys in canonical
   * order, with no array-index-like keys, and whose values all have a canonical form (what the
   * redaction walk produces: redactBody(...).sorted). JSON.stringify of such objects IS the
   * canonical form, so the entry is serialized once, in two halves around where `hash` sorts.
   * Property tests check the output byte for byte against fast-json-stable-stringify and the
   * hash against @noble/hashes. Bodies with other keys take the general path.
   */
  sealSorted(body: EntryBody): SealedRecord {
    const b = body as unknown as Record<string, unknown>;
    for (const k in b) if (!SORTED_BODY_KEYS.has(k)) return this.seal(body);
    const pre: Record<string, unknown> = {};
    if (b.action !== undefined) pre.action = b.action;
    if (b.actor !== undefined) pre.actor = b.actor;
    pre.chain = this.id;
    if (b.details !== undefined) pre.details = b.details;
    if (b.enc !== undefined) pre.enc = b.enc;
    const post: Record<string, unknown> = {};
    if (b.http !== undefined) post.http = b.http;
    if (this.#key) post.kid = this.#key.id;
    post.kind = b.kind;
    if (b.outcome !== undefined) post.outcome = b.outcome;
    if (b.pii !== undefined) post.pii = b.pii;
    post.prev = this.#prev;
    if (b.reason !== undefined) post.reason = b.reason;
    if (b.redacted !== undefined) post.redacted = b.redacted;
    if (b.resource !== undefined) post.resource = b.resource;
    post.seq = this.#seq;
    if (b.service !== undefined) post.service = b.service;
    if (b.trace !== undefined) post.trace = b.trace;
    post.ts = b.ts;
    post.v = 1;
    const head = JSON.stringify(pre).slice(0, -1); // '{...' without '}'
    const tail = JSON.stringify(post).slice(1); // '...}' without '{'
    const hash = hashCanonical(`${head},${tail}`, this.#key);
    const line = `${head},"hash":"${hash}",${tail}`;
    // The body is the logger's own fresh object: complete it in place rather than copying it.
    const entry = b as unknown as AuditEntry;
    entry.v = 1;
    entry.chain = this.id;
    entry.seq = this.#seq;
    entry.prev = this.#prev;
    if (this.#key) entry.kid = this.#key.id;
    entry.hash = hash;
    this.#seq += 1;
    this.#prev = hash;
    return sealedRecord(entry, line);
  }

  /**
   * Seals a body that is already redacted, validated and canonicalizable. Assigns seq/prev, hashes,
   * and advances the chain. Throws (without advancing) if the body cannot be canonicalized.
   */
  seal(body: EntryBody): SealedRecord {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new AuditInputError('seal(body): body must be an object');
    // Chain fields come last so a body can never override them.
    const unsealed = {
      ...body,
      v: 1,
      chain: this.id,
      seq: this.#seq,
      prev: this.#prev,
      ...(this.#key ? { kid: this.#key.id } : {}),
    } as Omit<AuditEntry, 'hash'>;
    if (!this.#key) delete unsealed.kid;
    const m = members(unsealed);
    const hash = hashCanonical(unhashedText(m), this.#key);
    const entry = { ...unsealed, hash } as AuditEntry;
    const line = lineText(m, hash);
    this.#seq += 1;
    this.#prev = hash;
    return sealedRecord(entry, line);
  }
}
