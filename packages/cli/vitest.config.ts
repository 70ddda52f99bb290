import { readFileSync } from 'node:fs';
import { defineProject } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineProject({
  define: { __AUDITREADY_CLI_VERSION__: JSON.stringify(version) },
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    testTimeout: 60000,
  },
});
