/**
 * `auditready erase`: a person's erasure request against a log that must never change
 * (crypto-shredding; docs/encryption.md §Erasure). Destroys every key of the subject in the subject
 * key store and appends an `erasure` record naming the subject by its keyed pseudonym. Entries,
 * hashes, checkpoints and proofs stay as they were; the subject's fields read `[erased]`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLockedError, createAuditLogger } from '@auditready/core';
import { createFileTransport, fileSubjectKeyStore } from '@auditready/transport-file';
import { parseCommand } from './args.js';
import { UsageError } from './inputs.js';
import { collectFileKeys, collectKeys } from './keys.js';

export const ERASE_HELP = `auditready erase — erase a person from an audit log without breaking its proof

Usage: auditready erase <log dir> --subject <actor id> --pseudonym-key-file <file>

  --subject <actor id>        whom to erase (the actor id their entries carry)
  --pseudonym-key-file <file> the erasure option's pseudonymKey, one <id>=<secret> line (or
                              AUDITREADY_PSEUDONYM_KEY): it turns the id into the pseudonym the
                              entries and the erasure record carry. Never on the command line
  --subject-keys <dir>        the subject key store (default: <log dir>/subjects)
  --key-file <file>           the chain's HMAC key, when the log is keyed (the record continues it)

Every key of the subject is overwritten and removed; then an \`erasure\` record (kind erasure,
details.subject = the pseudonym) is appended to the log's chain. The log must not be open in a
running app (its lock): there, call logger.eraseSubject(id) instead. Exit 0 erased and recorded,
1 when the keys were destroyed but the record could not be appended (the reason named), 2 usage.
`;

export async function runErase(rest: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseCommand(rest, {
    subject: { type: 'string' },
    'pseudonym-key-file': { type: 'string' },
    'subject-keys': { type: 'string' },
    'key-file': { type: 'string', multiple: true },
  });
  if (values.help) {
    process.stdout.write(ERASE_HELP);
    return 0;
  }
  const dir = positionals[0];
  if (dir === undefined || !existsSync(dir)) throw new UsageError('erase needs the log directory (see auditready help erase)');
  if (values.subject === undefined || values.subject === '') throw new UsageError('erase needs --subject <actor id>');
  const pseudo = collectFileKeys(
    values['pseudonym-key-file'] ? [values['pseudonym-key-file']] : [],
    env.AUDITREADY_PSEUDONYM_KEY,
    '--pseudonym-key-file',
    'AUDITREADY_PSEUDONYM_KEY',
  );
  const pseudonymKey = pseudo[0];
  if (pseudonymKey === undefined) throw new UsageError("erase needs --pseudonym-key-file <file> (the erasure option's pseudonymKey)");
  const subjects = values['subject-keys'] ?? join(dir, 'subjects');
  if (!existsSync(subjects)) throw new UsageError(`${subjects}: no subject key store (name it with --subject-keys <dir>)`);
  const hmacKey = collectKeys([], values['key-file'] ?? [], undefined)[0];
  let log: ReturnType<typeof createAuditLogger>;
  try {
    log = createAuditLogger({
      service: { name: 'auditready-erase' },
      transports: [createFileTransport({ dir })],
      handleSignals: false,
      heartbeatMs: 0,
      ...(hmacKey ? { chain: { hmacKey } } : {}),
      erasure: { keyStore: fileSubjectKeyStore(subjects), pseudonymKey },
    });
  } catch (err) {
    if (err instanceof AuditLockedError) {
      // The app writes this log now: the erasure must go through it (its chain, its lock).
      throw new UsageError(
        `${dir} is held by a running writer (pid ${err.holder.pid ?? '?'}): erase through it with logger.eraseSubject(), or when it has stopped`,
      );
    }
    throw new UsageError(`cannot append to ${dir}: ${(err as Error).message}`);
  }
  const r = await log.eraseSubject(values.subject);
  const closed = await log.close();
  process.stdout.write(
    `subject ${r.sid}: ${r.keys} key${r.keys === 1 ? '' : 's'} destroyed; ${closed.ok ? 'erasure record appended to the log' : `THE ERASURE RECORD WAS NOT WRITTEN (${closed.pending} pending)`}\n`,
  );
  return closed.ok ? 0 : 1;
}
