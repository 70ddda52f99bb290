import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditKey, createAuditLogger } from '@auditready/core';
import { createFileTransport, type FileTransportOptions } from '@auditready/transport-file';

/** The installed binary, as a user runs it. */
export const BIN = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');

export function tempDir(prefix = 'ar-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cli(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const r = spawnSync(BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, AUDITREADY_READER_LOG: env.AUDITREADY_READER_LOG ?? tempDir('ar-reads-'), ...env },
    timeout: 60000,
    ...(cwd ? { cwd } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes a realistic log with the file transport: a few users, routes and outcomes. */
export async function writeLog(dir: string, n: number, file: Partial<FileTransportOptions> = {}, hmacKey?: AuditKey) {
  const transport = createFileTransport({ dir, ...file });
  const log = createAuditLogger({
    service: { name: 'cli-test' },
    transports: [transport],
    handleSignals: false,
    ...(hmacKey ? { chain: { hmacKey } } : {}),
  });
  const users = ['alice', 'bob', 'carol'];
  for (let i = 0; i < n; i++) {
    const status = i % 10 === 3 ? 403 : i % 17 === 5 ? 500 : 200;
    log.record({
      kind: 'access',
      action: i % 10 === 3 ? 'admin.users.delete' : 'invoice.read',
      actor: { type: 'user', id: users[i % 3] as string, ip: '203.0.113.9' },
      resource: { type: 'invoice', id: `inv_${i}` },
      outcome: status === 403 ? 'denied' : status === 500 ? 'error' : 'success',
      http: { method: 'GET', route: '/invoices/:id', path: `/invoices/inv_${i}`, status, requestId: `req-${i}` },
      trace: { traceId: i.toString(16).padStart(32, '0'), spanId: '00f067aa0ba902b7' },
    });
    if (i % 25 === 0) await log.flush();
  }
  await log.close();
}

/** An evidence extraction's keys in `dir`: the log's checkpoint key and the extraction's signing key (files and verifier keys). */
export function evidenceKeys(dir: string) {
  const logKeyFile = join(dir, 'log.key');
  const logPub = cli(['keygen', '--name', 'billing.example/audit', '--out', logKeyFile]).stdout.trim();
  const exKeyFile = join(dir, 'extraction.key');
  const exPub = cli(['keygen', '--name', 'audit-team.example/evidence', '--out', exKeyFile]).stdout.trim();
  return { logKeyFile, logPub, exKeyFile, exPub };
}
