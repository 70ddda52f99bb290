import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

describe('@auditready/nestjs as published', () => {
  it('a CommonJS Nest app runs on the built package: decorator metadata survived the build and DI wires the module', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'cjs-app.cjs')], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '..'),
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      metadata: { service: 1, interceptor: 1, middleware: 2 },
      status: 200,
      action: 'ping.read',
      closed: 'closed',
    });
  });

  it('passes publint', async () => {
    const { messages } = await publint({ pkgDir: join(import.meta.dirname, '..'), level: 'suggestion', strict: true });
    expect(messages).toEqual([]);
  });
});
