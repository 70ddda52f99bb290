import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'node-http',
    include: ['test/**/*.test.ts'],
    testTimeout: 60000,
  },
});
