/**
 * C2SP signed notes against the Go reference's vectors (test/vectors/tlog/signed-note.json,
 * golang.org/x/mod sumdb/note), through the public API: keys derived from their seeds give the
 * same signer and verifier keys and key ids; every note.Open case gives the same text and
 * verified / unverified signatures, or is rejected — also where Go is more lenient than the spec;
 * the published examples open; notes this library signs open, and are byte-identical to Go's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNote, parseSignerKey, parseVerifierKey, signNote } from '../src/index.js';
import { useNodeCrypto } from '../src/platform.js';
import { proofKind } from './proof-kind.js';

const v = JSON.parse(readFileSync(new URL('./vectors/tlog/signed-note.json', import.meta.url), 'utf8'));
const noteOf = (c: { note_base64: string }) => Uint8Array.from(Buffer.from(c.note_base64, 'base64'));

describe.each(['node:crypto', 'noble'] as const)('signed-note vectors (golang.org/x/mod/sumdb/note), Ed25519 by %s', (path) => {
  beforeAll(() => useNodeCrypto(path === 'node:crypto'));
  afterAll(() => useNodeCrypto(true));

  it('keys: signer and verifier keys parse, agree with each other and with the published key ids', () => {
    for (const k of v.keys) {
      const signer = parseSignerKey(k.signer_key);
      expect(signer.verifierKey).toBe(k.verifier_key);
      expect(signer.keyId).toBe(k.key_id_hex);
      const verifier = parseVerifierKey(k.verifier_key);
      expect(Buffer.from(verifier.publicKey).toString('hex')).toBe(k.public_key_hex);
    }
  });

  it(`verifier key cases: ${v.verifier_key_cases.length}, the spec's verdict (stricter than Go where they differ)`, () => {
    for (const c of v.verifier_key_cases) {
      const kind = proofKind(() => parseVerifierKey(c.verifier_key));
      expect(kind, c.case).toBe(c.valid ? undefined : 'invalid_key');
    }
  });

  it(`note.Open cases: ${v.notes.length}`, () => {
    for (const c of v.notes) {
      const verifiers = c.verifiers.map(parseVerifierKey);
      if (c.valid) {
        const r = openNote(noteOf(c), verifiers);
        expect(r.text, c.case).toBe(c.expected_text);
        const sigs = (xs: { name: string; key_id_hex: string; signature_base64: string }[] = []) =>
          xs.map((x) => ({ name: x.name, keyId: x.key_id_hex, signature: x.signature_base64 }));
        expect(r.verified, c.case).toEqual(sigs(c.expected_verified_sigs));
        expect(r.unverified, c.case).toEqual(sigs(c.expected_unverified_sigs));
      } else {
        const kind = proofKind(() => openNote(noteOf(c), verifiers));
        expect(kind, c.case).toBeDefined();
        const want = /InvalidSignature/.test(c.go_error_type)
          ? 'invalid_signature'
          : /Unverified/.test(c.go_error_type)
            ? 'unverified_note'
            : 'malformed_note';
        expect(kind, c.case).toBe(want);
      }
    }
  });

  it('the published examples open', () => {
    for (const c of v.published_examples) {
      const r = openNote(noteOf(c), c.verifiers.map(parseVerifierKey));
      expect(r.text, c.case).toBe(c.expected_text);
    }
  });

  it("notes this library signs are byte-identical to Go's (Ed25519 is deterministic) and open", async () => {
    const known = (name: string) => v.keys.some((k: { name: string }) => k.name === name);
    const cases = v.notes.filter(
      (n: { valid: boolean; signed_by?: string[] }) => n.valid && n.signed_by?.length && n.signed_by.every(known),
    );
    expect(cases.length).toBeGreaterThan(5);
    for (const c of cases) {
      const signers = c.signed_by.map((name: string) => parseSignerKey(v.keys.find((k: { name: string }) => k.name === name).signer_key));
      const note = await signNote(c.text, signers);
      const lines = Buffer.from(c.note_base64, 'base64').toString('utf8').split('\n\u2014 ').length - 1;
      if (lines === c.signed_by.length) expect(Buffer.from(note).toString('base64'), c.case).toBe(c.note_base64);
      expect(
        openNote(
          note,
          signers.map((s: { verifierKey: string }) => parseVerifierKey(s.verifierKey)),
        ).text,
      ).toBe(c.text);
    }
  });
});

describe('node:crypto and @noble/curves agree (Ed25519 is deterministic)', () => {
  it('200 random keys and messages: the same signatures, each verified by the other path', async () => {
    const { ed25519Signer, ed25519Verify, ed25519PublicKey } = await import('../src/ed25519.js');
    for (let i = 0; i < 200; i++) {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const message = crypto.getRandomValues(new Uint8Array(i * 7));
      useNodeCrypto(true);
      const byNode = ed25519Signer(seed)(message);
      useNodeCrypto(false);
      const byNoble = ed25519Signer(seed)(message);
      expect(Buffer.from(byNode).toString('hex')).toBe(Buffer.from(byNoble).toString('hex'));
      const pub = ed25519PublicKey(seed);
      expect(ed25519Verify(byNode, message, pub)).toBe(true); // noble verifies node's
      useNodeCrypto(true);
      expect(ed25519Verify(byNoble, message, pub)).toBe(true); // node verifies noble's
      const flipped = byNoble.slice();
      flipped[i % 64] = (flipped[i % 64] as number) ^ 1;
      expect(ed25519Verify(flipped, message, pub)).toBe(false);
    }
  });
});
