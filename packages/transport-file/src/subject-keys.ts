/**
 * Subject keys for erasure (crypto-shredding; docs/encryption.md §Erasure): one directory per
 * subject pseudonym, one file per key (`<dir>/<sid>/<kid>.key`, base64, mode 0600), written
 * durably before any entry under the key. erase() overwrites each key file with zeros, syncs it,
 * removes the subject's directory and syncs the parent: the key is gone, and with it every copy of
 * the fields it sealed. The directory is secret: whoever holds it reads the personal fields.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditConfigError, type SubjectKeyStore } from '@auditready/core';

const SID = /^[0-9a-f]{32}$/;
const KID = /^[0-9a-f]{16}$/;

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export interface FileSubjectKeyStore extends SubjectKeyStore {
  readonly dir: string;
}

export function fileSubjectKeyStore(dir: string): FileSubjectKeyStore {
  if (typeof dir !== 'string' || dir === '')
    throw new AuditConfigError('fileSubjectKeyStore(dir): dir must be a directory path', { path: 'erasure.keyStore' });
  return {
    dir,
    async put(sid, kid, key) {
      if (!SID.test(sid) || !KID.test(kid)) throw new AuditConfigError(`subject key ${sid}/${kid}: not a pseudonym and key id`);
      const sub = join(dir, sid);
      await mkdir(sub, { recursive: true, mode: 0o700 });
      const tmp = join(sub, `.${kid}.${process.pid}.tmp`);
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(`${Buffer.from(key).toString('base64')}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(sub, `${kid}.key`));
      await syncDir(sub);
      await syncDir(dir);
    },
    async get(sid, kid) {
      if (!SID.test(sid) || !KID.test(kid)) return undefined;
      try {
        return new Uint8Array(Buffer.from((await readFile(join(dir, sid, `${kid}.key`), 'utf8')).trim(), 'base64'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async erase(sid) {
      if (!SID.test(sid)) throw new AuditConfigError(`erase: ${sid} is not a subject pseudonym`);
      const sub = join(dir, sid);
      let files: string[];
      try {
        files = await readdir(sub);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw err;
      }
      const keys = files.filter((f) => f.endsWith('.key'));
      // Overwrite before unlinking: the blocks that held the key do not keep it.
      for (const f of files) {
        const fd = openSync(join(sub, f), 'r+');
        try {
          const size = readFileSync(fd).length;
          writeSync(fd, Buffer.alloc(size), 0, size, 0);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      await rm(sub, { recursive: true, force: true });
      await syncDir(dir);
      return keys.length;
    },
  };
}

/** Every subject key in `dir`, by `sid/kid` (what EntryOpener takes). */
export function readSubjectKeys(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let subs: string[];
  try {
    subs = readdirSync(dir).filter((s) => SID.test(s));
  } catch {
    return out;
  }
  for (const sid of subs) {
    for (const f of readdirSync(join(dir, sid))) {
      const m = /^([0-9a-f]{16})\.key$/.exec(f);
      if (m) out.set(`${sid}/${m[1]}`, new Uint8Array(Buffer.from(readFileSync(join(dir, sid, f), 'utf8').trim(), 'base64')));
    }
  }
  return out;
}
