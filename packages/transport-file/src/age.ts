/**
 * age (c2sp.org/age) for encryption at rest (issue #19): a segment's data key is wrapped as a small
 * age file for each recipient (X25519 `age1…`), so whoever holds one of the identities
 * (`AGE-SECRET-KEY-1…`) can unwrap it. Through typage (`age-encryption`, by age's author, on the
 * noble libraries), loaded on first use. The published vectors (shared/vectors/tlog/age.json)
 * pass through these functions: every valid file decrypts, every damaged one is refused.
 */
import { AuditInputError } from '@auditready/core';

type Age = typeof import('age-encryption');
let loaded: Promise<Age> | undefined;
const age = () => (loaded ??= import('age-encryption'));

/** An age file is damaged, armored wrongly, or for none of the identities given. */
export class AgeDecryptError extends AuditInputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgeDecryptError';
  }
}

/** Encrypts `data` to every recipient (binary age file; `armor` for the PEM-style text form). */
export async function ageEncrypt(data: Uint8Array, recipients: readonly string[], armor = false): Promise<Uint8Array | string> {
  const a = await age();
  const e = new a.Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const file = await e.encrypt(data);
  return armor ? a.armor.encode(file) : file;
}

/**
 * Decrypts an age file (binary, or armored text) with the identities given, tried in turn. The
 * whole plaintext, or an AgeDecryptError: a damaged header or payload, trailing data, a truncated
 * file, or no identity that is a recipient. Nothing is returned of a file that does not verify.
 */
export async function ageDecrypt(file: Uint8Array | string, identities: readonly string[]): Promise<Uint8Array> {
  const a = await age();
  let bytes: Uint8Array;
  try {
    bytes = typeof file === 'string' ? a.armor.decode(file) : file;
  } catch (err) {
    throw new AgeDecryptError(`not a valid armored age file: ${(err as Error).message}`, { cause: err });
  }
  const d = new a.Decrypter();
  try {
    for (const i of identities) d.addIdentity(i);
  } catch (err) {
    throw new AgeDecryptError(`not an age identity: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await d.decrypt(bytes);
  } catch (err) {
    throw new AgeDecryptError(`cannot decrypt: ${(err as Error).message}`, { cause: err });
  }
}

/** The recipient (`age1…`) of an X25519 identity (`AGE-SECRET-KEY-1…`). */
export async function ageRecipientOf(identity: string): Promise<string> {
  return (await age()).identityToRecipient(identity);
}

/** A new X25519 identity. */
export async function ageGenerateIdentity(): Promise<string> {
  return (await age()).generateX25519Identity();
}
