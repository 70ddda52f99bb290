import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'transport-kafka',
    include: ['test/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 180000,
    // A real single-node broker (scripts/kafka), started once for these suites.
    globalSetup: ['test/global-setup.ts'],
    // One file at a time: the fault suites stop, kill and pause the shared broker.
    fileParallelism: false,
  },
});
