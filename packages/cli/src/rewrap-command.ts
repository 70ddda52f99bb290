/**
 * `auditready rewrap`: re-wraps a log's data keys for other readers (key rotation of readers, a
 * recipient removed) without touching the log: entries, hashes, checkpoints and proofs stay byte
 * for byte what they were (docs/encryption.md §Rotating readers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ageIdentities, ageRecipients, readIdentityFile, rewrapKeys } from '@auditready/transport-file';
import { parseCommand } from './args.js';
import { UsageError } from './inputs.js';

export const REWRAP_HELP = `auditready rewrap — wrap a log's data keys for other readers

Usage: auditready rewrap <log dir | key dir> --identity <file> --recipient <age1…>...

  --identity <file>     age identities (AGE-SECRET-KEY-1…, one per line) that open the keys now;
                        also AUDITREADY_IDENTITY_FILE. Never on the command line.
  --recipient <age1…>   who can open them afterwards (repeatable): the keys are wrapped for these
                        recipients only, so a reader left out loses access.
  --recipients-file <f> recipients, one per line (# comments)
  --keys <dir>          the key directory (default: <log dir>/keys, or the directory given)

The log itself is not read or changed: every entry keeps its hash, every proof still verifies.
Each key file is replaced atomically. Keys none of the identities opens are left as they were and
listed. Exit 0 when every key was re-wrapped, 1 when some could not be opened.
`;

export async function runRewrap(rest: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseCommand(rest, {
    identity: { type: 'string', multiple: true },
    recipient: { type: 'string', multiple: true },
    'recipients-file': { type: 'string', multiple: true },
    keys: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(REWRAP_HELP);
    return 0;
  }
  const where = values.keys ?? positionals[0];
  if (where === undefined) throw new UsageError('rewrap needs the log directory or --keys <dir> (see auditready help rewrap)');
  const dir = values.keys ?? (existsSync(join(where, 'keys')) ? join(where, 'keys') : where);
  const idFiles = [...(values.identity ?? []), ...(env.AUDITREADY_IDENTITY_FILE ? [env.AUDITREADY_IDENTITY_FILE] : [])];
  if (idFiles.length === 0) throw new UsageError('rewrap needs --identity <file>: the identities that open the keys now');
  const recipients = [...(values.recipient ?? [])];
  for (const f of values['recipients-file'] ?? []) recipients.push(...readRecipients(f));
  if (recipients.length === 0) throw new UsageError('rewrap needs --recipient <age1…> (or --recipients-file): who may read afterwards');
  let ids: string[];
  let to: ReturnType<typeof ageRecipients>;
  try {
    ids = idFiles.flatMap((f) => readIdentityFile(f));
    to = ageRecipients(recipients);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const r = await rewrapKeys(dir, [ageIdentities(ids)], [to]);
  process.stdout.write(
    `${dir}: ${r.rewrapped.length} data key${r.rewrapped.length === 1 ? '' : 's'} re-wrapped for ${recipients.length} recipient${recipients.length === 1 ? '' : 's'}${r.unopened.length > 0 ? `; ${r.unopened.length} not opened by the identities given, left as they were: ${r.unopened.join(', ')}` : ''}\n`,
  );
  return r.unopened.length > 0 ? 1 : 0;
}

function readRecipients(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--recipients-file ${path}: ${(err as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
