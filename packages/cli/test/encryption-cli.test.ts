/**
 * The CLI on a log encrypted at rest (docs/encryption.md): verify without the key (hashes, links,
 * checkpoints) and with it (--identity: every entry opened and checked), query and evidence on the
 * opened content, rewrap to other readers without changing a byte of the log.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLogger } from '@auditready/core';
import { ageGenerateIdentity, ageRecipientOf, ageRecipients, createFileTransport, fileKeyStore } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, evidenceKeys, tempDir } from './helpers.js';

async function identityFile(dir: string, name: string) {
  const id = await ageGenerateIdentity();
  const file = join(dir, `${name}.age-identity`);
  writeFileSync(file, `# created: test\n# public key: ${await ageRecipientOf(id)}\n${id}\n`, { mode: 0o600 });
  return { id, file, recipient: await ageRecipientOf(id) };
}

async function setup() {
  const dir = tempDir();
  const a = await identityFile(dir, 'a');
  const b = await identityFile(dir, 'b');
  const { logKeyFile, logPub, exKeyFile, exPub } = evidenceKeys(dir);
  const logs = join(dir, 'logs');
  const log = createAuditLogger({
    service: { name: 'billing' },
    transports: [createFileTransport({ dir: logs, rotate: { maxBytes: 16 * 1024 } })],
    handleSignals: false,
    checkpoints: { signer: readFileSync(logKeyFile, 'utf8').trim(), everyEntries: 25 },
    encryption: { recipients: [ageRecipients([a.recipient])], keyStore: fileKeyStore(join(logs, 'keys')) },
  });
  for (let i = 0; i < 120; i++) {
    if (i % 20 === 0) await log.flush();
    log.record({
      action: i % 5 === 0 ? 'invoice.delete' : 'invoice.read',
      actor: { id: `u${i % 4}`, type: 'user', ip: '203.0.113.7' },
      resource: { type: 'invoice', id: `inv_${i}` },
      outcome: i % 7 === 0 ? 'denied' : 'success',
    });
  }
  await log.close();
  return { dir, logs, a, b, logPub, exPub, exKeyFile };
}

const logFiles = (logs: string) =>
  readdirSync(logs)
    .filter((f) => f.includes('.log') || f.endsWith('.json'))
    .sort()
    .map(
      (f) =>
        `${f} ${createHash('sha256')
          .update(readFileSync(join(logs, f)))
          .digest('hex')}`,
    );

describe('the CLI on an encrypted log', () => {
  it('verify: complete without the key (content counted, not checked); with --identity every entry opens; a changed ciphertext is INVALID either way', async () => {
    const s = await setup();
    const blind = cli(['verify', s.logs]);
    expect(blind.code).toBe(0);
    expect(blind.stdout).toMatch(
      /Encrypted: 120 entries hold sealed content; their hashes, links and checkpoints were checked, their content was not/,
    );
    expect(blind.stdout).toMatch(/^COMPLETE/m);
    // Without any key, the signed checkpoints verify against the tree of sealed lines, and so do proofs.
    const trusted = cli(['verify', s.logs, '--trust', s.logPub]);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toMatch(/checkpoint \d+ signed by billing\.example\/audit .*checkpoints? verified against the tree/);
    const proof = join(s.dir, 'sealed.proof');
    expect(cli(['prove', s.logs, '--seq', '40', '--trust', s.logPub, '--out', proof]).code).toBe(0);
    const vp = cli(['verify-proof', proof, '--trust', s.logPub]);
    expect(vp.code).toBe(0);
    expect(vp.stdout).toMatch(/^VALID/);
    const seen = cli(['verify', s.logs, '--identity', s.a.file, '--json']);
    expect(seen.code).toBe(0);
    expect(JSON.parse(seen.stdout).sealed).toEqual({ entries: 120, opened: 120, keysMissing: [] });
    const other = cli(['verify', s.logs, '--identity', s.b.file]);
    expect(other.stdout).toMatch(/0 opened with the keys given and are valid entries; 120 under data keys no identity opens/);
    // The identity itself where a file belongs: refused, and not echoed.
    const leak = cli(['verify', s.logs, '--identity', s.a.id]);
    expect(leak.code).toBe(2);
    expect(leak.stderr).not.toContain(s.a.id.slice(20));
    // A flipped bit in one ciphertext.
    const seg = readdirSync(s.logs).find((f) => /^audit-.*\.log$/.test(f)) as string;
    const text = readFileSync(join(s.logs, seg), 'utf8');
    const at = text.indexOf('"ct":"') + 10;
    writeFileSync(join(s.logs, seg), `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`);
    for (const extra of [[], ['--identity', s.a.file]]) {
      const r = cli(['verify', s.logs, ...extra]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/modified .*content does not match its hash/);
    }
  }, 120_000);

  it('query and evidence search the opened content with --identity; without it, content filters see nothing and say why', async () => {
    const s = await setup();
    const blind = cli(['query', s.logs, '--actor', 'u1']);
    expect(blind.code).toBe(0);
    expect(blind.stdout).toBe('');
    expect(blind.stderr).toMatch(/this log is encrypted at rest.*give --identity/);
    const q = cli(['query', s.logs, '--actor', 'u1', '--identity', s.a.file]);
    expect(q.code).toBe(0);
    const lines = q.stdout.trim().split('\n');
    expect(lines).toHaveLength(30);
    expect(lines.every((l) => JSON.parse(l).actor.id === 'u1' && JSON.parse(l).enc === undefined)).toBe(true);
    const qv = cli(['query', s.logs, '--outcome', 'denied', '--identity', s.a.file, '--verify', '--format', 'csv']);
    expect(qv.code).toBe(0);
    expect(qv.stdout.trim().split('\n')).toHaveLength(1 + 18);
    expect(qv.stderr).toMatch(/verified: COMPLETE/);
    // Evidence: the population is the sealed lines (their proofs verify offline), their content beside them.
    const out = join(s.dir, 'pack');
    const r = cli([
      'evidence',
      s.logs,
      '--actor',
      'u1',
      '--identity',
      s.a.file,
      '--trust',
      s.logPub,
      '--sign-key',
      s.exKeyFile,
      '--out',
      out,
      '--sample',
      '5',
    ]);
    expect(r.code).toBe(0);
    const population = readFileSync(join(out, 'population.jsonl'), 'utf8').trim().split('\n');
    expect(population).toHaveLength(30);
    expect(population.every((l) => JSON.parse(l).enc !== undefined)).toBe(true);
    const opened = readFileSync(join(out, 'population-opened.jsonl'), 'utf8').trim().split('\n');
    expect(opened.map((l) => JSON.parse(l).actor.id)).toEqual(Array(30).fill('u1'));
    expect(readFileSync(join(out, 'population.csv'), 'utf8')).toContain('u1');
    const v = cli(['evidence', 'verify', out, '--trust', s.logPub, '--trust', s.exPub]);
    expect(v.stdout).toMatch(/^VALID: 30 records, 5 sample proofs verified/);
  }, 120_000);

  it('rewrap: the keys go to another reader, the old one loses access, and no byte of the log changes', async () => {
    const s = await setup();
    const before = logFiles(s.logs);
    const r = cli(['rewrap', s.logs, '--identity', s.a.file, '--recipient', s.b.recipient]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ data keys? re-wrapped for 1 recipient/);
    expect(logFiles(s.logs).filter((l) => !l.startsWith('keys'))).toEqual(before.filter((l) => !l.startsWith('keys')));
    const byB = cli(['verify', s.logs, '--identity', s.b.file, '--json']);
    expect(byB.code).toBe(0);
    expect(JSON.parse(byB.stdout).sealed).toEqual({ entries: 120, opened: 120, keysMissing: [] });
    const byA = cli(['verify', s.logs, '--identity', s.a.file, '--json']);
    expect(JSON.parse(byA.stdout).sealed.opened).toBe(0);
    // Again with a's identity: nothing opens, nothing changes, exit 1.
    expect(cli(['rewrap', s.logs, '--identity', s.a.file, '--recipient', s.a.recipient]).code).toBe(1);
  }, 120_000);
});
