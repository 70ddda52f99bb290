/**
 * Erasure without breaking the proof (issue #19): a person's fields sealed under their own key
 * before hashing; `auditready erase` destroys the key and appends an `erasure` record. Afterwards
 * the chain, the checkpoints and a proof issued before the erasure all still verify, the person's
 * fields read [erased], nothing of them is left readable, and everyone else's are untouched.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditEntry, createAuditLogger, subjectPseudonym } from '@auditready/core';
import { createFileTransport, fileSubjectKeyStore } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, evidenceKeys, tempDir } from './helpers.js';

const ALICE = 'alice.martin@example.org';
const ALICE_IP = '198.51.100.23';
const PSEUDONYM_KEY = { id: 'pseudo-2026', secret: `hex:${'5a'.repeat(32)}` };

function allText(logs: string): string {
  return readdirSync(logs)
    .filter((f) => f.includes('.log'))
    .map((f) => readFileSync(join(logs, f), 'latin1'))
    .join('\n');
}

describe('auditready erase', () => {
  it("erases one subject in a checkpointed log: verify and a proof issued before still pass, the subject's fields read [erased], nothing of them is readable", async () => {
    const dir = tempDir();
    const { logKeyFile, logPub } = evidenceKeys(dir);
    const logs = join(dir, 'logs');
    const subjects = join(logs, 'subjects');
    const log = createAuditLogger({
      service: { name: 'billing' },
      transports: [createFileTransport({ dir: logs })],
      handleSignals: false,
      checkpoints: { signer: readFileSync(logKeyFile, 'utf8').trim(), everyEntries: 10 },
      erasure: { keyStore: fileSubjectKeyStore(subjects), pseudonymKey: PSEUDONYM_KEY, fields: ['actor.id', 'actor.ip', 'details.email'] },
    });
    for (let i = 0; i < 60; i++) {
      const alice = i % 2 === 0;
      log.record({
        action: 'invoice.read',
        actor: alice ? { id: ALICE, type: 'user', ip: ALICE_IP } : { id: 'bob', type: 'user', ip: '192.0.2.8' },
        resource: { type: 'invoice', id: `inv_${i}` },
        details: { email: alice ? ALICE : 'bob@example.org', n: i },
      });
    }
    await log.close();
    const text = allText(logs);
    for (const secret of [ALICE, ALICE_IP, 'bob@example.org']) expect(text).not.toContain(secret);
    const sid = subjectPseudonym(PSEUDONYM_KEY, ALICE);
    expect(text).toContain(sid);
    // Before: the fields open with the subject keys.
    const q = cli(['query', logs, '--actor', ALICE, '--subject-keys', subjects]);
    expect(q.stdout.trim().split('\n')).toHaveLength(30);
    expect(JSON.parse(q.stdout.split('\n')[0] as string)).toMatchObject({ actor: { id: ALICE, ip: ALICE_IP }, details: { email: ALICE } });
    // A proof of one of alice's entries, issued before the erasure.
    const entries = readFileSync(join(logs, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    const target = entries.find((e) => e.pii?.sid === sid && e.seq > 20) as AuditEntry;
    const proof = join(dir, 'alice.proof');
    expect(cli(['prove', logs, '--seq', String(target.seq), '--trust', logPub, '--out', proof]).code).toBe(0);
    // The erasure.
    const keyFile = join(dir, 'pseudonym.key');
    writeFileSync(keyFile, `${PSEUDONYM_KEY.id}=${PSEUDONYM_KEY.secret}\n`, { mode: 0o600 });
    const before = readFileSync(join(logs, 'audit.log'), 'utf8');
    const r = cli(['erase', logs, '--subject', ALICE, '--pseudonym-key-file', keyFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`subject ${sid}: 1 key destroyed; erasure record appended`));
    // Nothing that was written changed: the log only grew.
    expect(readFileSync(join(logs, 'audit.log'), 'utf8').startsWith(before)).toBe(true);
    const erasure = readFileSync(join(logs, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry)
      .filter((e) => e.kind === 'erasure');
    expect(erasure).toHaveLength(1);
    expect(erasure[0]?.details).toEqual({ subject: sid, keys: 1 });
    // The chain, its checkpoints and the earlier proof still verify.
    const v = cli(['verify', logs, '--trust', logPub, '--subject-keys', subjects, '--json']);
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.verdict).toBe('complete');
    expect(report.sealed).toMatchObject({ entries: 60, opened: 60, erased: 30 });
    const vp = cli(['verify-proof', proof, '--trust', logPub]);
    expect(vp.code).toBe(0);
    expect(vp.stdout).toMatch(/^VALID/);
    // Alice's fields read [erased]; bob's still open; no key and no byte of hers is left.
    const after = cli(['query', logs, '--kind', 'event', '--subject-keys', subjects])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(after).toHaveLength(60);
    const hers = after.filter((e) => e.actor?.id === '[erased]');
    expect(hers).toHaveLength(30);
    for (const e of hers) expect(e).toMatchObject({ actor: { id: '[erased]', ip: '[erased]' }, details: { email: '[erased]' } });
    expect(after.filter((e) => e.actor?.id === 'bob').every((e) => e.actor?.ip === '192.0.2.8')).toBe(true);
    expect(readdirSync(subjects)).not.toContain(sid);
    const everything = [
      allText(logs),
      ...readdirSync(subjects).flatMap((s) => readdirSync(join(subjects, s)).map((f) => readFileSync(join(subjects, s, f), 'latin1'))),
    ].join('\n');
    for (const secret of [ALICE, ALICE_IP]) expect(everything).not.toContain(secret);
    // Erasing again: nothing left to destroy, and said so.
    expect(cli(['erase', logs, '--subject', ALICE, '--pseudonym-key-file', keyFile]).stdout).toMatch(/0 keys destroyed/);
  }, 120_000);

  it('refuses while the app holds the log, and never takes the pseudonym key from the command line', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    const log = createAuditLogger({
      service: { name: 'billing' },
      transports: [createFileTransport({ dir: logs })],
      handleSignals: false,
      erasure: { keyStore: fileSubjectKeyStore(join(logs, 'subjects')), pseudonymKey: PSEUDONYM_KEY },
    });
    log.record({ action: 'invoice.read', actor: { id: ALICE, type: 'user' } });
    await log.flush();
    const keyFile = join(dir, 'pseudonym.key');
    writeFileSync(keyFile, `${PSEUDONYM_KEY.id}=${PSEUDONYM_KEY.secret}\n`, { mode: 0o600 });
    const held = cli(['erase', logs, '--subject', ALICE, '--pseudonym-key-file', keyFile]);
    expect(held.code).toBe(2);
    expect(held.stderr).toMatch(/held by a running writer .*logger\.eraseSubject\(\)/);
    expect(readdirSync(join(logs, 'subjects'))).toHaveLength(1); // nothing destroyed
    // In the app: the same, through the logger.
    const r = await log.eraseSubject(ALICE);
    expect(r).toEqual({ sid: subjectPseudonym(PSEUDONYM_KEY, ALICE), keys: 1 });
    await log.close();
    expect(readdirSync(join(logs, 'subjects'))).toHaveLength(0);
    expect(cli(['erase', logs, '--subject', ALICE, '--pseudonym-key', 'x']).code).toBe(2);
    // A pseudonym key file that is not one: named by its own flag.
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'not a key\n');
    const r2 = cli(['erase', logs, '--subject', ALICE, '--pseudonym-key-file', bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--pseudonym-key-file .*bad\.key entry 1/);
  }, 60_000);
});
