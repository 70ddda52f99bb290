/**
 * Vitest global setup: every temporary file and directory of a test run (the tests', and those of
 * the processes they start, which inherit TMPDIR) goes under one directory of its own, removed
 * when the run ends — a run used to leave a few thousand directories in the system's temp dir.
 * AUDITREADY_KEEP_TMP=1 keeps it (its path is printed) to look at what a failed run wrote.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'auditready-test-'));
  // Open to every user, as the system's temp dir is: some tests run a process as an unprivileged
  // user, which makes its own files here.
  chmodSync(root, 0o1777);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (process.env.AUDITREADY_KEEP_TMP === '1') console.log(`test files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
