/**
 * The commands an auditor runs with checkpoints: `verify --trust [--checkpoints]` (the verdict
 * names the checkpoint, exit codes per outcome), `prove` + `verify-proof` (one entry checked with
 * nothing but the proof file and the verifier key), and `consistency` (today's log extends a
 * checkpoint kept earlier). Real files written by the file transport, the installed binary.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

async function setup(n = 60) {
  const dir = tempDir();
  const keyFile = join(dir, 'signer.key');
  const k = cli(['keygen', '--name', 'billing.example/audit', '--out', keyFile]);
  const pub = join(dir, 'verifier.pub');
  writeFileSync(pub, k.stdout);
  const logs = join(dir, 'logs');
  const cps = join(dir, 'checkpoints');
  const log = createAuditLogger({
    service: { name: 'billing' },
    transports: [createFileTransport({ dir: logs })],
    handleSignals: false,
    checkpoints: {
      signer: readFileSync(keyFile, 'utf8').trim(),
      everyEntries: 20,
      destinations: [createFileTransport({ dir: cps, name: 'checkpoints' })],
    },
  });
  for (let i = 0; i < n; i++)
    log.record({ action: 'invoice.read', actor: { id: `u${i % 4}`, type: 'user' }, resource: { type: 'invoice', id: `inv_${i}` } });
  await log.close();
  return { dir, logs, cps, pub, verifierKey: k.stdout.trim(), logFile: join(logs, 'audit.log') };
}

describe('auditready verify --trust', () => {
  it('COMPLETE names the checkpoint, its key and time; a cut tail is INVALID against the checkpoint destination', async () => {
    const s = await setup();
    const ok = cli(['verify', s.logs, '--trust', s.pub, '--checkpoints', s.cps]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /checkpoint 6[0-9] signed by billing\.example\/audit \([0-9a-f]{8}\) at 20\d\d-.*: \d+ checkpoints verified against the tree/,
    );
    expect(ok.stdout).toMatch(/0 entries follow the newest checkpoint/);
    expect(ok.stdout).toMatch(/COMPLETE/);
    // A key given as text works the same as a file.
    expect(cli(['verify', s.logs, '--trust', s.verifierKey]).code).toBe(0);

    const lines = readFileSync(s.logFile, 'utf8').split('\n').filter(Boolean);
    writeFileSync(s.logFile, `${lines.slice(0, -8).join('\n')}\n`);
    const cut = cli(['verify', s.logFile, '--trust', s.pub, '--checkpoints', s.cps, '--json']);
    expect(cut.code).toBe(1);
    const report = JSON.parse(cut.stdout);
    expect(report.breaks.map((b: { kind: string }) => b.kind)).toContain('truncated');
    expect(cli(['verify', s.logs, '--checkpoints', s.cps]).stderr).toMatch(/--checkpoints needs --trust/);
    expect(cli(['verify', s.logs, '--trust', 'nonsense']).code).toBe(2);
  });
});

describe('auditready prove / verify-proof / consistency', () => {
  it('a proof of one entry verifies offline with only the verifier key; edited, it does not', async () => {
    const s = await setup();
    const proof = join(s.dir, 'seq17.proof');
    const p = cli(['prove', s.logs, '--seq', '17', '--trust', s.pub, '--out', proof]);
    expect(p.code).toBe(0);
    const text = readFileSync(proof, 'utf8');
    expect(text.startsWith('c2sp.org/tlog-proof@v1\nextra ')).toBe(true);
    const v = cli(['verify-proof', proof, '--trust', s.pub]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^VALID: entry seq 17 of chain .* is included in checkpoint \d+ of the log billing\.example\/audit\//);
    expect(v.stdout).toContain('"id":"inv_16"'); // seq 17 is the 17th record (seq 0 is genesis)

    const line = JSON.parse(v.stdout.split('\n')[1] as string);
    const edited = Buffer.from(JSON.stringify({ ...line, outcome: 'denied' })).toString('base64');
    writeFileSync(proof, text.replace(/^extra .*$/m, `extra ${edited}`));
    const bad = cli(['verify-proof', proof, '--trust', s.pub]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^INVALID \(root_mismatch\)/);
    expect(cli(['verify-proof', proof]).code).toBe(2); // no --trust: no verdict
    const other = cli(['keygen', '--name', 'billing.example/audit', '--out', join(s.dir, 'other.key')]).stdout.trim();
    writeFileSync(proof, text);
    expect(cli(['verify-proof', proof, '--trust', other]).stdout).toMatch(/^INVALID \(unverified_note\)/);
    expect(cli(['prove', s.logs, '--seq', '9999']).stderr).toMatch(/has no seq 9999/);
  });

  it("consistency: today's log extends a checkpoint kept earlier; a proof whose hashes were changed does not", async () => {
    const s = await setup();
    const first = readFileSync(join(s.cps, 'checkpoints.log'), 'utf8').split('\n')[0] as string;
    const old = join(s.dir, 'old.checkpoint');
    writeFileSync(old, `${first}\n`);
    const out = join(s.dir, 'consistency.proof');
    const c = cli(['consistency', old, s.logs, '--trust', s.pub, '--out', out]);
    expect(c.code).toBe(0);
    expect(c.stderr).toMatch(/CONSISTENT: checkpoint \d+ of .* extends checkpoint 20/);
    expect(readFileSync(out, 'utf8')).toMatch(/^old 20\n/);
    expect(cli(['consistency', old, out, '--trust', s.pub]).code).toBe(0); // offline, from the proof file

    // A proof file whose checkpoint was swapped for one that does not extend the old one.
    const tampered = readFileSync(out, 'utf8').replace(/^([A-Za-z0-9+/=]{44})$/m, `${'A'.repeat(43)}=`);
    writeFileSync(out, tampered);
    const bad = cli(['consistency', old, out, '--trust', s.pub]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/NOT CONSISTENT \(root_mismatch\)/);
  });
});
