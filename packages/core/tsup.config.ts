import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    verify: 'src/verify/index.ts',
    testing: 'src/testing.ts',
    spool: 'src/spool.ts',
    worker: 'src/worker.ts',
    'worker-thread': 'src/worker-thread.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // import.meta.url in the CommonJS build (the worker bridge locates its worker script with it).
  shims: true,
});
