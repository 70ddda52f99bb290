/**
 * C2SP tlog-cosignature (cosignature/v1) vectors through the public API, by node:crypto and by
 * noble: witness keys and key ids, cosignatures made with the vectors' fixed timestamps byte for
 * byte, and every verification case's verdict — including the one Go accepts and the spec does not
 * (a timestamp over 2^63-1). A witness's cosignature never stands in for the log's signature.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditProofError,
  cosignatureSigner,
  openCheckpoint,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  parseWitnessKey,
  signNote,
} from '../src/index.js';
import { useNodeCrypto } from '../src/platform.js';

const v = JSON.parse(readFileSync(new URL('./vectors/tlog/cosignature.json', import.meta.url), 'utf8'));
const seed = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe.each(['node:crypto', 'noble'] as const)('cosignature/v1 vectors, Ed25519 by %s', (path) => {
  beforeAll(() => useNodeCrypto(path === 'node:crypto'));
  afterAll(() => useNodeCrypto(true));

  it('witness keys: the key id and verifier key of each witness', () => {
    for (const w of v.witnesses) {
      const s = cosignatureSigner(w.name, seed(w.seed_hex));
      expect(s.keyId).toBe(w.cosignature_key_id_hex);
      expect(s.verifierKey).toBe(w.cosignature_verifier_key);
      expect(parseWitnessKey(w.cosignature_verifier_key)).toMatchObject({
        name: w.name,
        keyId: w.cosignature_key_id_hex,
        cosignature: true,
      });
      expect(() => parseVerifierKey(w.cosignature_verifier_key)).toThrow(/type 0x01/); // not a note key
      expect(() => parseWitnessKey(v.log_key.verifier_key)).toThrow(/type 0x04/);
    }
  });

  it(`${v.cosigned_checkpoints.length} cosigned checkpoints: the same signature lines and the same cosigned note, at the vectors' timestamps`, async () => {
    const log = parseSignerKey(v.log_key.signer_key);
    for (const c of v.cosigned_checkpoints) {
      const cosigners = c.cosignatures.map((x: { witness: string; timestamp: number }) => {
        const w = v.witnesses.find((y: { name: string }) => y.name === x.witness);
        return cosignatureSigner(w.name, seed(w.seed_hex), () => x.timestamp);
      });
      const lines = (await signNote(c.checkpoint_body, cosigners)).slice(c.checkpoint_body.length + 1);
      expect(lines, c.case).toBe(c.witness_response_body);
      expect(await signNote(c.checkpoint_body, [log, ...cosigners]), c.case).toBe(c.cosigned_checkpoint);
      const opened = openNote(c.cosigned_checkpoint, [
        parseVerifierKey(v.log_key.verifier_key),
        ...v.witnesses.map((w: { cosignature_verifier_key: string }) => parseWitnessKey(w.cosignature_verifier_key)),
      ]);
      expect(opened.verified.filter((s) => s.timestamp !== undefined).map((s) => s.timestamp)).toEqual(
        c.cosignatures.map((x: { timestamp: number }) => x.timestamp),
      );
    }
  });

  it(`${v.verification_cases.length} verification cases: the spec's verdict and the cosigners that verify`, () => {
    for (const c of v.verification_cases) {
      // Witness keys as the case gives them: cosignature keys (0x04), or (one case) their note keys (0x01).
      const anyKey = (k: string) =>
        Buffer.from(k.slice(k.indexOf('+', k.indexOf('+') + 1) + 1), 'base64')[0] === 4 ? parseWitnessKey(k) : parseVerifierKey(k);
      const keys = [...(c.log_verifier_key ? [c.log_verifier_key] : []), ...c.witness_verifier_keys].map(anyKey);
      const run = () => openNote(c.note, keys);
      if (!c.valid) {
        expect(run, c.case).toThrow(AuditProofError);
        continue;
      }
      const opened = run();
      expect(
        opened.verified.filter((s) => s.timestamp !== undefined).map((s) => s.name),
        c.case,
      ).toEqual(c.expected_verified_cosigners);
    }
  });

  it("a cosignature is not the log's signature: a checkpoint only witnesses signed does not open as the log's", () => {
    const c = v.cosigned_checkpoints[0];
    const onlyWitnesses = `${c.checkpoint_body}\n${c.witness_response_body}`;
    const witnesses = v.witnesses.map((w: { cosignature_verifier_key: string }) => parseWitnessKey(w.cosignature_verifier_key));
    expect(openNote(onlyWitnesses, witnesses).verified).toHaveLength(2);
    expect(() => openCheckpoint(onlyWitnesses, c.origin, witnesses)).toThrow(/no trusted signature/);
  });
});
