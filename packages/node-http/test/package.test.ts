import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

const pkgDir = join(import.meta.dirname, '..');

describe('@auditready/node-http as published', () => {
  it('passes publint', async () => {
    const { messages } = await publint({ pkgDir, level: 'suggestion', strict: true });
    expect(messages).toEqual([]);
  });

  it.each([
    ['ESM', ['--input-type=module', '-e', "import { RequestAuditor } from '@auditready/node-http'; console.log(typeof RequestAuditor)"]],
    ['CommonJS', ['-e', "const { RequestAuditor } = require('@auditready/node-http'); console.log(typeof RequestAuditor)"]],
  ])('loads from %s', (_kind, args) => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: pkgDir });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function');
  });
});
