/**
 * resumeTree(): the tree a restart continues, read back from a log's newest lines to its newest
 * checkpoint record (or seq 0), including a checkpoint sealed after later entries (a KMS signing
 * late); a hole, another chain's lines or too many lines give undefined (the logger then starts a
 * new, linked chain rather than a tree it could not check).
 */
import {
  type AuditEntry,
  CompactRange,
  createAuditLogger,
  createMemoryTransport,
  generateNoteKey,
  leafHash,
  type NoteSigner,
  parseSignerKey,
  resumeTree,
  treeStateOf,
} from '@auditready/core';
import { describe, expect, it } from 'vitest';

const key = generateNoteKey('audit.example/t');

async function lines(n: number, signer: NoteSigner | string = key.signerKey, everyEntries = 6): Promise<string[]> {
  const mem = createMemoryTransport();
  const log = createAuditLogger({ service: { name: 's' }, transports: [mem], handleSignals: false, checkpoints: { signer, everyEntries } });
  for (let i = 0; i < n; i++) log.record({ action: 'a.b' });
  await log.close();
  return mem.lines();
}

function expected(all: string[]) {
  const r = new CompactRange();
  for (const l of all) r.append(leafHash(l));
  return treeStateOf(r);
}

const headOf = (l: string) => {
  const e = JSON.parse(l) as AuditEntry;
  return { chain: e.chain, seq: e.seq, hash: e.hash };
};

describe('resumeTree', () => {
  it('reads back to the newest checkpoint record only, and gives the tree through the head', async () => {
    const all = await lines(20);
    const newestFirst = [...all].reverse();
    let read = 0;
    const counted = (function* () {
      for (const l of newestFirst) {
        read++;
        yield l;
      }
    })();
    expect(resumeTree(counted, headOf(all.at(-1) as string))).toEqual(expected(all));
    expect(read).toBe(1); // the head is the close's checkpoint record
    const cut = all.slice(0, -3); // ends with entries after a checkpoint
    expect(resumeTree([...cut].reverse(), headOf(cut.at(-1) as string))).toEqual(expected(cut));
  });

  it('with no checkpoint record, from seq 0; a checkpoint sealed after later entries (signed late) is used with the entries before it', async () => {
    const plain = Array.from({ length: 5 }, (_, i) => JSON.stringify({ chain: 'c', seq: i, kind: 'event' }));
    expect(resumeTree([...plain].reverse(), { chain: 'c', seq: 4, hash: 'x' })).toEqual(expected(plain));
    const inner = parseSignerKey(key.signerKey);
    const late: NoteSigner = {
      name: inner.name,
      keyId: inner.keyId,
      sign: (m) => new Promise((r) => setTimeout(() => r(inner.sign(m) as Uint8Array), 5)),
    };
    const all = await lines(15, late, 4);
    const cps = all.map((l) => JSON.parse(l) as AuditEntry).filter((e) => e.kind === 'checkpoint');
    expect(cps.some((e) => e.seq > (e.details as { size: number }).size)).toBe(true);
    for (let end = 5; end <= all.length; end++) {
      const part = all.slice(0, end);
      expect(resumeTree([...part].reverse(), headOf(part.at(-1) as string))).toEqual(expected(part));
    }
  });

  it('a hole, a head that is not there, or more lines than allowed: undefined', async () => {
    const all = await lines(20);
    const cut = all.slice(0, -3); // entries after the newest checkpoint record: the tree needs every one
    const holed = cut.filter((_, i) => i !== cut.length - 2);
    expect(resumeTree([...holed].reverse(), headOf(cut.at(-1) as string))).toBeUndefined();
    expect(resumeTree([...all].reverse(), { ...headOf(all.at(-1) as string), chain: 'other' })).toBeUndefined();
    const plain = Array.from({ length: 50 }, (_, i) => JSON.stringify({ chain: 'c', seq: i, kind: 'event' }));
    expect(resumeTree([...plain].reverse(), { chain: 'c', seq: 49, hash: 'x' }, 10)).toBeUndefined();
  });
});

describe('leafHash of a line', () => {
  it('hashes the UTF-8 bytes of the string, whatever its characters and length (the scratch buffer grows)', () => {
    const samples = ['', 'a', 'é', '€uro', '𝄞 clef', 'x'.repeat(10_000), `${'ü'.repeat(3000)}𝄞`, '{"a":"\u0000\u001f"}'];
    for (const s of samples) expect(Buffer.from(leafHash(s))).toEqual(Buffer.from(leafHash(new TextEncoder().encode(s))));
    for (let i = 0; i < 200; i++) {
      const s = Array.from({ length: 1 + (i % 37) * 13 }, (_, k) => String.fromCodePoint(((k * 7919 + i * 104729) % 0x2ffff) + 32)).join(
        '',
      );
      expect(Buffer.from(leafHash(s))).toEqual(Buffer.from(leafHash(new TextEncoder().encode(s))));
    }
  });
});

describe('consistencyProofFrom (the compact range at the old size and the leaves since)', () => {
  it('equals the proof from every leaf, for every m <= n <= 70, and verifies', async () => {
    const { consistencyProof, consistencyProofFrom, rootOf, verifyConsistency } = await import('@auditready/core');
    const leaves = Array.from({ length: 70 }, (_, i) => leafHash(`leaf ${i}`));
    for (let m = 0; m <= 70; m++) {
      const old = new CompactRange();
      for (const l of leaves.slice(0, m)) old.append(l);
      for (let n = m; n <= 70; n++) {
        const p = consistencyProofFrom(old, leaves.slice(m), n);
        expect(
          p.map((h) => Buffer.from(h).toString('hex')),
          `${m} -> ${n}`,
        ).toEqual(consistencyProof(leaves, m, n).map((h) => Buffer.from(h).toString('hex')));
        if (m > 0) verifyConsistency(m, n, p, rootOf(leaves, m), rootOf(leaves, n));
      }
    }
    const old = new CompactRange();
    for (const l of leaves.slice(0, 9)) old.append(l);
    expect(() => consistencyProofFrom(old, leaves.slice(9, 12), 20)).toThrow(/needs the 11 leaves/);
  });
});
