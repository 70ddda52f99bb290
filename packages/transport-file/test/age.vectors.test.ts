/**
 * The published age vectors (filippo.io/age v1.3.2, shared/vectors/tlog/age.json) through the age
 * implementation used for encryption at rest (src/age.ts, typage): every valid file decrypts to its
 * plaintext, with the identity list and with each identity that decrypts alone; every damaged file,
 * and every identity that is not a recipient, is refused with a named error, releasing nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgeDecryptError, ageDecrypt, ageEncrypt, ageGenerateIdentity, ageRecipientOf } from '../src/age.js';

const here = join(import.meta.dirname, 'vectors', 'age.json');
const shared = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'vectors', 'tlog', 'age.json');

interface Case {
  case: string;
  decrypt_with: string[];
  identities_that_decrypt_alone?: string[];
  armored: boolean;
  ciphertext_base64?: string;
  ciphertext_armored?: string;
  plaintext_base64?: string;
  plaintext_sha256_hex?: string;
}
const v = JSON.parse(readFileSync(here, 'utf8')) as {
  identities: { identity: string; recipient: string }[];
  decrypt_cases: Case[];
  negative_cases: Case[];
};
const fileOf = (c: Case) =>
  c.armored ? (c.ciphertext_armored as string) : new Uint8Array(Buffer.from(c.ciphertext_base64 as string, 'base64'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('age vectors (c2sp.org/age, filippo.io/age v1.3.2)', () => {
  it('has the published cases', () => {
    expect(v.decrypt_cases.length).toBe(7);
    expect(v.negative_cases.length).toBe(20);
  });

  it('identities and recipients round-trip', async () => {
    for (const id of v.identities) expect(await ageRecipientOf(id.identity)).toBe(id.recipient);
  });

  for (const c of v.decrypt_cases)
    it(`decrypts: ${c.case}`, async () => {
      const out = await ageDecrypt(fileOf(c), c.decrypt_with);
      expect(sha(out)).toBe(c.plaintext_sha256_hex);
      if (c.plaintext_base64 !== undefined) expect(Buffer.from(out).toString('base64')).toBe(c.plaintext_base64);
      for (const id of c.identities_that_decrypt_alone ?? []) expect(sha(await ageDecrypt(fileOf(c), [id]))).toBe(c.plaintext_sha256_hex);
    });

  for (const c of v.negative_cases)
    it(`refuses: ${c.case}`, async () => {
      await expect(ageDecrypt(fileOf(c), c.decrypt_with)).rejects.toBeInstanceOf(AgeDecryptError);
    });

  it('what it encrypts, binary or armored, decrypts with any recipient’s identity and no other', async () => {
    const [a, b, other] = [await ageGenerateIdentity(), await ageGenerateIdentity(), await ageGenerateIdentity()];
    const data = new Uint8Array(Buffer.from('a segment data key, 32 bytes....'));
    for (const armor of [false, true]) {
      const file = await ageEncrypt(data, [await ageRecipientOf(a), await ageRecipientOf(b)], armor);
      expect(Buffer.from(await ageDecrypt(file, [b])).equals(Buffer.from(data))).toBe(true);
      await expect(ageDecrypt(file, [other])).rejects.toThrow(/cannot decrypt/);
    }
    await expect(ageDecrypt(new Uint8Array(10), ['not-an-identity'])).rejects.toThrow(/not an age identity/);
  });

  it.runIf(existsSync(shared))('the committed copy equals shared/vectors/tlog/age.json', () => {
    expect(readFileSync(here).equals(readFileSync(shared))).toBe(true);
  });
});
