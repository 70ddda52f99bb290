import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

const pkgDir = join(import.meta.dirname, '..');

describe('@auditready/express as published', () => {
  it('passes publint', async () => {
    const { messages } = await publint({ pkgDir, level: 'suggestion', strict: true });
    expect(messages).toEqual([]);
  });

  it('its declarations type req.audit in an Express app (a strict tsc compile of a typed app, library types checked too)', () => {
    const tsc = join(pkgDir, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(pkgDir, 'test', 'fixtures', 'tsconfig.typed.json')], {
      encoding: 'utf8',
      cwd: pkgDir,
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it.each([
    ['ESM', ['--input-type=module', '-e', "import { auditMiddleware } from '@auditready/express'; console.log(typeof auditMiddleware)"]],
    ['CommonJS', ['-e', "const { auditMiddleware } = require('@auditready/express'); console.log(typeof auditMiddleware)"]],
  ])('loads from %s', (_kind, args) => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: pkgDir });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function');
  });
});
