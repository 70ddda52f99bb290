import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', verify: 'src/verify.ts', testing: 'src/testing.ts', spool: 'src/spool.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
});
