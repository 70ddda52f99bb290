/**
 * Cross-implementation check: notes, checkpoints, inclusion and consistency proofs that this
 * library writes are verified by the Go reference implementations (tools/tlog-check: built here
 * from transparency-dev/merkle v0.0.2, golang.org/x/mod v0.43.0 sumdb/note, transparency-dev/formats
 * v0.1.1, fetched from the Go module proxy). Without Go this suite skips loudly; in CI
 * (AUDITREADY_REQUIRE_GO=1) a missing Go is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditEntry,
  consistencyProof,
  createAuditLogger,
  createMemoryTransport,
  formatTlogProof,
  generateNoteKey,
  inclusionProof,
  leafHash,
  parseConsistencyProof,
  parseSignerKey,
  proveConsistency,
  proveInclusion,
  rootOf,
  signCheckpoint,
  signNote,
} from '@auditready/core';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const hasGo = spawnSync('go', ['version']).status === 0;
const required = process.env.AUDITREADY_REQUIRE_GO === '1';
if (!hasGo && !required)
  console.warn('\n*** SKIPPED: the Go cross-check needs `go` (1.26) on PATH; CI requires it (AUDITREADY_REQUIRE_GO=1) ***\n');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.skipIf(!hasGo && !required)('the Go reference implementations verify what auditready writes', () => {
  let checker = '';
  beforeAll(() => {
    if (!hasGo) throw new Error('AUDITREADY_REQUIRE_GO=1 but `go` is not on PATH');
    checker = join(mkdtempSync(join(tmpdir(), 'ar-tlog-check-')), 'tlog-check');
    execFileSync('go', ['build', '-o', checker, '.'], { cwd: join(root, 'tools', 'tlog-check'), stdio: 'pipe', timeout: 240_000 });
  }, 250_000);

  const check = (request: unknown) => {
    const out = execFileSync(checker, { input: JSON.stringify(request), encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(out) as Record<
      'tlog_proofs' | 'notes' | 'checkpoints' | 'inclusion' | 'consistency',
      { ok: boolean; error?: string; text?: string; size?: number; root?: string }[]
    >;
  };

  it('signed notes (one and two signers) and checkpoints of every size 0..64 open in Go; tampered ones do not', async () => {
    const origin = 'auditready.example/billing-api/chain-1';
    const logKey = generateNoteKey(origin);
    const other = generateNoteKey('witness.example/w1');
    const signer = parseSignerKey(logKey.signerKey);
    const second = parseSignerKey(other.signerKey);
    const lines = Array.from({ length: 64 }, (_, i) => `{"seq":${i},"action":"invoice.read","hash":"${'ab'.repeat(32)}"}`);
    const leaves = lines.map((l) => leafHash(new TextEncoder().encode(l)));
    const checkpoints = [];
    for (let size = 0; size <= 64; size++) {
      const note = await signCheckpoint(
        { origin, size, root: rootOf(leaves, size), extensions: size % 7 === 3 ? ['auditready: ext'] : [] },
        [signer],
      );
      checkpoints.push({ note, verifier_key: logKey.verifierKey, origin });
    }
    const tampered = { ...checkpoints[10], note: (checkpoints[10] as { note: string }).note.replace('\n10\n', '\n11\n') };
    const notes = [
      { note: await signNote('hello from auditready\n', [signer]), verifier_keys: [logKey.verifierKey] },
      { note: await signNote('two signers\nsecond line\n', [signer, second]), verifier_keys: [logKey.verifierKey, other.verifierKey] },
    ];
    const r = check({ notes, checkpoints: [...checkpoints, tampered], inclusion: [], consistency: [] });
    expect(r.notes.map((x) => x.ok)).toEqual([true, true]);
    expect(r.notes[1]?.text).toBe('two signers\nsecond line\n');
    const cps = r.checkpoints.slice(0, -1);
    expect(cps.every((x) => x.ok)).toBe(true);
    expect(cps.map((x) => x.size ?? 0)).toEqual(Array.from({ length: 65 }, (_, i) => i));
    for (const [size, x] of cps.entries()) expect(x.root).toBe(hex(rootOf(leaves, size)));
    expect(r.checkpoints.at(-1)?.ok).toBe(false);
  });

  it('tlog-proofs we write parse with the formats library, marshal back to the same bytes, and verify; a wrong entry does not', async () => {
    const origin = 'auditready.example/billing-api/chain-2';
    const key = generateNoteKey(origin);
    const signer = parseSignerKey(key.signerKey);
    const lines = Array.from({ length: 13 }, (_, i) => `{"seq":${i},"action":"x"}`);
    const leaves = lines.map((l) => leafHash(new TextEncoder().encode(l)));
    const checkpoint = await signCheckpoint({ origin, size: 13, root: rootOf(leaves, 13), extensions: [] }, [signer]);
    const tlog_proofs = lines.map((l, i) => ({
      proof: formatTlogProof({
        index: i,
        hashes: inclusionProof(leaves, i, 13),
        checkpoint,
        ...(i % 4 === 1 ? { extra: new TextEncoder().encode(`ctx ${i}`) } : {}),
      }),
      entry_hex: Buffer.from(l).toString('hex'),
      origin,
      verifier_key: key.verifierKey,
    }));
    const wrong = { ...tlog_proofs[3], entry_hex: Buffer.from(lines[4] as string).toString('hex') };
    const r = check({ tlog_proofs: [...tlog_proofs, wrong], notes: [], checkpoints: [], inclusion: [], consistency: [] });
    expect(r.tlog_proofs.slice(0, -1).filter((x) => !x.ok)).toEqual([]);
    expect(r.tlog_proofs.at(-1)?.ok).toBe(false);
  });

  it("a logger's checkpoints, and the inclusion and consistency proofs auditready writes from its log, verify in Go", async () => {
    const key = generateNoteKey('billing-api.example/audit');
    const mem = createMemoryTransport();
    const log = createAuditLogger({
      service: { name: 'billing-api' },
      transports: [mem],
      handleSignals: false,
      checkpoints: { signer: key.signerKey, everyEntries: 7 },
    });
    for (let i = 0; i < 50; i++) log.record({ action: 'invoice.read', actor: { id: `u${i % 3}`, type: 'user' } });
    await log.close();
    const lines = mem.lines();
    const cps = lines.map((l) => JSON.parse(l) as AuditEntry).filter((e) => e.kind === 'checkpoint');
    const d = (e: AuditEntry) => e.details as { origin: string; size: number; root: string; note: string };
    const checkpoints = cps.map((e) => ({ note: d(e).note, verifier_key: key.verifierKey, origin: d(e).origin }));
    const newest = cps.at(-1) as AuditEntry;
    const tlog_proofs = Array.from({ length: d(newest).size }, (_, seq) => ({
      proof: proveInclusion(lines, seq, d(newest).note),
      entry_hex: Buffer.from(lines[seq] as string).toString('hex'),
      origin: d(newest).origin,
      verifier_key: key.verifierKey,
    }));
    const b64hex = (b: string) => Buffer.from(b, 'base64').toString('hex');
    const consistency = cps.slice(0, -1).map((old) => {
      const p = parseConsistencyProof(proveConsistency(lines, d(old).size, d(newest).note));
      return {
        size1: d(old).size,
        size2: d(newest).size,
        proof: p.hashes.map(hex),
        root1: b64hex(d(old).root),
        root2: b64hex(d(newest).root),
      };
    });
    const r = check({ tlog_proofs, notes: [], checkpoints, inclusion: [], consistency });
    expect(r.checkpoints.filter((x) => !x.ok)).toEqual([]);
    expect(r.checkpoints.map((x) => x.size)).toEqual(cps.map((e) => d(e).size));
    expect(r.checkpoints.map((x) => x.root)).toEqual(cps.map((e) => b64hex(d(e).root)));
    expect(r.tlog_proofs.filter((x) => !x.ok)).toEqual([]);
    expect(r.tlog_proofs.length).toBe(d(newest).size);
    expect(r.consistency.filter((x) => !x.ok)).toEqual([]);
    expect(r.consistency.length).toBeGreaterThan(5);
  });

  it('every inclusion proof and every consistency proof for trees up to 40 verify in Go; a flipped one does not', () => {
    const leaves = Array.from({ length: 40 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
    const inclusion = [];
    const consistency = [];
    for (let size = 1; size <= 40; size++) {
      const r = hex(rootOf(leaves, size));
      for (let i = 0; i < size; i++)
        inclusion.push({
          leaf_hash: hex(leaves[i] as Uint8Array),
          index: i,
          size,
          proof: inclusionProof(leaves, i, size).map(hex),
          root: r,
        });
      for (let m = 1; m <= size; m++)
        consistency.push({
          size1: m,
          size2: size,
          proof: consistencyProof(leaves, m, size).map(hex),
          root1: hex(rootOf(leaves, m)),
          root2: r,
        });
    }
    const bad = { ...inclusion[100], root: hex(rootOf(leaves, 39)) };
    const r = check({ notes: [], checkpoints: [], inclusion: [...inclusion, bad], consistency });
    expect(r.inclusion.slice(0, -1).filter((x) => !x.ok)).toEqual([]);
    expect(r.inclusion.length).toBe(inclusion.length + 1);
    expect(r.inclusion.at(-1)?.ok).toBe(false);
    expect(r.consistency.filter((x) => !x.ok)).toEqual([]);
    expect(r.consistency.length).toBe(consistency.length);
  });
});
