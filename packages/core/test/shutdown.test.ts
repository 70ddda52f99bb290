import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifySync } from '../src/verify/index.js';

const child = join(import.meta.dirname, 'fixtures', 'shutdown-child.mjs');
const dist = join(import.meta.dirname, '..', 'dist', 'index.js');

function run(mode: string) {
  if (!existsSync(dist)) throw new Error('packages/core/dist is missing: run `npm run build` (npm test does)');
  const out = join(mkdtempSync(join(tmpdir(), 'ar-shutdown-')), 'audit.log');
  const r = spawnSync(process.execPath, [child, mode, out], { encoding: 'utf8', timeout: 20000 });
  const lines = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];
  const closed = existsSync(`${out}.closed`) ? readFileSync(`${out}.closed`, 'utf8').split('\n').filter(Boolean).length : 0;
  return { ...r, lines, closed };
}

describe('flush on shutdown (real child processes)', () => {
  it.each(['sigterm', 'sigint'])('%s: every entry is written, then the process dies of the signal as it would without us', (mode) => {
    const r = run(mode);
    expect(r.signal).toBe(mode.toUpperCase());
    expect(r.lines).toHaveLength(101);
    expect(verifySync(r.lines).valid).toBe(true);
  });

  it.each(['sigterm', 'sigint'])('%s: the transports are closed before the process dies (head written, lock released)', (mode) => {
    expect(run(mode).closed).toBe(1);
  });

  it("with the app's own handler the app may still record while it drains: flushed, not closed", () => {
    expect(run('app-handler').closed).toBe(0);
  });

  it('beforeExit: a script that just ends loses nothing', () => {
    const r = run('exit');
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(101);
    expect(verifySync(r.lines).valid).toBe(true);
  });

  it("the app's own SIGTERM handler stays in charge of exiting", () => {
    const r = run('app-handler');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('app handled SIGTERM');
    expect(r.lines).toHaveLength(101);
  });

  it('a destination that is down cannot keep the process alive', () => {
    const r = run('down');
    expect(r.error).toBeUndefined(); // not killed by the 20 s spawn timeout
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(0);
  });
});
