import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*'],
    // One temporary directory per run, removed at its end (test-support/temp-root.ts).
    globalSetup: ['test-support/temp-root.ts'],
  },
});
