/**
 * C2SP tlog-proof: one entry's proof, checked offline with nothing but the proof, the entry and
 * the log's verifier key. Round trip, the spec's example shape, and every way of lying about it.
 */
import {
  formatTlogProof,
  generateNoteKey,
  inclusionProof,
  leafHash,
  parseSignerKey,
  parseTlogProof,
  parseVerifierKey,
  rootOf,
  signCheckpoint,
  verifyTlogProof,
} from '@auditready/core';
import { describe, expect, it } from 'vitest';
import { proofKind } from './proof-kind.js';

const origin = 'auditready.example/billing-api/chain-1';
const key = generateNoteKey(origin);
const enc = new TextEncoder();
const lines = Array.from({ length: 21 }, (_, i) => `{"seq":${i},"action":"invoice.read"}`);
const leaves = lines.map((l) => leafHash(enc.encode(l)));

async function proofFor(index: number, size = lines.length, extra?: Uint8Array) {
  const checkpoint = await signCheckpoint({ origin, size, root: rootOf(leaves, size), extensions: [] }, [parseSignerKey(key.signerKey)]);
  return formatTlogProof({ index, hashes: inclusionProof(leaves, index, size), checkpoint, ...(extra ? { extra } : {}) });
}

describe('c2sp.org/tlog-proof', () => {
  it('formats as the spec shows, parses back, and verifies offline for every entry', async () => {
    const text = await proofFor(7, 21, enc.encode('ctx'));
    expect(text.split('\n').slice(0, 3)).toEqual(['c2sp.org/tlog-proof@v1', 'extra Y3R4', 'index 7']);
    const p = parseTlogProof(text);
    expect(formatTlogProof(p)).toBe(text);
    for (let i = 0; i < lines.length; i++) {
      const r = verifyTlogProof(await proofFor(i), lines[i] as string, origin, [parseVerifierKey(key.verifierKey)]);
      expect(r).toMatchObject({ index: i, checkpoint: { size: 21, origin } });
    }
  });

  it('rejects another entry, another index, a changed hash, an untrusted key, and malformed text', async () => {
    const text = await proofFor(5);
    const trusted = [parseVerifierKey(key.verifierKey)];
    const kind = (fn: () => unknown) => proofKind(fn) ?? 'accepted';
    expect(kind(() => verifyTlogProof(text, lines[6] as string, origin, trusted))).toBe('root_mismatch');
    expect(kind(() => verifyTlogProof(text.replace('index 5', 'index 4'), lines[5] as string, origin, trusted))).toBe('root_mismatch');
    const hashLine = text.split('\n')[2] as string;
    const flipped = `${hashLine[0] === 'A' ? 'B' : 'A'}${hashLine.slice(1)}`;
    expect(kind(() => verifyTlogProof(text.replace(hashLine, flipped), lines[5] as string, origin, trusted))).toBe('root_mismatch');
    const other = generateNoteKey(origin);
    expect(kind(() => verifyTlogProof(text, lines[5] as string, origin, [parseVerifierKey(other.verifierKey)]))).toBe('unverified_note');
    expect(kind(() => parseTlogProof(text.replace('c2sp.org/tlog-proof@v1', 'c2sp.org/tlog-proof@v2')))).toBe('malformed_proof');
    expect(kind(() => parseTlogProof(text.replace('index 5', 'index 05')))).toBe('malformed_proof');
    expect(kind(() => parseTlogProof(text.replace(/\n\n/, '\n')))).not.toBe('accepted');
  });
});
