import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    verify: 'src/verify/index.ts',
    testing: 'src/testing.ts',
    'testing-vitest': 'src/testing-vitest.ts',
    'testing-jest': 'src/testing-jest.ts',
    spool: 'src/spool.ts',
    worker: 'src/worker.ts',
    'worker-thread': 'src/worker-thread.ts',
    'tree-worker': 'src/verify/tree-worker.ts',
    'line-worker': 'src/verify/line-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // import.meta.url in the CommonJS build (the worker bridge locates its worker script with it).
  shims: true,
  // src/version.ts: the version comes from package.json, never from a hand-written constant.
  define: { __AUDITREADY_CORE_VERSION__: JSON.stringify(version) },
});
