import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describePublished, packageDir } from '../../../test-support/published.js';

describePublished({
  pkgDir: packageDir(import.meta.dirname),
  name: '@auditready/nestjs',
  exportName: 'AuditModule',
  more: () => {
    it('a CommonJS Nest app runs on the built package: decorator metadata survived the build and DI wires the module', () => {
      const r = spawnSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'cjs-app.cjs')], {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..'),
      });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({
        metadata: { service: 2, interceptor: 1, middleware: 2 }, // AuditService: the logger and the (optional) request layer
        status: 200,
        action: 'ping.read',
        // A logger given to forRoot is flushed, not closed, by app.close(): the next app built from the module uses it.
        closed: 'ok',
      });
    });
  },
});
