/**
 * Erasure without breaking the proof (crypto-shredding; docs/encryption.md §Erasure): the personal
 * fields of an entry (actor id, name, ip, user agent, session, and the paths a policy names) are
 * encrypted under a key of their subject (the actor) BEFORE the entry is hashed, and held as
 * `pii: { sid, kid, paths, ct, iv }`. Erasing the subject destroys its keys: every entry, hash,
 * checkpoint and proof stays as it was, and the fields read `[erased]` from then on. `sid` is a
 * keyed pseudonym of the subject (HMAC-SHA256 under the pseudonym key), so an erasure record can
 * name whom it erased without naming them.
 */
import type { KeyObject } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { fromBase64 } from './base64.js';
import { canonicalize } from './canonical.js';
import { AuditConfigError, AuditDecryptError, AuditKeyStoreError } from './errors.js';
import { type AuditKey, type ResolvedKey, resolveKey } from './hash.js';
import type { EntryBody } from './hash-chain.js';
import { getNodeCrypto } from './platform.js';
import type { AuditEntry, SubjectFields } from './types.js';
import { errorMessage, isPlainObject } from './util.js';

/** What erased fields read as. */
export const ERASED = '[erased]';
/** Personal fields sealed per subject unless `fields` says otherwise. */
export const DEFAULT_PERSONAL_FIELDS: readonly string[] = ['actor.id', 'actor.name', 'actor.ip', 'actor.userAgent', 'actor.session'];
const PATH = /^(actor|resource|http|trace|details)(\.[A-Za-z0-9_$-]{1,64}){1,4}$/;
const SID = /^[0-9a-f]{32}$/;
const KEYS_CACHED = 100_000;

/** Where subject keys live: several per subject (one per writer process), all destroyed by erase(). */
export interface SubjectKeyStore {
  /** Resolves once the key is durable (entries under it wait for that). */
  put(sid: string, kid: string, key: Uint8Array): Promise<void>;
  /** The key, or undefined once erased (or never stored). */
  get(sid: string, kid: string): Promise<Uint8Array | undefined>;
  /** Destroys every key of the subject; resolves with how many there were, once durable. */
  erase(sid: string): Promise<number>;
}

export interface ErasureOptions {
  /** The subject keys (e.g. fileSubjectKeyStore(dir) from @auditready/transport-file). Secret: whoever holds it reads the fields. */
  keyStore: SubjectKeyStore;
  /** HMAC key of the subject pseudonyms. Keep it: erasing a subject later needs it. */
  pseudonymKey: AuditKey;
  /** Paths sealed per subject (default DEFAULT_PERSONAL_FIELDS): under actor, resource, http, trace or details. */
  fields?: readonly string[];
}

export interface ErasureResult {
  /** The subject's pseudonym, as entries and the erasure record name it. */
  sid: string;
  /** Keys destroyed. */
  keys: number;
}

/** The keyed pseudonym of a subject: 32 hex digits of HMAC-SHA256(pseudonym key, label || subject). */
export function subjectPseudonym(pseudonymKey: AuditKey | ResolvedKey, subject: string): string {
  const k = 'bytes' in pseudonymKey ? pseudonymKey : resolveKey(pseudonymKey, 'erasure.pseudonymKey');
  return bytesToHex(hmac(sha256, k.bytes, new TextEncoder().encode(`auditready/v1 subject\n${subject}`))).slice(0, 32);
}

function aad(chain: string, seq: number, sid: string, kid: string): Uint8Array {
  return Buffer.from(`auditready/v1 subject\n${chain}\n${seq}\n${sid}\n${kid}`, 'latin1');
}

interface SubjectKey {
  kid: string;
  key: KeyObject;
  stored: Promise<void> | undefined;
  done: boolean;
}

/** Seals the personal fields of app entries under their subject's key; one per logger. */
export class SubjectSealer {
  readonly #store: SubjectKeyStore;
  readonly #pseudonym: ResolvedKey;
  readonly #fields: string[][];
  readonly #chain: string;
  readonly #keys = new Map<string, SubjectKey>();
  readonly #unstored = new Map<string, SubjectKey>();
  readonly #crypto: NonNullable<ReturnType<typeof getNodeCrypto>>;

  constructor(o: ErasureOptions, chain: string) {
    if (!isPlainObject(o)) throw new AuditConfigError('erasure must be { keyStore, pseudonymKey, fields? }', { path: 'erasure' });
    const s = o.keyStore as unknown as Record<string, unknown> | undefined;
    if (!s || typeof s.put !== 'function' || typeof s.get !== 'function' || typeof s.erase !== 'function')
      throw new AuditConfigError('erasure.keyStore must be { put, get, erase } (e.g. fileSubjectKeyStore(dir))', {
        path: 'erasure.keyStore',
      });
    this.#pseudonym = resolveKey(o.pseudonymKey, 'erasure.pseudonymKey');
    const fields = o.fields ?? DEFAULT_PERSONAL_FIELDS;
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string' || !PATH.test(f)))
      throw new AuditConfigError('erasure.fields: dotted paths under actor, resource, http, trace or details (e.g. "details.email")', {
        path: 'erasure.fields',
      });
    if (!fields.includes('actor.id'))
      throw new AuditConfigError('erasure.fields must include actor.id: the subject is the actor', { path: 'erasure.fields' });
    this.#fields = [...new Set(fields)].sort().map((f) => f.split('.'));
    this.#store = o.keyStore;
    this.#chain = chain;
    const c = getNodeCrypto();
    if (!c) throw new AuditConfigError('erasure needs node:crypto (AES-256-GCM): run it on Node');
    this.#crypto = c;
  }

  /** The body with its subject's personal fields sealed (`pii`); unchanged without an actor id or personal fields. */
  seal(body: EntryBody, seq: number): EntryBody {
    const b = body as unknown as Record<string, unknown>;
    const subject = (b.actor as { id?: unknown } | undefined)?.id;
    if (typeof subject !== 'string') return body;
    const found: Record<string, unknown> = {};
    const paths: string[] = [];
    for (const path of this.#fields) {
      const v = take(b, path);
      if (v === undefined) continue;
      const p = path.join('.');
      found[p] = v;
      paths.push(p);
    }
    const sid = subjectPseudonym(this.#pseudonym, subject);
    const k = this.#keyOf(sid);
    const iv = this.#crypto.randomBytes(12);
    const c = this.#crypto.createCipheriv('aes-256-gcm', k.key, iv);
    c.setAAD(aad(this.#chain, seq, sid, k.kid));
    const head = c.update(canonicalize(found), 'utf8');
    c.final();
    const pii: SubjectFields = {
      ct: Buffer.concat([head, c.getAuthTag()]).toString('base64'),
      iv: iv.toString('base64'),
      kid: k.kid,
      paths,
      sid,
    };
    b.pii = pii;
    return body;
  }

  /** Resolves once every subject key used so far is stored; rejects (AuditKeyStoreError) when one could not be, retried next time. */
  pending(): Promise<void> | undefined {
    if (this.#unstored.size === 0) return undefined;
    return Promise.all([...this.#unstored].map(([sid, k]) => this.#storeKey(sid, k))).then(() => undefined);
  }

  /** Destroys every key of `subject` (those of other processes too, through the store). */
  async erase(subject: string): Promise<ErasureResult> {
    const sid = subjectPseudonym(this.#pseudonym, subject);
    const mine = this.#keys.get(sid);
    this.#keys.delete(sid);
    if (mine && !mine.done) await this.#storeKey(sid, mine).catch(() => undefined); // then erased with the rest
    return { sid, keys: await this.#store.erase(sid) };
  }

  #keyOf(sid: string): SubjectKey {
    let k = this.#keys.get(sid);
    if (k) return k;
    if (this.#keys.size >= KEYS_CACHED) this.#keys.delete(this.#keys.keys().next().value as string);
    const raw = new Uint8Array(this.#crypto.randomBytes(32));
    k = { kid: bytesToHex(sha256(raw)).slice(0, 16), key: this.#crypto.createSecretKey(raw), stored: undefined, done: false };
    this.#keys.set(sid, k);
    this.#unstored.set(sid, k);
    this.#raw.set(k, raw);
    this.#storeKey(sid, k).catch(() => {}); // started now; a failure is retried (and reported) by pending()
    return k;
  }

  /** Raw key bytes until stored (a retry needs them). */
  readonly #raw = new WeakMap<SubjectKey, Uint8Array>();

  #storeKey(sid: string, k: SubjectKey): Promise<void> {
    if (k.done) return Promise.resolve();
    const raw = this.#raw.get(k) as Uint8Array;
    k.stored ??= this.#store.put(sid, k.kid, raw).then(
      () => {
        k.done = true;
        this.#unstored.delete(sid);
      },
      (err: unknown) => {
        k.stored = undefined;
        throw new AuditKeyStoreError(`subject key ${sid}/${k.kid}: the key store could not keep it: ${errorMessage(err)}`, { cause: err });
      },
    );
    return k.stored;
  }
}

/** Removes and returns the value at `path` of a body (parents copied first: the body's objects may be shared). */
function take(b: Record<string, unknown>, path: string[]): unknown {
  let parent = b;
  const chain: Record<string, unknown>[] = [b];
  for (let i = 0; i < path.length - 1; i++) {
    const next = parent[path[i] as string];
    if (!isPlainObject(next)) return undefined;
    parent = next;
    chain.push(parent);
  }
  const last = path[path.length - 1] as string;
  const v = parent[last];
  if (v === undefined) return undefined;
  // Copy the parents down the path, so that only this body loses the field.
  let holder = b;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const copy = { ...(chain[i + 1] as Record<string, unknown>) };
    holder[key] = copy;
    holder = copy;
  }
  delete holder[last];
  return v;
}

/** Puts `value` at `path` of an (opened) entry, creating objects as needed. */
function put(e: Record<string, unknown>, path: string[], value: unknown): void {
  let o = e;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = o[key];
    o[key] = isPlainObject(next) ? { ...next } : {};
    o = o[key] as Record<string, unknown>;
  }
  o[path[path.length - 1] as string] = value;
}

/**
 * The entry with its personal fields back (the subject key given), or reading `[erased]` (no key:
 * erased, or not held). AuditDecryptError when the fields do not open under the key given.
 */
export function openSubject(entry: AuditEntry, key: Uint8Array | undefined): AuditEntry {
  const pii = entry.pii;
  if (pii === undefined) return entry;
  const { pii: _sealed, ...rest } = entry;
  const out = rest as unknown as Record<string, unknown>;
  if (key === undefined) {
    for (const p of pii.paths) put(out, p.split('.'), ERASED);
    return out as unknown as AuditEntry;
  }
  const iv = fromBase64(pii.iv);
  const ct = fromBase64(pii.ct);
  if (iv?.length !== 12 || ct === undefined || ct.length < 16 || !SID.test(pii.sid))
    throw new AuditDecryptError(`seq ${entry.seq}: pii is not well formed`);
  const c = (getNodeCrypto() as NonNullable<ReturnType<typeof getNodeCrypto>>).createDecipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(entry.chain, entry.seq, pii.sid, pii.kid));
  c.setAuthTag(ct.subarray(ct.length - 16));
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(Buffer.concat([c.update(ct.subarray(0, ct.length - 16)), c.final()]).toString('utf8'));
  } catch (err) {
    throw new AuditDecryptError(
      `seq ${entry.seq}: the personal fields do not open under subject key ${pii.sid}/${pii.kid} (altered, or moved)`,
      {
        cause: err,
      },
    );
  }
  for (const p of pii.paths) put(out, p.split('.'), fields[p]);
  return out as unknown as AuditEntry;
}
