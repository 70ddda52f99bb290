import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AuditError, type AuditLoggerOptions, createAuditLogger } from '@auditready/core';
import { type VerifyReport, verifySync } from '@auditready/core/verify';
import { createFileTransport, type FileTransportOptions } from '../src/index.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ar-file-'));
}

export function open(dir: string, file: Partial<FileTransportOptions> = {}, logger: Partial<AuditLoggerOptions> = {}) {
  const transport = createFileTransport({ dir, ...file });
  const errors: AuditError[] = [];
  const log = createAuditLogger({
    service: { name: 'file-test' },
    transports: [transport],
    handleSignals: false,
    onError: (e) => errors.push(e),
    retry: { initialDelayMs: 5, maxDelayMs: 50 },
    ...logger,
  });
  return { transport, log, errors };
}

/** Every log file of the directory in name order (segments, then the active file), as lines with positions. */
export function readDir(dir: string, name = 'audit'): { line: string; file: string; lineNo: number }[] {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(name) && (f.endsWith('.log') || f.endsWith('.log.gz')))
    .sort();
  return files.flatMap((f) => {
    const raw = readFileSync(join(dir, f));
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((line, i) => ({ line, file: f, lineNo: i + 1 }));
  });
}

export function verifyDir(dir: string, options: Parameters<typeof verifySync>[1] = {}): VerifyReport {
  return verifySync(readDir(dir), options);
}

export function entriesOf(dir: string) {
  return readDir(dir).map((x) => JSON.parse(x.line));
}
