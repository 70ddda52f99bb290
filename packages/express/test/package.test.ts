import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describePublished, packageDir } from '../../../test-support/published.js';

const pkgDir = packageDir(import.meta.dirname);

describePublished({
  pkgDir,
  name: '@auditready/express',
  exportName: 'auditMiddleware',
  more: () => {
    it('its declarations type req.audit in an Express app (a strict tsc compile of a typed app, library types checked too)', () => {
      const tsc = join(pkgDir, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
      const r = spawnSync(process.execPath, [tsc, '-p', join(pkgDir, 'test', 'fixtures', 'tsconfig.typed.json')], {
        encoding: 'utf8',
        cwd: pkgDir,
      });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    }, 60_000);
  },
});
