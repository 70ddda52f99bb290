/**
 * `auditready keygen`, as a user runs it: the signer key lands in a 0600 file (never printed,
 * never over an existing file), the verifier key on stdout matches it, and both are the C2SP
 * forms the note code (and Go's sumdb/note, see core's go-crosscheck test) reads.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNote, parseSignerKey, parseVerifierKey, signNote } from '@auditready/core';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('auditready keygen', () => {
  it('writes the signer key 0600, prints only the verifier key, and they are a pair', async () => {
    const dir = tempDir();
    const out = join(dir, 'checkpoint-signer.key');
    const r = cli(['keygen', '--name', 'billing-api.example/audit', '--out', out]);
    expect(r.code).toBe(0);
    const signerKey = readFileSync(out, 'utf8').trim();
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+billing-api\.example\/audit\+[0-9a-f]{8}\+/);
    expect(r.stdout.trim()).toMatch(/^billing-api\.example\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    // The secret part (everything after PRIVATE+KEY+<name>+<id>+; base64 may itself hold '+') is never printed.
    const secret = signerKey.split('+').slice(4).join('+');
    expect(secret.length).toBeGreaterThanOrEqual(44);
    expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    const signer = parseSignerKey(signerKey);
    expect(signer.verifierKey).toBe(r.stdout.trim());
    const note = await signNote('checkpoint body\n', [signer]);
    expect(openNote(note, [parseVerifierKey(r.stdout.trim())]).text).toBe('checkpoint body\n');
  });

  it('never overwrites a key file; a bad name, a missing --out or --out - are usage errors (exit 2)', () => {
    const dir = tempDir();
    const out = join(dir, 'existing.key');
    writeFileSync(out, 'keep me\n');
    const r = cli(['keygen', '--name', 'a.example/log', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exists: a signer key is never overwritten/);
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');
    expect(cli(['keygen', '--name', 'has space', '--out', join(dir, 'x.key')]).code).toBe(2);
    expect(existsSync(join(dir, 'x.key'))).toBe(false);
    expect(cli(['keygen', '--name', 'a.example/log']).stderr).toMatch(/--out <file>/);
    expect(cli(['keygen', '--name', 'a.example/log', '--out', '-']).code).toBe(2);
    expect(cli(['help', 'keygen']).stdout).toMatch(/never printed/);
  });
});
