/**
 * Encryption of entries at rest (docs/spec/encryption.md). The content of an app entry (everything
 * but the chain fields, `kind` and `ts`) is sealed with AES-256-GCM under a data key BEFORE the
 * entry is hashed: the entry holds `enc: { ct, iv, kid }`, its hash covers the ciphertext, so a
 * holder without the key still verifies chain links, seqs, hashes, checkpoints and signatures, and
 * any change to a ciphertext breaks the chain. The additional data binds each ciphertext to its
 * chain, seq, kind, ts and key id: moved to another entry, it does not open.
 *
 * A data key is random, used by one logger only (so the counter nonces never repeat), and never
 * written in the clear: before any entry sealed under it may be written, it is wrapped for every
 * recipient (an age X25519 recipient, a KMS) and the wrapped copies stored (DataKeyStore), outside
 * the chain, so re-wrapping for new recipients changes no entry. Its id is a hash of the key, so a
 * key file that unwraps to anything else is refused.
 */
import type { KeyObject } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { fromBase64, toBase64 } from './base64.js';
import { canonicalize } from './canonical.js';
import { AuditConfigError, AuditDecryptError, AuditInputError, AuditKeyStoreError } from './errors.js';

export { AuditDecryptError, AuditKeyStoreError };

import type { EntryBody } from './hash-chain.js';
import { getNodeCrypto } from './platform.js';
import { SEALED_CONTENT } from './schema.js';
import { openSubject } from './subjects.js';
import type { AuditEntry, SealedFields } from './types.js';
import { errorMessage, isPlainObject } from './util.js';

/** Kinds whose content is encrypted: what the app recorded (and what it tried to: `rejected`). Library records stay clear. */
export const ENCRYPTED_KINDS: ReadonlySet<string> = new Set(['access', 'event', 'rejected']);
/** Body fields that stay in the clear besides the chain fields: the kind and the time (windows, retention, indexes). */
const CLEAR_BODY_FIELDS = new Set(['kind', 'ts']);
const CONTENT_FIELDS: readonly string[] = SEALED_CONTENT;
const DATA_KEY_LABEL = 'auditready/v1 data key\n';
const KID_PATTERN = /^[0-9a-f]{32}$/;
const UTF8 = new TextEncoder();

/** Wraps a data key for one reader: an age recipient, a KMS master key. */
export interface KeyWrapper {
  /** Names the kind of wrapping, stored beside the wrapped key (`age`, `kms`, ...). */
  readonly type: string;
  /** Names the recipient or master key (an `age1…` recipient, a KMS key ARN): public, stored beside the wrapped key. */
  readonly id: string;
  wrapKey(dataKey: Uint8Array, context: DataKeyContext): Promise<Uint8Array>;
}

/** Unwraps data keys of one `type` (e.g. with age identities, or a KMS client); undefined when it cannot. */
export interface KeyUnwrapper {
  readonly type: string;
  unwrapKey(wrapped: Uint8Array, context: DataKeyContext & { id: string }): Promise<Uint8Array | undefined>;
}

export interface DataKeyContext {
  /** The data key's id (what entries name in `enc.kid`). */
  readonly kid: string;
  /** The chain whose entries it seals. */
  readonly chain: string;
}

/** A data key as stored: wrapped for each recipient, never in the clear (docs/spec/encryption.md §Key files). */
export interface DataKeyFile {
  v: 1;
  kid: string;
  chain: string;
  created: string;
  alg: 'A256GCM';
  wrapped: { type: string; id: string; data: string }[];
}

/** Where wrapped data keys are kept. `put` resolves once the key file is durable (entries under it wait for that). */
export interface DataKeyStore {
  put(file: DataKeyFile): Promise<void>;
  get?(kid: string): Promise<DataKeyFile | undefined>;
}

export interface EncryptionOptions {
  /** Who can read the entries: each wraps every data key. At least one. */
  recipients: readonly KeyWrapper[];
  /** Where the wrapped data keys go (e.g. fileKeyStore(dir) from @auditready/transport-file). */
  keyStore: DataKeyStore;
  /** A new data key after this many entries (default 1,000,000); file transports also ask for one at each new segment. */
  rotateEntries?: number;
  /** ... or after this many ms (default 24 h). */
  rotateMs?: number;
}

type NodeCrypto = NonNullable<ReturnType<typeof getNodeCrypto>>;

function nodeCrypto(what: string): NodeCrypto {
  const c = getNodeCrypto();
  if (!c) throw new AuditConfigError(`${what} needs node:crypto (AES-256-GCM): run it on Node`);
  return c;
}

/** The id of a data key: the first 128 bits of SHA-256 over a label and the key (so a key file cannot unwrap to another key unseen). */
export function dataKeyId(key: Uint8Array): string {
  const label = UTF8.encode(DATA_KEY_LABEL);
  const buf = new Uint8Array(label.length + key.length);
  buf.set(label);
  buf.set(key, label.length);
  return bytesToHex(sha256(buf)).slice(0, 32);
}

/** The additional authenticated data of an entry's ciphertext: where it belongs (ASCII: chain ids, kinds, ts and kids are). */
function aad(chain: string, seq: number, kind: string, ts: string, kid: string): Uint8Array {
  return Buffer.from(`auditready/v1 entry\n${chain}\n${seq}\n${kind}\n${ts}\n${kid}`, 'latin1');
}

/** Every content field of a body (the general path: fields of another format version too). */
function contentOf(b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f in b) if (b[f] !== undefined && !CLEAR_BODY_FIELDS.has(f)) out[f] = b[f];
  return out;
}

interface DataKey {
  kid: string;
  raw: Uint8Array;
  key: KeyObject;
  /** Entries sealed under it: the nonce counter. */
  count: number;
  /** The nonce buffer, rewritten for each entry (the cipher copies it). */
  iv: Buffer;
  born: number;
  /** The wrapped key's storing, once started; undefined again after a failure (retried). */
  stored: Promise<void> | undefined;
  done: boolean;
}

/** Seals entry content under rotating data keys; one per logger. */
export class EntryEncryptor {
  readonly #recipients: readonly KeyWrapper[];
  readonly #store: DataKeyStore;
  readonly #chain: string;
  readonly #rotateEntries: number;
  readonly #rotateMs: number;
  readonly #now: () => number;
  readonly #crypto: NodeCrypto;
  #current: DataKey;
  /** Keys whose wrapped copies are not yet durable. */
  readonly #unstored = new Set<DataKey>();
  #rotateRequested = false;

  constructor(options: EncryptionOptions, chain: string, now: () => number = Date.now) {
    checkEncryptionOptions(options);
    this.#crypto = nodeCrypto('encryption');
    this.#recipients = [...options.recipients];
    this.#store = options.keyStore;
    this.#chain = chain;
    this.#rotateEntries = options.rotateEntries ?? 1_000_000;
    this.#rotateMs = options.rotateMs ?? 86_400_000;
    this.#now = now;
    this.#current = this.#newKey();
  }

  /** The data key entries are sealed under now. */
  get keyId(): string {
    return this.#current.kid;
  }

  /** Entries sealed from now on use a new data key (a file transport asks at each new segment). */
  rotate(): void {
    this.#rotateRequested = true;
  }

  /** The body with its content sealed (`enc`), for an entry that will be `seq` of the chain; other kinds unchanged. */
  seal(body: EntryBody, seq: number, sorted: boolean): EntryBody {
    if (!ENCRYPTED_KINDS.has(body.kind)) return body;
    let k = this.#current;
    if (this.#rotateRequested || k.count >= this.#rotateEntries || this.#now() - k.born >= this.#rotateMs) k = this.#rotateNow();
    const b = body as unknown as Record<string, unknown>;
    // The content in canonical order. Sorted bodies (nested keys already in order) need one JSON.stringify.
    const content: Record<string, unknown> = {};
    let n = 0;
    for (const f of CONTENT_FIELDS) {
      const v = b[f];
      if (v !== undefined) {
        content[f] = v;
        n++;
      }
    }
    let fields = 0;
    for (const f in b) if (b[f] !== undefined && !CLEAR_BODY_FIELDS.has(f)) fields++;
    const plain = sorted && fields === n ? JSON.stringify(content) : canonicalize(contentOf(b));
    // Nonce: 4 zero bytes and the key's 64-bit counter (a data key is one logger's only: never repeated).
    const iv = k.iv;
    iv.writeUInt32BE(Math.floor(k.count / 0x1_0000_0000), 4);
    iv.writeUInt32BE(k.count % 0x1_0000_0000, 8);
    k.count++;
    const c = this.#crypto.createCipheriv('aes-256-gcm', k.key, iv);
    c.setAAD(aad(this.#chain, seq, body.kind, body.ts, k.kid));
    const head = c.update(plain, 'utf8');
    c.final();
    const enc: SealedFields = { ct: Buffer.concat([head, c.getAuthTag()]).toString('base64'), iv: iv.toString('base64'), kid: k.kid };
    return { kind: body.kind, ts: body.ts, enc } as EntryBody;
  }

  /**
   * Resolves once every data key used so far is stored (at once, usually: undefined); rejects with
   * AuditKeyStoreError when one could not be, and the next call tries again.
   */
  pending(): Promise<void> | undefined {
    if (this.#unstored.size === 0) return undefined;
    return Promise.all([...this.#unstored].map((k) => this.#storeKey(k))).then(() => undefined);
  }

  #rotateNow(): DataKey {
    this.#rotateRequested = false;
    this.#current = this.#newKey();
    return this.#current;
  }

  #newKey(): DataKey {
    const raw = new Uint8Array(this.#crypto.randomBytes(32));
    const k: DataKey = {
      kid: dataKeyId(raw),
      raw,
      key: this.#crypto.createSecretKey(raw),
      count: 0,
      iv: Buffer.alloc(12),
      born: this.#now(),
      stored: undefined,
      done: false,
    };
    this.#unstored.add(k);
    void this.#storeKey(k).catch(() => {}); // start now; a failure is retried (and reported) by pending()
    return k;
  }

  #storeKey(k: DataKey): Promise<void> {
    if (k.done) return Promise.resolve();
    k.stored ??= this.#wrapAndPut(k).then(
      () => {
        k.done = true;
        this.#unstored.delete(k);
        if (k !== this.#current) k.raw.fill(0); // its entries are sealed: the app's memory need not keep it
      },
      (err: unknown) => {
        k.stored = undefined;
        throw err instanceof AuditKeyStoreError ? err : new AuditKeyStoreError(`data key ${k.kid}: ${errorMessage(err)}`, { cause: err });
      },
    );
    return k.stored;
  }

  async #wrapAndPut(k: DataKey): Promise<void> {
    const context = { kid: k.kid, chain: this.#chain };
    const wrapped: DataKeyFile['wrapped'] = [];
    for (const r of this.#recipients) {
      let data: Uint8Array;
      try {
        data = await r.wrapKey(k.raw.slice(), context);
      } catch (err) {
        throw new AuditKeyStoreError(`data key ${k.kid}: recipient ${r.type} ${r.id} could not wrap it: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      if (!(data instanceof Uint8Array) || data.length === 0)
        throw new AuditKeyStoreError(`data key ${k.kid}: recipient ${r.type} ${r.id} returned no wrapped key`);
      wrapped.push({ type: r.type, id: r.id, data: toBase64(data) });
    }
    const file: DataKeyFile = { v: 1, kid: k.kid, chain: this.#chain, created: new Date(k.born).toISOString(), alg: 'A256GCM', wrapped };
    try {
      await this.#store.put(file);
    } catch (err) {
      throw new AuditKeyStoreError(`data key ${k.kid}: the key store could not keep it: ${errorMessage(err)}`, { cause: err });
    }
  }
}

function checkEncryptionOptions(o: EncryptionOptions): void {
  if (!isPlainObject(o)) throw new AuditConfigError('encryption must be an object { recipients, keyStore }', { path: 'encryption' });
  const r = o.recipients as unknown;
  if (!Array.isArray(r) || r.length === 0)
    throw new AuditConfigError('encryption.recipients must list at least one key wrapper (e.g. ageRecipients([...]))', {
      path: 'encryption.recipients',
    });
  for (const [i, w] of r.entries()) {
    const ok =
      w !== null && typeof w === 'object' && typeof w.type === 'string' && typeof w.id === 'string' && typeof w.wrapKey === 'function';
    if (!ok) throw new AuditConfigError('a recipient must be { type, id, wrapKey(dataKey) }', { path: `encryption.recipients[${i}]` });
  }
  const s = o.keyStore as unknown as { put?: unknown } | undefined;
  if (s === null || typeof s !== 'object' || typeof s.put !== 'function')
    throw new AuditConfigError('encryption.keyStore must be { put(keyFile) } (e.g. fileKeyStore(dir))', { path: 'encryption.keyStore' });
  for (const f of ['rotateEntries', 'rotateMs'] as const) {
    const v = o[f];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1))
      throw new AuditConfigError(`encryption.${f} must be a positive integer`, { path: `encryption.${f}` });
  }
}

// ---- reading --------------------------------------------------------------------------------

/** Checks a key file's shape (JSON from a store); throws AuditInputError naming what is wrong. */
export function parseDataKeyFile(value: unknown, where: string): DataKeyFile {
  const f = value as DataKeyFile;
  const ok =
    isPlainObject(value) &&
    f.v === 1 &&
    typeof f.kid === 'string' &&
    KID_PATTERN.test(f.kid) &&
    typeof f.chain === 'string' &&
    f.alg === 'A256GCM' &&
    Array.isArray(f.wrapped) &&
    f.wrapped.every((w) => isPlainObject(w) && typeof w.type === 'string' && typeof w.id === 'string' && typeof w.data === 'string');
  if (!ok) throw new AuditInputError(`${where}: not a data key file (v 1, kid, chain, alg A256GCM, wrapped[])`);
  return f;
}

/**
 * The data key in a key file, unwrapped by the first unwrapper that can; undefined when none can.
 * Throws AuditDecryptError when what unwraps is not the key the file names (a swapped or forged file).
 */
export async function unwrapDataKey(file: DataKeyFile, unwrappers: readonly KeyUnwrapper[]): Promise<Uint8Array | undefined> {
  for (const w of file.wrapped) {
    const bytes = fromBase64(w.data);
    if (!bytes) continue;
    for (const u of unwrappers) {
      if (u.type !== w.type) continue;
      const key = await u.unwrapKey(bytes, { kid: file.kid, chain: file.chain, id: w.id });
      if (key === undefined) continue;
      if (key.length !== 32 || dataKeyId(key) !== file.kid)
        throw new AuditDecryptError(`key file ${file.kid}: the key wrapped for ${w.type} ${w.id} is not the data key it names`);
      return key;
    }
  }
  return undefined;
}

/** The entry with its content opened (no `enc`), as it was before sealing; AuditDecryptError if it does not open. */
export function openEntry(entry: AuditEntry, key: Uint8Array): AuditEntry {
  const enc = entry.enc;
  if (enc === undefined) return entry;
  const iv = fromBase64(enc.iv);
  const ct = fromBase64(enc.ct);
  if (iv?.length !== 12 || ct === undefined || ct.length < 16)
    throw new AuditDecryptError(`seq ${entry.seq}: enc.iv or enc.ct is not valid base64 of the right size`);
  const c = nodeCrypto('decryption').createDecipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(entry.chain, entry.seq, entry.kind, entry.ts, enc.kid));
  c.setAuthTag(ct.subarray(ct.length - 16));
  let plain: string;
  try {
    plain = Buffer.concat([c.update(ct.subarray(0, ct.length - 16)), c.final()]).toString('utf8');
  } catch (err) {
    throw new AuditDecryptError(
      `seq ${entry.seq}: the ciphertext does not open under data key ${enc.kid} (altered, or moved from another entry)`,
      { cause: err },
    );
  }
  const content = JSON.parse(plain) as Record<string, unknown>;
  const { enc: _sealed, ...clear } = entry;
  return { ...content, ...clear } as AuditEntry;
}

/** Opens entries with data keys (by kid) and subject keys (by `sid/kid`): what `verify/query/evidence --identity` use. */
export class EntryOpener {
  readonly #keys: ReadonlyMap<string, Uint8Array>;
  readonly #subjects: ReadonlyMap<string, Uint8Array> | undefined;
  /** Entries whose personal fields read `[erased]`: their subject's key is gone (or not given). */
  erased = 0;
  constructor(keys: ReadonlyMap<string, Uint8Array>, subjectKeys?: ReadonlyMap<string, Uint8Array>) {
    this.#keys = keys;
    this.#subjects = subjectKeys;
  }
  has(kid: string): boolean {
    return this.#keys.has(kid);
  }
  /**
   * The opened entry: content opened with its data key, personal fields with their subject key (or
   * `[erased]` without one, when subject keys were given). Undefined when its data key is not held;
   * AuditDecryptError when something does not open.
   */
  open(entry: AuditEntry): AuditEntry | undefined {
    let e = entry;
    if (e.enc !== undefined) {
      const key = this.#keys.get(e.enc.kid);
      if (key === undefined) return undefined;
      e = openEntry(e, key);
    }
    if (e.pii !== undefined && this.#subjects !== undefined) {
      const key = this.#subjects.get(`${e.pii.sid}/${e.pii.kid}`);
      if (key === undefined) this.erased++;
      e = openSubject(e, key);
    }
    return e;
  }
}
