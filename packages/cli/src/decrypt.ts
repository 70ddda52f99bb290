/**
 * Reading encrypted logs (docs/encryption.md): `--identity <file>` (age identities, one per line,
 * as age-keygen writes them; or AUDITREADY_IDENTITY_FILE) opens the data keys in the log's key
 * directory (`--keys <dir>`, else `keys/` beside the log) and, with them, each entry's content.
 * Identities are read from files only: never from the command line, where other users see them.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EntryOpener } from '@auditready/core';
import { ageIdentities, openKeyDir, readIdentityFile, readSubjectKeys } from '@auditready/transport-file';
import { UsageError } from './inputs.js';

/** The key directories of the inputs: those given, else `keys/` in each input directory (or beside each input file). */
export function keyDirsOf(inputs: readonly string[], given: readonly string[]): string[] {
  if (given.length > 0) {
    for (const d of given) if (!existsSync(d)) throw new UsageError(`--keys ${d}: no such directory`);
    return [...given];
  }
  const dirs = new Set<string>();
  for (const i of inputs) {
    if (i === '-' || /^kafkas?:\/\//.test(i)) continue;
    let base: string;
    try {
      base = statSync(i).isDirectory() ? i : dirname(i);
    } catch {
      base = dirname(i);
    }
    if (existsSync(join(base, 'keys'))) dirs.add(join(base, 'keys'));
  }
  return [...dirs];
}

export interface Decryption {
  opener: EntryOpener;
  /** Data keys in the key directories that none of the identities opens. */
  unopened: string[];
  keyDirs: string[];
}

/**
 * The opener for `--identity` files (and AUDITREADY_IDENTITY_FILE) and `--subject-keys` (erasure:
 * the personal fields, `[erased]` where the subject's keys are gone); undefined when neither is given.
 */
export async function decryptionFor(
  identityFiles: readonly string[],
  env: NodeJS.ProcessEnv,
  inputs: readonly string[],
  keyDirs: readonly string[],
  subjectDir?: string,
): Promise<Decryption | undefined> {
  const files = [...identityFiles, ...(env.AUDITREADY_IDENTITY_FILE ? [env.AUDITREADY_IDENTITY_FILE] : [])];
  if (subjectDir !== undefined && !existsSync(subjectDir)) throw new UsageError(`--subject-keys ${subjectDir}: no such directory`);
  const subjects = subjectDir === undefined ? undefined : readSubjectKeys(subjectDir);
  if (files.length === 0) return subjects ? { opener: new EntryOpener(new Map(), subjects), unopened: [], keyDirs: [] } : undefined;
  let ids: string[];
  try {
    ids = files.flatMap((f) => readIdentityFile(f));
  } catch (err) {
    throw new UsageError(`--identity: ${(err as Error).message}`);
  }
  const dirs = keyDirsOf(inputs, keyDirs);
  if (dirs.length === 0) throw new UsageError('--identity: no key directory (keys/ beside the log): name it with --keys <dir>');
  const keys = new Map<string, Uint8Array>();
  const unopened: string[] = [];
  for (const d of dirs) {
    const opened = await openKeyDir(d, [ageIdentities(ids)]);
    for (const [k, v] of opened.keys) keys.set(k, v);
    unopened.push(...opened.unopened);
  }
  return { opener: new EntryOpener(keys, subjects), unopened: unopened.filter((k) => !keys.has(k)), keyDirs: dirs };
}

/** What the verdict says of encrypted entries. */
export function sealedLines(
  sealed: { entries: number; opened: number; keysMissing: string[]; erased?: number } | undefined,
  decryption: Decryption | undefined,
): string[] {
  if (sealed === undefined) return [];
  const n = (x: number) => x.toLocaleString('en-US');
  if (decryption === undefined)
    return [
      `Encrypted: ${n(sealed.entries)} entries hold sealed content; their hashes, links and checkpoints were checked, their content was not (give --identity <file> to open it)`,
    ];
  return [
    `Encrypted: ${n(sealed.entries)} entries hold sealed content; ${n(sealed.opened)} opened with the keys given and are valid entries${sealed.keysMissing.length > 0 ? `; ${n(sealed.entries - sealed.opened)} under data keys no identity opens (${sealed.keysMissing.join(', ')}): their content was not checked` : ''}${sealed.erased ? `; ${n(sealed.erased)} with personal fields erased` : ''}`,
  ];
}
