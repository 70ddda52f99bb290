/**
 * HMAC keys for keyed chains: `--key <id>=<secret>` (repeatable), `--key-file <path>` (one
 * `<id>=<secret>` per line, # comments), or AUDITREADY_KEYS (same lines). Secrets are
 * `hex:...` or `base64:...`. Prefer a key file or the environment: command lines are visible to
 * other users of the machine and end up in shell history.
 */
import { readFileSync } from 'node:fs';
import type { AuditKey } from '@auditready/core';
import { UsageError } from './inputs.js';

function parseKey(text: string, where: string): AuditKey {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`${where}: a key is <id>=hex:<hex> or <id>=base64:<base64>`);
  const id = text.slice(0, eq).trim();
  const secret = text.slice(eq + 1).trim();
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id)) throw new UsageError(`${where}: key id "${id}" must be 1-64 characters of A-Z a-z 0-9 . _ : -`);
  if (!/^(hex:[0-9a-fA-F]{32,}|base64:[A-Za-z0-9+/_-]{22,}={0,2})$/.test(secret)) {
    throw new UsageError(`${where}: the secret of key "${id}" must be hex:<at least 32 hex digits> or base64:<at least 16 bytes>`);
  }
  return { id, secret };
}

function parseLines(text: string, where: string): AuditKey[] {
  return text
    .split(/\r?\n|,/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l, i) => parseKey(l, `${where} entry ${i + 1}`));
}

export function collectKeys(flags: readonly string[], keyFiles: readonly string[], env: string | undefined): AuditKey[] {
  const keys: AuditKey[] = [];
  for (const f of flags) keys.push(parseKey(f, '--key'));
  for (const path of keyFiles) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new UsageError(`--key-file ${path}: cannot read it`);
    }
    keys.push(...parseLines(text, `--key-file ${path}`));
  }
  if (env) keys.push(...parseLines(env, 'AUDITREADY_KEYS'));
  return keys;
}

/**
 * Keys that never come from the command line, where other users see them: from files (`flag`,
 * `id=secret` lines) and the environment (`envName`). Initial keys of forward-secure chains
 * (--fss-key-file, AUDITREADY_FSS_KEYS); erasure's pseudonym key (--pseudonym-key-file,
 * AUDITREADY_PSEUDONYM_KEY).
 */
export function collectFileKeys(keyFiles: readonly string[], env: string | undefined, flag: string, envName: string): AuditKey[] {
  const keys: AuditKey[] = [];
  for (const path of keyFiles) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new UsageError(`${flag} ${path}: cannot read it`);
    }
    keys.push(...parseLines(text, `${flag} ${path}`));
  }
  if (env) keys.push(...parseLines(env, envName));
  return keys;
}

export function collectFssKeys(keyFiles: readonly string[], env: string | undefined): AuditKey[] {
  return collectFileKeys(keyFiles, env, '--fss-key-file', 'AUDITREADY_FSS_KEYS');
}

/** Arguments as they may be recorded in the reader log: key secrets removed. */
export function redactArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--key') {
      out.push(a, `${(argv[i + 1] ?? '').split('=')[0]}=[REDACTED]`);
      i++;
    } else if (a.startsWith('--key=')) {
      out.push(`--key=${a.slice(6).split('=')[0]}=[REDACTED]`);
    } else out.push(a);
  }
  return out;
}
