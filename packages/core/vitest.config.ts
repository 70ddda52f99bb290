import { readFileSync } from 'node:fs';
import { defineProject } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineProject({
  // As in tsup.config.ts: src/version.ts reads the version from package.json.
  define: { __AUDITREADY_CORE_VERSION__: JSON.stringify(version) },
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
  },
});
