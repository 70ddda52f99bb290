// The test run's temporary directory (test-support/temp-root.ts, the root vitest config's global
// setup): everything a run writes to the temp dir, its child processes' files included, is removed
// at its end, and TMPDIR is given back.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setup } from '../../../test-support/temp-root.js';

describe('the test run temp directory', () => {
  const saved = { TMPDIR: process.env.TMPDIR, AUDITREADY_KEEP_TMP: process.env.AUDITREADY_KEEP_TMP };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('this run is inside one', () => {
    expect(basename(tmpdir())).toMatch(/^auditready-test-/);
  });

  it('takes what the run and its child processes write, and is removed with it at the end', () => {
    const outer = tmpdir();
    const teardown = setup();
    const root = tmpdir();
    expect(dirname(root)).toBe(outer);
    expect(root).not.toBe(outer);
    expect(statSync(root).mode & 0o7777).toBe(0o1777); // open to an unprivileged user's process, as /tmp is
    mkdirSync(join(root, 'ar-x', 'deep'), { recursive: true });
    writeFileSync(join(root, 'ar-x', 'deep', 'f.log'), 'x');
    const child = execFileSync(
      process.execPath,
      ['-e', 'const fs=require("fs"),os=require("os");const d=fs.mkdtempSync(os.tmpdir()+"/c-");process.stdout.write(d)'],
      { encoding: 'utf8' },
    );
    expect(dirname(child)).toBe(root);
    teardown();
    expect(existsSync(root)).toBe(false);
    expect(tmpdir()).toBe(outer);
  });

  it('AUDITREADY_KEEP_TMP=1 keeps it, to look at what a failed run wrote', () => {
    process.env.AUDITREADY_KEEP_TMP = '1';
    const teardown = setup();
    const root = tmpdir();
    writeFileSync(join(root, 'f'), 'x');
    teardown();
    expect(existsSync(join(root, 'f'))).toBe(true);
    execFileSync('rm', ['-rf', root]);
  });
});
