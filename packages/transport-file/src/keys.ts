/**
 * Data keys for encryption at rest (docs/encryption.md, docs/spec/encryption.md): age recipients
 * that wrap them, age identities that unwrap them, and a directory of key files (one per data key,
 * `<kid>.json`, written durably before any entry under the key is). Key files are outside the
 * chain: re-wrapping them for other recipients (rewrapKeys) changes no entry.
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AuditConfigError,
  AuditInputError,
  type DataKeyFile,
  type DataKeyStore,
  type KeyUnwrapper,
  type KeyWrapper,
  parseDataKeyFile,
  unwrapDataKey,
} from '@auditready/core';
import { AgeDecryptError, ageDecrypt, ageEncrypt } from './age.js';

const KEY_FILE = /^([0-9a-f]{32})\.json$/;
const RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** Wraps every data key for these age X25519 recipients (`age1…`), as one age file. */
export function ageRecipients(recipients: readonly string[]): KeyWrapper {
  if (!Array.isArray(recipients) || recipients.length === 0)
    throw new AuditConfigError('ageRecipients: give at least one age recipient (age1…)', { path: 'encryption.recipients' });
  for (const r of recipients)
    if (typeof r !== 'string' || !RECIPIENT.test(r))
      throw new AuditConfigError(`ageRecipients: ${JSON.stringify(String(r).slice(0, 80))} is not an age X25519 recipient (age1…)`, {
        path: 'encryption.recipients',
      });
  const list = [...recipients];
  return {
    type: 'age',
    id: list.join(','),
    wrapKey: async (key) => (await ageEncrypt(key, list)) as Uint8Array,
  };
}

/** Unwraps data keys wrapped for any of these age identities (`AGE-SECRET-KEY-1…`). */
export function ageIdentities(identities: readonly string[]): KeyUnwrapper {
  const list = [...identities];
  return {
    type: 'age',
    async unwrapKey(wrapped) {
      try {
        return await ageDecrypt(wrapped, list);
      } catch (err) {
        if (err instanceof AgeDecryptError) return undefined; // not for these identities (or damaged): another may open it
        throw err;
      }
    },
  };
}

/**
 * The identities in an age identity file (as `age-keygen` writes it: `#` comments, one
 * `AGE-SECRET-KEY-1…` per line). Read from a file, never from the command line.
 */
export function readIdentityFile(path: string): string[] {
  if (/AGE-SECRET-KEY-1/i.test(path))
    throw new AuditInputError(
      'an identity file is a path: that looks like the identity itself, which must never be on a command line (write it to a file, mode 0600)',
    );
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuditInputError(`identity file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const bad = ids.findIndex((l) => !/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(l));
  if (ids.length === 0 || bad >= 0)
    throw new AuditInputError(
      `identity file ${path}: expected age identities (AGE-SECRET-KEY-1…), one per line${bad >= 0 ? ` (line ${bad + 1} is not one)` : ''}`,
    );
  return ids;
}

/** A directory of key files: what `encryption.keyStore` takes, and what readers open. */
export interface FileKeyStore extends DataKeyStore {
  readonly dir: string;
  get(kid: string): Promise<DataKeyFile | undefined>;
  /** Every key file's id, sorted. */
  list(): Promise<string[]>;
}

/** Writes `text` to `dir/name` durably: a temporary file, fsync, rename, fsync of the directory. */
async function writeDurably(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Key files in `dir` (created 0700 when missing). */
export function fileKeyStore(dir: string): FileKeyStore {
  if (typeof dir !== 'string' || dir === '')
    throw new AuditConfigError('fileKeyStore(dir): dir must be a directory path', { path: 'encryption.keyStore' });
  let made = false;
  return {
    dir,
    async put(file) {
      if (!made) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        made = true;
      }
      await writeDurably(dir, `${file.kid}.json`, `${JSON.stringify(file)}\n`);
    },
    async get(kid) {
      if (!/^[0-9a-f]{32}$/.test(kid)) return undefined;
      let text: string;
      try {
        text = await readFile(join(dir, `${kid}.json`), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      return parseKeyText(text, join(dir, `${kid}.json`));
    },
    async list() {
      try {
        return (await readdir(dir)).flatMap((f) => KEY_FILE.exec(f)?.[1] ?? []).sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
  };
}

function parseKeyText(text: string, where: string): DataKeyFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AuditInputError(`${where}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const f = parseDataKeyFile(value, where);
  if (!where.endsWith(`${f.kid}.json`)) throw new AuditInputError(`${where}: holds data key ${f.kid}, not the one its name says`);
  return f;
}

/** What opening a directory of key files found: the data keys, and the ids no identity could open. */
export interface OpenedKeys {
  keys: Map<string, Uint8Array>;
  unopened: string[];
}

/** Unwraps every key file in `dir` that one of the unwrappers can; a forged key file (wrong key inside) throws AuditDecryptError. */
export async function openKeyDir(dir: string, unwrappers: readonly KeyUnwrapper[]): Promise<OpenedKeys> {
  const store = fileKeyStore(dir);
  const keys = new Map<string, Uint8Array>();
  const unopened: string[] = [];
  for (const kid of await store.list()) {
    const file = (await store.get(kid)) as DataKeyFile;
    const key = await unwrapDataKey(file, unwrappers);
    if (key) keys.set(kid, key);
    else unopened.push(kid);
  }
  return { keys, unopened };
}

/**
 * Re-wraps key files for new recipients (key rotation of readers; a recipient removed): each key
 * the unwrappers open is wrapped again for `to` and its file replaced atomically. Entries, their
 * hashes, checkpoints and proofs are untouched. `kids`: only these keys (default: all).
 * Returns the ids re-wrapped and those none of the unwrappers could open (left as they were).
 */
export async function rewrapKeys(
  dir: string,
  unwrappers: readonly KeyUnwrapper[],
  to: readonly KeyWrapper[],
  kids?: readonly string[],
): Promise<{ rewrapped: string[]; unopened: string[] }> {
  if (to.length === 0) throw new AuditConfigError('rewrapKeys: give at least one recipient to wrap for');
  const store = fileKeyStore(dir);
  const rewrapped: string[] = [];
  const unopened: string[] = [];
  for (const kid of kids ?? (await store.list())) {
    const file = await store.get(kid);
    if (!file) throw new AuditInputError(`${dir}: no key file for data key ${kid}`);
    const key = await unwrapDataKey(file, unwrappers);
    if (!key) {
      unopened.push(kid);
      continue;
    }
    const wrapped: DataKeyFile['wrapped'] = [];
    for (const w of to) {
      const data = await w.wrapKey(key, { kid, chain: file.chain });
      wrapped.push({ type: w.type, id: w.id, data: Buffer.from(data).toString('base64') });
    }
    key.fill(0);
    await writeDurably(dir, `${kid}.json`, `${JSON.stringify({ ...file, wrapped, rewrapped: new Date().toISOString() })}\n`);
    rewrapped.push(kid);
  }
  return { rewrapped, unopened };
}
