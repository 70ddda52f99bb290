/**
 * `auditready evidence --since/--until` on an archive with index sidecars: segments wholly outside
 * the window are not read, and the pack is the same as one made reading everything (--no-index):
 * the population, the sample and its proofs (roots from the leaves read and the Merkle roots the
 * sidecars keep), the verdict. The pack checks offline.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLogger, createFixedClock } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, evidenceKeys, tempDir } from './helpers.js';

async function archive() {
  const dir = tempDir();
  const { logKeyFile, logPub, exKeyFile, exPub } = evidenceKeys(dir);
  const logs = join(dir, 'logs');
  const transport = createFileTransport({ dir: logs, rotate: { maxBytes: 6000 }, compress: true, index: { blockBytes: 1500 } });
  const log = createAuditLogger({
    service: { name: 'billing' },
    transports: [transport],
    handleSignals: false,
    heartbeatMs: 0,
    clock: createFixedClock('2026-03-01T00:00:00.000Z', 1_800_000_000),
    checkpoints: { signer: readFileSync(logKeyFile, 'utf8').trim(), everyEntries: 7 },
  });
  for (let i = 0; i < 220; i++) {
    log.record({
      action: i % 5 === 0 ? 'invoice.delete' : 'invoice.read',
      actor: { id: `u${i % 4}`, type: 'user', ip: '203.0.113.7' },
      resource: { type: 'invoice', id: `inv_${i}` },
      outcome: i % 7 === 0 ? 'denied' : 'success',
    });
    await log.flush();
  }
  await log.close();
  await transport.idle();
  return { dir, logs, logPub, exPub, exKeyFile };
}

const WINDOW = ['--since', '2026-03-03T00:00:00Z', '--until', '2026-03-04T00:00:00Z'];

describe('evidence over a window of an archive', () => {
  it('reads only the segments the window needs; the pack equals the one made reading everything, and verifies', async () => {
    const s = await archive();
    const make = (out: string, extra: string[]) =>
      cli([
        'evidence',
        s.logs,
        '--actor',
        'u1',
        ...WINDOW,
        '--trust',
        s.logPub,
        '--sign-key',
        s.exKeyFile,
        '--out',
        out,
        '--seed',
        's1',
        '--sample',
        '8',
        ...extra,
      ]);
    const a = join(s.dir, 'windowed');
    const b = join(s.dir, 'full');
    const ra = make(a, []);
    expect(ra.stderr).toBe('');
    expect(ra.code).toBe(0);
    expect(make(b, ['--no-index']).code).toBe(0);
    const scopeA = JSON.parse(readFileSync(join(a, 'scope.json'), 'utf8'));
    const scopeB = JSON.parse(readFileSync(join(b, 'scope.json'), 'utf8'));
    expect(scopeA.window.notRead.length).toBeGreaterThan(4);
    expect(scopeB.window).toBeUndefined();
    expect(scopeA.sources.length).toBeLessThan(scopeB.sources.length);
    expect(scopeA.verdict.complete).toBe(true);
    expect(scopeA.verdict.complete).toBe(scopeB.verdict.complete);
    for (const f of ['population.jsonl', 'population.csv', 'events.jsonl', 'sample.json', 'coverage.json'])
      expect(readFileSync(join(a, f), 'utf8'), f).toBe(readFileSync(join(b, f), 'utf8'));
    const sample = JSON.parse(readFileSync(join(a, 'sample.json'), 'utf8'));
    expect(sample.records.length).toBe(8);
    expect(sample.records.every((r: { proof: string | null }) => r.proof !== null)).toBe(true);
    for (const r of sample.records) expect(readFileSync(join(a, r.proof), 'utf8')).toBe(readFileSync(join(b, r.proof), 'utf8'));
    // Each source's SHA-256 is the file's as stored (gzipped here): what sha256sum prints.
    for (const src of scopeB.sources)
      expect(src.sha256, src.file).toBe(
        createHash('sha256')
          .update(readFileSync(join(s.logs, src.file.split('/').pop())))
          .digest('hex'),
      );
    expect(scopeB.sources.some((x: { file: string }) => x.file.endsWith('.gz'))).toBe(true);
    const v = cli(['evidence', 'verify', a, '--trust', s.logPub, '--trust', s.exPub]);
    expect(v.stdout).toMatch(/^VALID: \d+ records, 8 sample proofs verified/);
    // The retention inventory names the segments not read, with their committed sidecar's hash.
    const retention = JSON.parse(readFileSync(join(a, 'retention.json'), 'utf8'));
    const notRead = retention.kept.filter((k: { notRead?: unknown }) => k.notRead);
    expect(notRead.length).toBe(scopeA.window.notRead.length);
    expect(notRead[0].notRead.index).toMatch(/^[0-9a-f]{64}$/);
  });
});
