/**
 * Reads of the log are themselves audited: each `verify` and `query` run appends a chained record
 * of who ran what over which files, with what result, to a reader log (its own hash-chained file
 * log). Where: `--reader-log <dir>`, else AUDITREADY_READER_LOG, else
 * `$XDG_STATE_HOME/auditready/reads` (default `~/.local/state/auditready/reads`). `off` disables it
 * and says so on stderr. If the reader log cannot be opened, nothing is read (exit 2).
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { AuditLockedError, type AuditLogger, AuditUnavailableError, createAuditLogger } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';

export function readerLogDir(flag: string | undefined, env: NodeJS.ProcessEnv): string | 'off' {
  const v = flag ?? env.AUDITREADY_READER_LOG;
  if (v === 'off') return 'off';
  if (v) return v;
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'auditready', 'reads');
}

function whoami(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}

export interface ReaderLog {
  record(fields: {
    command: string;
    argv: string[];
    files: string[];
    outcome: 'success' | 'failure';
    summary: Record<string, unknown>;
  }): Promise<void>;
}

/** Opens the reader log's logger, waiting (up to ~30 s) while another run holds it for its own record. */
async function openLogger(dir: string): Promise<AuditLogger> {
  for (let attempt = 0; ; attempt++) {
    try {
      return createAuditLogger({
        service: { name: 'auditready-cli', host: hostname() },
        transports: [createFileTransport({ dir, name: 'reads' })],
        handleSignals: false,
        onError: (e) => process.stderr.write(`reader log: ${e.message}\n`),
      });
    } catch (err) {
      if (err instanceof AuditLockedError && attempt < 300) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      throw new AuditUnavailableError(
        `cannot open the reader log in ${dir}: ${(err as Error).message} (set --reader-log or AUDITREADY_READER_LOG)`,
        { cause: err },
      );
    }
  }
}

/**
 * Checks now that the reader log can be written (nothing is read otherwise), and opens it only to
 * record: a run holds its lock for a moment at the end, not for its whole read, so runs side by
 * side (a long verify and a quick query) wait a little for each other instead of failing.
 */
export async function openReaderLog(dir: string | 'off'): Promise<ReaderLog> {
  if (dir === 'off') {
    process.stderr.write('note: the reader log is off; this read of the audit log is not recorded\n');
    return { record: async () => {} };
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new AuditUnavailableError(
      `cannot open the reader log in ${dir}: ${(err as Error).message} (set --reader-log or AUDITREADY_READER_LOG)`,
      { cause: err },
    );
  }
  return {
    async record({ command, argv, files, outcome, summary }) {
      const log = await openLogger(dir);
      log.record({
        kind: 'event',
        action: `auditlog.${command}`,
        actor: { type: 'user', id: whoami() },
        resource: { type: 'audit-log', id: files.length === 1 ? (files[0] as string).slice(0, 500) : `${files.length} files` },
        outcome,
        details: { host: hostname(), cwd: process.cwd(), pid: process.pid, argv, files: files.slice(0, 200), ...summary },
      });
      const r = await log.close({ timeoutMs: 10_000 });
      if (!r.ok) throw new AuditUnavailableError(`the reader log could not record this read (${r.pending} pending)`);
    },
  };
}
