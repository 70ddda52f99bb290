/**
 * `auditready keygen`: a new Ed25519 key pair for signing checkpoints (C2SP signed-note key
 * forms). The signer key goes to a file created with mode 0600 (never over an existing one) and
 * is never printed; the verifier key, for auditors and verifiers, is printed on stdout.
 */
import { writeFileSync } from 'node:fs';
import { generateNoteKey } from '@auditready/core';
import { UsageError } from './inputs.js';

export const KEYGEN_HELP = `auditready keygen — a new key pair for signing checkpoints

Usage: auditready keygen --name <key name> --out <file>

  --name <key name>   the key's name: the checkpoints' origin, e.g. billing-api.example/audit
                      (no spaces, no "+")
  --out <file>        where the signer key (PRIVATE+KEY+...) is written, mode 0600; an existing
                      file is never overwritten. Keep it in your secret store.

Prints the verifier key (<name>+<key id>+<base64>) on stdout: give it to auditors and to
auditready verify --trust. The signer key is never printed.
`;

export function runKeygen(name: string | undefined, out: string | undefined): number {
  if (name === undefined || name === '') throw new UsageError('keygen needs --name <key name> (see auditready help keygen)');
  if (out === undefined || out === '' || out === '-')
    throw new UsageError('keygen needs --out <file> for the signer key (it is never printed)');
  let key: ReturnType<typeof generateNoteKey>;
  try {
    key = generateNoteKey(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  try {
    writeFileSync(out, `${key.signerKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'EEXIST' ? `${out} exists: a signer key is never overwritten` : `cannot write ${out}: ${(err as Error).message}`,
    );
  }
  process.stdout.write(`${key.verifierKey}\n`);
  process.stderr.write(`signer key written to ${out} (mode 0600); the verifier key is above\n`);
  return 0;
}
