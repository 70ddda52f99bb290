import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

const pkgDir = join(import.meta.dirname, '..');

describe('@auditready/transport-http as published', () => {
  it('passes publint', async () => {
    const { messages } = await publint({ pkgDir, level: 'suggestion', strict: true });
    expect(messages).toEqual([]);
  });

  it.each([
    [
      'ESM',
      [
        '--input-type=module',
        '-e',
        "import { createHttpTransport } from '@auditready/transport-http'; console.log(typeof createHttpTransport)",
      ],
    ],
    ['CommonJS', ['-e', "const { createHttpTransport } = require('@auditready/transport-http'); console.log(typeof createHttpTransport)"]],
  ])('loads from %s', (_kind, args) => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: pkgDir });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function');
  });
});
