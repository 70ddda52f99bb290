import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  entry: { bin: 'src/bin.ts', index: 'src/index.ts', 'scan-worker': 'src/scan-worker.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // src/version.ts: `auditready --version` reads package.json's version, never a hand-written constant.
  define: { __AUDITREADY_CLI_VERSION__: JSON.stringify(version) },
});
