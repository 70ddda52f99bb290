/**
 * Checkpoints with the file transport: a restart continues the chain's Merkle tree from the newest
 * checkpoint record in the files (rotated and gzipped segments included) without re-reading the
 * log from the start; a file transport in another directory is a checkpoint destination, and the
 * tail cut from the log (its head file rewritten to match) is caught against it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateNoteKey } from '@auditready/core';
import { describe, expect, it } from 'vitest';
import { createFileTransport } from '../src/index.js';
import { entriesOf, open, readDir, tempDir, verifyDir } from './helpers.js';

const key = generateNoteKey('audit.example/files');

describe('file transport with checkpoints', () => {
  it('three runs with rotation and gzip keep one chain and one tree; every checkpoint verifies', async () => {
    const dir = tempDir();
    const chains = new Set<string>();
    for (let run = 0; run < 3; run++) {
      const { log, errors } = open(
        dir,
        { rotate: { maxBytes: 4000 }, compress: true },
        { checkpoints: { signer: key.signerKey, everyEntries: 7 } },
      );
      chains.add(log.chainId);
      for (let i = 0; i < 20; i++) log.record({ action: 'file.read', actor: { id: `u${i}`, type: 'user' } });
      await log.close();
      expect(errors).toEqual([]);
    }
    expect(chains.size).toBe(1);
    const files = new Set(readDir(dir).map((x) => x.file));
    expect([...files].some((f) => f.endsWith('.gz'))).toBe(true);
    const r = verifyDir(dir, { trust: [key.verifierKey] });
    expect(r.breaks).toEqual([]);
    const records = entriesOf(dir).filter((e) => e.kind === 'checkpoint');
    expect(r.chains[0]?.checkpoints?.verified).toBe(records.length);
    expect(r.chains[0]?.checkpoints?.unsealed).toBe(0);
    expect(r.complete).toBe(true);
  });

  it('a log written without checkpoints is taken up from seq 0 when they are turned on (same chain)', async () => {
    const dir = tempDir();
    const a = open(dir);
    for (let i = 0; i < 5; i++) a.log.record({ action: 'file.read' });
    await a.log.close();
    const b = open(dir, {}, { checkpoints: { signer: key.signerKey, everyEntries: 3 } });
    expect(b.log.chainId).toBe(a.log.chainId);
    for (let i = 0; i < 5; i++) b.log.record({ action: 'file.read' });
    await b.log.close();
    const r = verifyDir(dir, { trust: [key.verifierKey] });
    expect(r.breaks).toEqual([]);
    expect(r.complete).toBe(true);
  });

  it('a file transport in another directory holds the checkpoints; a tail cut with the head file rewritten is caught against it', async () => {
    const dir = tempDir();
    const cpDir = tempDir();
    const dest = createFileTransport({ dir: cpDir, name: 'checkpoints' });
    const { log } = open(dir, {}, { checkpoints: { signer: key.signerKey, everyEntries: 10, destinations: [dest] } });
    for (let i = 0; i < 45; i++) log.record({ action: 'file.read' });
    await log.close();
    const destLines = readDir(cpDir, 'checkpoints').map((x) => x.line);
    expect(destLines.length).toBe(entriesOf(dir).filter((e) => e.kind === 'checkpoint').length);

    // The insider cuts the last 12 lines and rewrites the head file to the new last entry.
    const path = join(dir, 'audit.log');
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    const kept = lines.slice(0, -12);
    writeFileSync(path, `${kept.join('\n')}\n`);
    const last = JSON.parse(kept.at(-1) as string);
    const headPath = join(dir, 'audit.head.json');
    const head = JSON.parse(readFileSync(headPath, 'utf8'));
    writeFileSync(headPath, JSON.stringify({ ...head, seq: last.seq, hash: last.hash }));
    const alone = verifyDir(dir, { trust: [key.verifierKey], anchors: [{ chain: last.chain, seq: last.seq, hash: last.hash }] });
    expect(alone.valid).toBe(true); // consistent with the forged head: nothing in the log says otherwise
    const r = verifyDir(dir, { trust: [key.verifierKey], checkpoints: destLines });
    expect(r.valid).toBe(false);
    expect(r.breaks.map((b) => b.kind)).toContain('truncated');
  });
});
