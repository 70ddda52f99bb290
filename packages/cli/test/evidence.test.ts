/**
 * `auditready evidence` and `evidence verify` on a real log with checkpoints: a pack for one actor
 * checks offline; its sample is reproducible from the seed; a pack edited after export fails; a
 * tampered log gives no pack, with the break named.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, evidenceKeys, tempDir } from './helpers.js';

async function setup() {
  const dir = tempDir();
  const { logKeyFile, logPub, exKeyFile, exPub } = evidenceKeys(dir);
  const logs = join(dir, 'logs');
  const log = createAuditLogger({
    service: { name: 'billing' },
    transports: [createFileTransport({ dir: logs })],
    handleSignals: false,
    checkpoints: { signer: readFileSync(logKeyFile, 'utf8').trim(), everyEntries: 25 },
  });
  for (let i = 0; i < 120; i++)
    log.record({
      action: i % 5 === 0 ? 'invoice.delete' : 'invoice.read',
      actor: { id: `u${i % 4}`, type: 'user', ip: '203.0.113.7' },
      resource: { type: 'invoice', id: `inv_${i}` },
      outcome: i % 7 === 0 ? 'denied' : 'success',
    });
  await log.close();
  return { dir, logs, logPub, exPub, exKeyFile };
}

describe('auditready evidence', () => {
  it("a pack of one actor's records: proven complete, the sample's proofs check offline, the coverage table", async () => {
    const s = await setup();
    const out = join(s.dir, 'pack');
    const r = cli([
      'evidence',
      s.logs,
      '--actor',
      'u1',
      '--trust',
      s.logPub,
      '--sign-key',
      s.exKeyFile,
      '--out',
      out,
      '--sample',
      '10',
      '--seed',
      'audit-2026-q4',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/30 records, 10 sampled \(seed audit-2026-q4\), proven complete/);
    const population = readFileSync(join(out, 'population.jsonl'), 'utf8').trim().split('\n');
    expect(population).toHaveLength(30);
    expect(population.every((l) => JSON.parse(l).actor.id === 'u1')).toBe(true);
    expect(readFileSync(join(out, 'population.csv'), 'utf8').split('\n')[0]).toMatch(/^ts,kind,actor,action/);
    const coverage = JSON.parse(readFileSync(join(out, 'coverage.json'), 'utf8'));
    const share = Object.fromEntries(coverage.fields.map((f: { requirement: string; share: number }) => [f.requirement, f.share]));
    for (const r of ['10.2.2.1', '10.2.2.2', '10.2.2.3', '10.2.2.4', '10.2.2.5', '10.2.2.6']) expect(share[`PCI DSS v4.0 ${r}`]).toBe(1);
    // ISO/IEC 27002 8.15: these records name the user, the activity, the time and the service, but
    // not a protocol (no http member): that row says so.
    expect(share['ISO/IEC 27002:2022 8.15 a']).toBe(1);
    expect(share['ISO/IEC 27002:2022 8.15 c']).toBe(1);
    expect(share['ISO/IEC 27002:2022 8.15 e']).toBe(0);
    const scope = JSON.parse(readFileSync(join(out, 'scope.json'), 'utf8'));
    expect(scope.verdict.complete).toBe(true);
    expect(scope.verdict.chains[0].checkpoint.keyName).toBe('billing.example/audit');
    const v = cli(['evidence', 'verify', out, '--trust', s.logPub, '--trust', s.exPub]);
    expect(v.stdout).toMatch(/^VALID: 30 records, 10 sample proofs verified/);
    expect(v.code).toBe(0);
    // The single-file form: a gzipped tar that tar reads, and that verifies the same.
    const listing = spawnSync('tar', ['tzf', `${out}.tar.gz`], { encoding: 'utf8' });
    expect(listing.stdout.split('\n')).toContain('pack/manifest.note');
    expect(cli(['evidence', 'verify', `${out}.tar.gz`, '--trust', s.logPub, '--trust', s.exPub]).stdout).toMatch(/^VALID: 30 records/);
    // Without the extraction key, the manifest's signature is not trusted.
    expect(cli(['evidence', 'verify', out, '--trust', s.logPub]).code).toBe(1);
  });

  it('--service scopes by the service that wrote the records', async () => {
    const s = await setup();
    const none = join(s.dir, 'none');
    expect(cli(['evidence', s.logs, '--service', 'payroll', '--trust', s.logPub, '--sign-key', s.exKeyFile, '--out', none]).stdout).toMatch(
      / 0 records/,
    );
    const all = join(s.dir, 'all');
    expect(
      cli(['evidence', s.logs, '--service', 'bill*', '--actor', 'u1', '--trust', s.logPub, '--sign-key', s.exKeyFile, '--out', all]).stdout,
    ).toMatch(/ 30 records/);
    expect(cli(['query', s.logs, '--service', 'payroll', '--format', 'csv']).stdout.trim().split('\n')).toHaveLength(1); // the header
  });

  it('the sample is reproducible from its seed; another seed draws another sample', async () => {
    const s = await setup();
    const draw = (name: string, seed: string) => {
      const out = join(s.dir, name);
      cli([
        'evidence',
        s.logs,
        '--outcome',
        'success',
        '--trust',
        s.logPub,
        '--sign-key',
        s.exKeyFile,
        '--out',
        out,
        '--sample',
        '12',
        '--seed',
        seed,
      ]);
      return JSON.parse(readFileSync(join(out, 'sample.json'), 'utf8')).records.map((x: { seq: number }) => x.seq);
    };
    const a = draw('a', 'seed-1');
    expect(draw('b', 'seed-1')).toEqual(a);
    expect(draw('c', 'seed-2')).not.toEqual(a);
    expect(a).toHaveLength(12);
  });

  it('a pack edited after export fails evidence verify; a tampered log gives no pack', async () => {
    const s = await setup();
    const out = join(s.dir, 'pack');
    cli(['evidence', s.logs, '--actor', 'u2', '--trust', s.logPub, '--sign-key', s.exKeyFile, '--out', out, '--seed', 'x']);
    const file = join(out, 'population.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[0] = (lines[0] as string)
      .replace('"outcome":"success"', '"outcome":"denied"')
      .replace('"outcome":"denied"', '"outcome":"success"');
    lines.splice(1, 1); // a record removed from the population
    writeFileSync(file, lines.join('\n'));
    const v = cli(['evidence', 'verify', out, '--trust', s.logPub, '--trust', s.exPub]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/population\.jsonl: changed after export/);

    const logFile = join(s.logs, 'audit.log');
    const log = readFileSync(logFile, 'utf8').split('\n');
    log[40] = (log[40] as string).replace('"outcome":"success"', '"outcome":"denied"');
    writeFileSync(logFile, log.join('\n'));
    const refused = cli(['evidence', s.logs, '--trust', s.logPub, '--sign-key', s.exKeyFile, '--out', join(s.dir, 'pack2')]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^REFUSED: the log does not verify .*modified at .*audit\.log:41/);
  });

  it("an auditor's earlier checkpoint gets a consistency proof to today's; the reader log's records of the window are in the pack", async () => {
    const s = await setup();
    const readerLog = tempDir('ar-reads-');
    const first = readFileSync(join(s.logs, 'audit.log'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"kind":"checkpoint"')) as string;
    const old = join(s.dir, 'kept.checkpoint');
    writeFileSync(old, `${first}\n`);
    cli(['verify', s.logs, '--trust', s.logPub], { AUDITREADY_READER_LOG: readerLog }); // a read, recorded
    const out = join(s.dir, 'pack');
    const r = cli(['evidence', s.logs, '--trust', s.logPub, '--sign-key', s.exKeyFile, '--out', out, '--earlier-checkpoint', old], {
      AUDITREADY_READER_LOG: readerLog,
    });
    expect(r.code).toBe(0);
    const scope = JSON.parse(readFileSync(join(out, 'scope.json'), 'utf8'));
    expect(scope.consistencyWithEarlier).toEqual([{ old: 25, to: expect.any(Number), proof: 'consistency/1.proof' }]);
    expect(readFileSync(join(out, 'reads.jsonl'), 'utf8')).toMatch(/"action":"auditlog.verify"/);
    expect(cli(['evidence', 'verify', out, '--trust', s.logPub, '--trust', s.exPub]).code).toBe(0);
    // A proof that does not lead from the kept checkpoint fails the check (re-signed manifest aside: the hash check comes first).
    writeFileSync(
      join(out, 'consistency', '1.proof'),
      readFileSync(join(out, 'consistency', '1.proof'), 'utf8').replace(/^old 25$/m, 'old 24'),
    );
    const bad = cli(['evidence', 'verify', out, '--trust', s.logPub, '--trust', s.exPub]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/consistency\/1\.proof/);
  });
});

describe('evidence: the retention inventory', () => {
  it('lists every segment read with its seq and time ranges, and each segment the policy removed, flagged when it falls in the window', async () => {
    const dir = tempDir();
    const { logKeyFile, logPub, exKeyFile, exPub } = evidenceKeys(dir);
    const logs = join(dir, 'logs');
    const transport = createFileTransport({ dir: logs, rotate: { maxBytes: 3000 }, retention: { maxFiles: 3 } });
    const log = createAuditLogger({
      service: { name: 'billing' },
      transports: [transport],
      handleSignals: false,
      checkpoints: { signer: readFileSync(logKeyFile, 'utf8').trim(), everyEntries: 10 },
    });
    for (let i = 0; i < 120; i++) {
      log.record({ action: 'invoice.read', actor: { id: `u${i % 3}`, type: 'user' }, resource: { type: 'invoice', id: `inv_${i}` } });
      await log.flush(); // one small write per record, whatever the load: segments rotate every ~3 KB
    }
    await log.close();
    const out = join(dir, 'pack');
    const r = cli(['evidence', logs, '--trust', logPub, '--sign-key', exKeyFile, '--out', out, '--sample', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const inv = JSON.parse(readFileSync(join(out, 'retention.json'), 'utf8'));
    const onDisk = readdirSync(logs).filter((f) => /\.log$/.test(f));
    expect(inv.kept.map((k: { file: string }) => k.file.split('/').pop()).sort()).toEqual(onDisk.sort());
    for (const k of inv.kept) for (const c of k.chains) expect(c.firstSeq).toBeLessThanOrEqual(c.lastSeq);
    // Removals whose records survive are listed one by one; all of them are gone from the disk.
    expect(inv.removed.length).toBeGreaterThan(0);
    for (const x of inv.removed) {
      expect(onDisk).not.toContain(x.file);
      expect(x).toMatchObject({ policy: { maxFiles: 3 }, inWindow: true });
      expect(x.seqs[0]).toBeLessThanOrEqual(x.seqs[1]);
    }
    // The watermark accounts for everything before the segments kept, older removals included.
    const chain = inv.kept[0].chains[0].chain;
    const firstKept = Math.min(
      ...inv.kept.flatMap((k: { chains: { chain: string; firstSeq: number }[] }) =>
        k.chains.filter((c) => c.chain === chain).map((c) => c.firstSeq),
      ),
    );
    expect(inv.removedThrough).toEqual([expect.objectContaining({ chain, seq: firstKept - 1 })]);
    // The verifier agrees: those seqs are declared retained, not missing.
    const scope = JSON.parse(readFileSync(join(out, 'scope.json'), 'utf8'));
    expect(scope.verdict.chains[0].retained[0]).toMatchObject({ from: 0 });
    expect(scope.retention.removedInWindow.length).toBe(inv.removed.filter((x: { inWindow: boolean }) => x.inWindow).length);
    // A window after every removed segment: none of them is in it.
    const later = join(dir, 'pack-later');
    const last = JSON.parse(
      readFileSync(join(logs, onDisk.sort().at(-1) as string), 'utf8')
        .trim()
        .split('\n')
        .at(-1) as string,
    );
    cli(['evidence', logs, '--trust', logPub, '--sign-key', exKeyFile, '--out', later, '--since', last.ts]);
    expect(JSON.parse(readFileSync(join(later, 'retention.json'), 'utf8')).removed.every((x: { inWindow: boolean }) => !x.inWindow)).toBe(
      true,
    );
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('segment removed');
    expect(cli(['evidence', 'verify', out, '--trust', logPub, '--trust', exPub]).code).toBe(0);
  });
});
