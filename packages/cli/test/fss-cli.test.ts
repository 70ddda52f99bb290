/**
 * `auditready verify --fss-key-file` on a forward-secure log written by the file transport: the
 * initial key comes from a file (never argv); without it the keyed entries cannot be checked; a
 * break names its epoch.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditClock, createAuditLogger } from '@auditready/core';
import { fileKeyState } from '@auditready/core/spool';
import { createFileTransport } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('auditready verify --fss-key-file', () => {
  it('verifies a forward-secure log with k(0) from a file; an edited entry is reported with its epoch', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    let us = Date.parse('2026-12-06T10:00:00Z') * 1000;
    const clock: AuditClock = { nowMicros: () => us++ };
    const log = createAuditLogger({
      service: { name: 'fss-cli' },
      transports: [createFileTransport({ dir: logs })],
      handleSignals: false,
      clock,
      chain: {
        forwardSecure: {
          store: fileKeyState(join(dir, 'fss.state')),
          initialKey: { id: 'fss1', secret: `hex:${'7a'.repeat(32)}` },
          epochMs: 60_000,
        },
      },
    });
    for (let i = 0; i < 6; i++) {
      log.record({ action: 'doc.read', details: { i } });
      us += 30_000_000; // two entries per epoch
    }
    await log.close();
    const keyFile = join(dir, 'fss.keys');
    writeFileSync(keyFile, `# k(0): keep offline\nfss1=hex:${'7a'.repeat(32)}\n`, { mode: 0o600 });
    const ok = cli(['verify', logs, '--fss-key-file', keyFile]);
    expect(ok.code).toBe(0);
    expect(cli(['verify', logs]).code).toBe(1); // keyed entries, no key
    const file = join(logs, 'audit.log');
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"i":3'));
    lines[i] = (lines[i] as string).replace('"i":3', '"i":4');
    writeFileSync(file, lines.join('\n'));
    const bad = cli(['verify', logs, '--fss-key-file', keyFile]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/modified .*epoch \d+: /);
    expect(cli(['verify', logs, '--fss-key-file', join(dir, 'nope')]).stderr).toMatch(/--fss-key-file .*cannot read it/);
  });
});
