/**
 * The published package, as a user gets it: `npm pack`, unpacked into a fresh node_modules, then
 * imported from an ESM and a CommonJS consumer (Nest apps are CommonJS) and type-checked from both.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { beforeAll, describe, expect, it } from 'vitest';

const pkgDir = join(import.meta.dirname, '..');
const root = join(pkgDir, '..', '..');
let consumer = '';

const program = `
const { createAuditLogger, createMemoryTransport, AuditConfigError } = CORE;
const { verifySync } = VERIFY;
const { createTestAuditLogger, assertNoSecrets } = TESTING;
async function main() {
  const t = createMemoryTransport();
  const log = createAuditLogger({ service: { name: 'consumer' }, transports: [t], handleSignals: false });
  log.record({ action: 'invoice.read', actor: { type: 'user', id: 'u1' }, details: { password: 'x' } });
  await log.close();
  const report = verifySync(t.lines());
  const kit = createTestAuditLogger();
  kit.logger.record({ action: 'a' });
  assertNoSecrets(t.lines());
  let configError = false;
  try { createAuditLogger({}); } catch (e) { configError = e instanceof AuditConfigError && e.code === 'ERR_AUDIT_CONFIG'; }
  console.log(JSON.stringify({ valid: report.valid, entries: report.entries, kit: kit.verify().valid, configError, library: t.entries()[0].details.library }));
}
main();
`;

beforeAll(() => {
  consumer = mkdtempSync(join(tmpdir(), 'ar-consumer-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', consumer], { cwd: pkgDir, encoding: 'utf8' }))[0];
  const target = join(consumer, 'node_modules', '@auditready', 'core');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(consumer, packed.filename), '-C', target, '--strip-components=1']);
  // Runtime and peer dependencies, as package.json lists them (a new dependency is linked too),
  // come from the workspace install (their own dependencies resolve from there).
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  for (const dep of [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]) {
    const to = join(consumer, 'node_modules', dep);
    mkdirSync(join(to, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), to);
  }
  mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  writeFileSync(
    join(consumer, 'esm.mjs'),
    `import * as CORE from '@auditready/core';\nimport * as VERIFY from '@auditready/core/verify';\nimport * as TESTING from '@auditready/core/testing';\n${program}`,
  );
  writeFileSync(
    join(consumer, 'cjs.cjs'),
    `const CORE = require('@auditready/core');\nconst VERIFY = require('@auditready/core/verify');\nconst TESTING = require('@auditready/core/testing');\n${program}`,
  );
}, 60000);

describe('the packed package', () => {
  it('ships only dist and README (no sources, tests or vectors)', () => {
    const files = readdirSync(join(consumer, 'node_modules', '@auditready', 'core'), { recursive: true }) as string[];
    expect(files).toContain('package.json');
    expect(files.some((f) => f.startsWith('dist'))).toBe(true);
    expect(files.some((f) => f.startsWith('src') || f.startsWith('test'))).toBe(false);
  });

  it.each([
    ['ESM', 'esm.mjs'],
    ['CommonJS', 'cjs.cjs'],
  ])('works from an %s consumer', (_kind, file) => {
    const r = spawnSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
    // The genesis record names the library version the build took from package.json.
    expect(JSON.parse(r.stdout)).toEqual({ valid: true, entries: 2, kit: true, configError: true, library: `auditready/${version}` });
  });

  it('ships the test matchers for Jest: one import in a setup file registers them on the global expect', () => {
    writeFileSync(
      join(consumer, 'jest-setup.mjs'),
      `import { expect } from 'expect';
globalThis.expect = expect;
await import('@auditready/core/testing/jest');
const { createTestAuditLogger } = await import('@auditready/core/testing');
const kit = createTestAuditLogger();
kit.logger.record({ action: 'invoice.read' });
expect(kit).toHaveAudited({ action: 'invoice.read' });
let failed = false;
try { expect(kit).toHaveAudited({ action: 'missing' }); } catch { failed = true; }
console.log(JSON.stringify({ failed }));
`,
    );
    const r = spawnSync(process.execPath, ['jest-setup.mjs'], { cwd: consumer, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ failed: true });
  });

  it('types the vitest matchers with one import (no hand-written augmentation)', () => {
    writeFileSync(
      join(consumer, 'matchers.mts'),
      `import '@auditready/core/testing/vitest';
import { createTestAuditLogger } from '@auditready/core/testing';
import { expect } from 'vitest';
const kit = createTestAuditLogger();
expect(kit).toHaveAudited({ action: 'a' });
expect(kit).not.toHaveAuditedTimes(2, { action: 'a' });
expect(kit.lines()).toHaveValidAuditChain();
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.matchers.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          types: ['node'],
          skipLibCheck: true,
        },
        files: ['matchers.mts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(consumer, 'tsconfig.matchers.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('type-checks from ESM and CommonJS TypeScript consumers', () => {
    const src = `import { createAuditLogger, createMemoryTransport, type AuditEntry } from '@auditready/core';
import { verifySync, type VerifyReport } from '@auditready/core/verify';
import { auditMatchers, type AuditMatchers } from '@auditready/core/testing';
const log = createAuditLogger({ service: { name: 's' }, transports: [createMemoryTransport()] });
const e: AuditEntry = log.record({ action: 'a', outcome: 'success' });
const r: VerifyReport = verifySync([e]);
const m: keyof AuditMatchers = 'toHaveAudited';
void r; void m; void auditMatchers;
`;
    writeFileSync(join(consumer, 'types.mts'), src);
    writeFileSync(join(consumer, 'types.cts'), src);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          types: ['node'],
          skipLibCheck: false,
        },
        files: ['types.mts', 'types.cts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', consumer], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes publint (exports, types and formats are consistent)', async () => {
    const { messages } = await publint({ pkgDir, level: 'suggestion', strict: true });
    expect(messages).toEqual([]);
  });
});
