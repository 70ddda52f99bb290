/**
 * `auditready verify --trust <log key> --witness <witness key> [--witness-threshold k]` on a log
 * whose checkpoints a real litewitness cosigned: COMPLETE names the cosigning witness and its time;
 * with more cosignatures required than the log carries, not proven complete (exit 3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLogger, createFixedClock, generateNoteKey } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installLitewitness, type Litewitness, startLitewitness, witnessAvailable } from '../../../test-support/litewitness.js';
import { cli, tempDir } from './helpers.js';

let witness: Litewitness;

describe.skipIf(!witnessAvailable)('auditready verify --witness', () => {
  beforeAll(async () => {
    witness = await startLitewitness(installLitewitness(), 'witness.test/cli');
  }, 600_000);
  afterAll(async () => {
    await witness?.close();
  });

  it('COMPLETE through a cosigned checkpoint, naming the witness; k above what the log carries: exit 3', async () => {
    const key = generateNoteKey('cli.example/audit');
    witness.addLog('cli.example/audit/chain-w', key.verifierKey);
    const dir = tempDir();
    const log = createAuditLogger({
      service: { name: 'cli' },
      transports: [createFileTransport({ dir })],
      handleSignals: false,
      chain: { id: 'chain-w' },
      checkpoints: { signer: key.signerKey, everyEntries: 10, witnesses: [{ url: witness.url, key: witness.key }] },
    });
    for (let i = 0; i < 30; i++) log.record({ action: 'doc.read' });
    await log.close();
    const file = join(dir, 'audit.log'); // the file alone: no head file, the checkpoints are the commitment
    const ok = cli(['verify', file, '--trust', key.verifierKey, '--witness', witness.key]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/cosigned: checkpoint \d+ by witness\.test\/cli at 20\d\d-/);
    expect(ok.stdout).toMatch(/committed by checkpoint \d+ signed by cli\.example\/audit, cosigned by witness\.test\/cli/);
    const silent = 'witness.test/silent+de45c02a+BO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR';
    const strict = cli([
      'verify',
      file,
      '--trust',
      key.verifierKey,
      '--witness',
      witness.key,
      '--witness',
      silent,
      '--witness-threshold',
      '2',
    ]);
    expect(strict.stderr).toBe('');
    expect(strict.code).toBe(3);
    expect(cli(['verify', file, '--witness', witness.key]).stderr).toMatch(/--witness needs --trust/);
    // An evidence pack states the cosigned checkpoint it is complete through; with more cosigners
    // required than the log carries, the pack says it is not proven complete.
    const exKey = join(dir, 'ex.key');
    cli(['keygen', '--name', 'audit-team.example/evidence', '--out', exKey]);
    const pack = join(dir, 'pack');
    const ev = cli([
      'evidence',
      file,
      '--trust',
      key.verifierKey,
      '--witness',
      witness.key,
      '--sign-key',
      exKey,
      '--out',
      pack,
      '--sample',
      '2',
    ]);
    expect(ev.stdout).toMatch(/proven complete/);
    const scope = JSON.parse(readFileSync(join(pack, 'scope.json'), 'utf8'));
    expect(scope.verdict.chains[0].witnessed.cosigners[0].name).toBe('witness.test/cli');
    const pack2 = join(dir, 'pack2');
    const ev2 = cli([
      'evidence',
      file,
      '--trust',
      key.verifierKey,
      '--witness',
      witness.key,
      '--witness',
      silent,
      '--witness-threshold',
      '2',
      '--sign-key',
      exKey,
      '--out',
      pack2,
    ]);
    expect(ev2.stdout).toMatch(/NOT proven complete/);
    expect(cli(['verify', file, '--trust', key.verifierKey, '--witness', key.verifierKey]).code).toBe(2); // a log key is not a witness key
  });

  it('CLOCK AHEAD: a log whose clock runs a day ahead of the witness is flagged in the verdict', async () => {
    const key = generateNoteKey('cli.example/ahead');
    witness.addLog('cli.example/ahead/chain-ahead', key.verifierKey);
    const dir = tempDir();
    const log = createAuditLogger({
      service: { name: 'cli' },
      transports: [createFileTransport({ dir })],
      handleSignals: false,
      chain: { id: 'chain-ahead' },
      clock: createFixedClock(new Date(Date.now() + 86_400_000).toISOString()),
      checkpoints: { signer: key.signerKey, everyEntries: 10, witnesses: [{ url: witness.url, key: witness.key }] },
    });
    for (let i = 0; i < 25; i++) log.record({ action: 'doc.read' });
    await log.close();
    const r = cli(['verify', join(dir, 'audit.log'), '--trust', key.verifierKey, '--witness', witness.key]);
    expect(r.stdout).toMatch(/CLOCK AHEAD: checkpoint \d+ was cosigned at 20\d\d-.* but an entry it covers says 20\d\d-/);
  });
});
