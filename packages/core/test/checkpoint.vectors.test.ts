/**
 * C2SP checkpoints against the Go reference's vectors (test/vectors/tlog/checkpoint.json,
 * transparency-dev/formats log.ParseCheckpoint), through the public API: the checkpoints of the
 * Merkle vectors' trees format to the same body and, signed with the same key, to the same note;
 * every parse case gets the spec's verdict, also where Go is more lenient.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditProofError, formatCheckpoint, openCheckpoint, parseSignerKey, parseVerifierKey, signCheckpoint } from '../src/index.js';
import { useNodeCrypto } from '../src/platform.js';

const v = JSON.parse(readFileSync(new URL('./vectors/tlog/checkpoint.json', import.meta.url), 'utf8'));

describe.each(['node:crypto', 'noble'] as const)('checkpoint vectors (transparency-dev/formats), Ed25519 by %s', (path) => {
  beforeAll(() => useNodeCrypto(path === 'node:crypto'));
  afterAll(() => useNodeCrypto(true));

  it(`${v.checkpoints.length} checkpoints: the same body, and the same signed note with the same key`, async () => {
    const signer = parseSignerKey(v.log_key.signer_key);
    for (const c of v.checkpoints) {
      const checkpoint = {
        origin: c.origin,
        size: c.size,
        root: Uint8Array.from(Buffer.from(c.root_hash_hex, 'hex')),
        extensions: c.extension_lines,
      };
      expect(formatCheckpoint(checkpoint), c.case).toBe(c.body);
      expect(await signCheckpoint(checkpoint, [signer]), c.case).toBe(c.signed_note);
      const opened = openCheckpoint(c.signed_note, c.origin, [parseVerifierKey(signer.verifierKey)]);
      expect(opened.size).toBe(c.size);
    }
  });

  it(`${v.parse_cases.length} parse cases: the spec's verdict`, () => {
    for (const c of v.parse_cases) {
      const run = () => openCheckpoint(c.signed_note, c.expected_origin, c.verifiers.map(parseVerifierKey));
      if (c.valid) {
        const r = run();
        expect(r.origin, c.case).toBe(c.go_parsed.origin);
        expect(r.size, c.case).toBe(c.go_parsed.size);
        expect(Buffer.from(r.root).toString('base64'), c.case).toBe(c.go_parsed.root_hash_base64);
      } else expect(run, c.case).toThrow(AuditProofError);
    }
  });
});
