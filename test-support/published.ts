/**
 * Shared by every package's test/package.test.ts: the package as published passes publint
 * (exports, types and formats consistent) and its entry loads from an ESM and a CommonJS consumer
 * (Nest apps, and many Express apps, are CommonJS).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

export interface PublishedCheck {
  /** The package directory (test/..). */
  pkgDir: string;
  /** The npm name, e.g. `@auditready/transport-file`. */
  name: string;
  /** A function the entry must export, loaded from both module systems; none for bin-only packages. */
  exportName?: string;
  /** More tests on the published package, inside the same describe block. */
  more?: () => void;
}

export function describePublished({ pkgDir, name, exportName, more }: PublishedCheck): void {
  describe(`${name} as published`, () => {
    it('passes publint', async () => {
      const { messages } = await publint({ pkgDir, level: 'suggestion', strict: true });
      expect(messages).toEqual([]);
    });

    if (exportName !== undefined) {
      it.each([
        ['ESM', ['--input-type=module', '-e', `import { ${exportName} } from '${name}'; console.log(typeof ${exportName})`]],
        ['CommonJS', ['-e', `const { ${exportName} } = require('${name}'); console.log(typeof ${exportName})`]],
      ])(`loads ${exportName} from %s`, (_kind, args) => {
        const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: pkgDir });
        expect(r.stderr).toBe('');
        expect(r.stdout.trim()).toBe('function');
      });
    }
    more?.();
  });
}

/** The package directory of a test file's package. */
export const packageDir = (testDir: string): string => join(testDir, '..');
