import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', prometheus: 'src/prometheus.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
