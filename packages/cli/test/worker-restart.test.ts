/**
 * The audit worker dies in a real app's setup (file transport + a transport with a bug): the
 * replacement takes over the dead thread's file lock, continues the chain, and `auditready verify`
 * says INCOMPLETE with the declared gap, instead of COMPLETE over a log that silently lacks entries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditError } from '@auditready/core';
import { startWorkerAuditLogger } from '@auditready/core/worker';
import { describe, expect, it, vi } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('a dead audit worker, seen by verify', () => {
  it('the replacement takes over the lock, the log declares the loss, and verify says INCOMPLETE (exit 1), not COMPLETE', async () => {
    const dir = tempDir();
    const errors: AuditError[] = [];
    const logger = await startWorkerAuditLogger(new URL('./fixtures/worker-file-setup.mjs', import.meta.url), {
      setupData: { dir, crashOn: 'crash' },
      handleSignals: false,
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 20; i++) logger.recordLater({ action: 'invoice.read', actor: { type: 'user', id: 'alice' } });
    await logger.flush();
    logger.recordLater({ action: 'crash' });
    await vi.waitFor(() => expect(errors.some((e) => /restarting it/.test(e.message))).toBe(true), { timeout: 10_000, interval: 20 });
    for (let i = 0; i < 5; i++) logger.recordLater({ action: 'invoice.read', actor: { type: 'user', id: 'bob' } });
    expect((await logger.flush()).ok).toBe(true);
    expect(errors.some((e) => e.code === 'ERR_AUDIT_LOCKED')).toBe(false);
    await logger.close();
    expect(existsSync(join(dir, 'audit.lock'))).toBe(false); // released at close by the replacement

    const entries = readFileSync(join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.filter((e) => e.actor?.id === 'bob')).toHaveLength(5);
    const recovered = entries.find((e) => e.kind === 'recovered');
    expect(recovered.details.staleLock).toMatchObject({ pid: process.pid }); // the dead thread's lock, taken over

    const r = cli(['verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/INCOMPLETE/);
    expect(r.stdout).toMatch(/DECLARED GAP: seq \d+\.\.\d+, \d+ entries lost: audit worker exited \(code 3\)/);
    const json = JSON.parse(cli(['verify', dir, '--json']).stdout);
    expect(json.report?.complete ?? json.complete).toBe(false);
  });
});
