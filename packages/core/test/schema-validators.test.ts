/**
 * The entry schema's validators are generated ahead of time (scripts/gen-validators.mjs), so that
 * nothing is compiled at run time: the logger and the verifier must work in a process that refuses
 * code generation from strings. The generated file must also be the one the current schema gives.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBody, checkEntry } from '../src/schema.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('the generated schema validators', () => {
  it('are the ones the current schema gives (run node scripts/gen-validators.mjs after changing it)', async () => {
    const { generate } = (await import(join(root, 'scripts', 'gen-validators.mjs'))) as { generate(): Promise<string> };
    const now = readFileSync(join(root, 'packages', 'core', 'src', 'generated', 'schema-validators.js'), 'utf8');
    expect(now === (await generate())).toBe(true);
  }, 30_000);

  it('check and explain: string lengths in code points, patterns, the allOf rules', () => {
    const entry = {
      v: 1,
      kind: 'event',
      chain: 'c1',
      seq: 0,
      prev: '0'.repeat(64),
      hash: 'a'.repeat(64),
      ts: '2026-12-07T10:00:00.000000Z',
      action: '😀'.repeat(256), // 256 code points, 512 UTF-16 units: within maxLength 256
      actor: { type: 'user' },
      outcome: 'success',
    };
    expect(checkEntry(entry)).toEqual({ valid: true, errors: [] });
    expect(checkEntry({ ...entry, action: '😀'.repeat(257) }).errors).toEqual([
      { path: 'action', message: 'must NOT have more than 256 characters' },
    ]);
    // A lone surrogate counts as one, as ajv counts; a high surrogate at the end of the string too.
    expect(checkEntry({ ...entry, action: `${'\udc00'.repeat(255)}\ud800` }).valid).toBe(true);
    expect(checkEntry({ ...entry, action: `${'😀'.repeat(255)}\ud800\ud800` }).valid).toBe(false);
    const r = checkEntry({ ...entry, hash: 'A'.repeat(64), outcome: undefined, extra: 1 });
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.path).sort()).toEqual(['', '', 'hash']);
    expect(checkBody({ kind: 'access', ts: entry.ts, action: 'a', actor: { type: 'user' }, outcome: 'success' }).errors).toEqual([
      { path: '', message: "must have required property 'http'" },
    ]);
  });

  it('a process that refuses code generation from strings can log, reject bad input with its reasons, and verify', () => {
    const script = `
      import { createAuditLogger, createMemoryTransport } from '@auditready/core';
      import { verifySync, verifyStream } from '@auditready/core/verify';
      const mem = createMemoryTransport();
      const errors = [];
      const log = createAuditLogger({ service: { name: 'hardened' }, transports: [mem], handleSignals: false, onError: (e) => errors.push(e.code) });
      log.record({ action: 'invoice.read', actor: { type: 'user', id: 'u1' } });
      log.recordLater({ kind: 'access', action: 'GET /x', actor: { type: 'user' }, outcome: 'success', http: { method: 'G E T' } });
      await log.close();
      const lines = mem.lines();
      const rejected = mem.entries().find((e) => e.kind === 'rejected');
      const stream = await verifyStream([lines.join('\\n') + '\\n']);
      console.log(JSON.stringify({ errors, kinds: mem.entries().map((e) => e.kind), why: rejected?.reason, sync: verifySync(lines).valid, stream: stream.valid }));`;
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { errors: string[]; kinds: string[]; why: string; sync: boolean; stream: boolean };
    expect(out.kinds).toEqual(['genesis', 'event', 'rejected']);
    expect(out.errors).toEqual(['ERR_AUDIT_SCHEMA']);
    expect(out.why).toMatch(/http\.method/);
    expect(out).toMatchObject({ sync: true, stream: true });
  }, 30_000);
});
