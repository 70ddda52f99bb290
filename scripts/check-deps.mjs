#!/usr/bin/env node
// Dependency rules of docs/architecture.md ("Dependencies point one way"), checked in CI:
//  1. a package imports another @auditready package only through its public entries
//     (`@auditready/<package>` and core's subpaths /verify, /testing, /spool, /worker), never its src/;
//  2. no relative import leaves its own package;
//  3. core's runtime dependencies are only the ones the design names (ajv, @noble/hashes, and
//     @noble/curves once signing lands), and core's sources import
//     Node built-ins only from src/platform.ts and the Node-only entries src/spool.ts,
//     src/worker.ts, src/worker-bridge.ts and src/worker-thread.ts (which the rest of core never imports), so the
//     verifier runs anywhere;
//  4. every bare import in a package's src/ is declared in its package.json.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const CORE_DEPS = new Set(['ajv', '@noble/hashes', '@noble/curves']);
const problems = [];

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

for (const pkg of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', pkg);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  if (pkg === 'core') {
    for (const d of Object.keys(manifest.dependencies ?? {}))
      if (!CORE_DEPS.has(d)) problems.push(`core: runtime dependency ${d} is not one the design allows`);
  }
  for (const file of walk(join(pkgDir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const typeOnly = Boolean(m[1]);
      const spec = m[2] ?? m[3] ?? m[4];
      const where = relative(root, file);
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(`${pkgDir}/`)) problems.push(`${where}: relative import ${spec} leaves the package`);
        continue;
      }
      if (spec.startsWith('@auditready/')) {
        if (!/^@auditready\/[a-z-]+(\/(verify|testing|testing\/vitest|testing\/jest|spool|worker))?$/.test(spec))
          problems.push(`${where}: ${spec} is not a public entry`);
        continue;
      }
      const isBuiltin = spec.startsWith('node:') || builtinModules.includes(spec);
      if (isBuiltin) {
        if (pkg === 'core' && !typeOnly && !/(platform|spool|worker|worker-thread|worker-bridge)\.ts$/.test(file))
          problems.push(`${where}: core imports ${spec} outside src/platform.ts`);
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!declared.has(name)) problems.push(`${where}: imports ${name}, which ${pkg}/package.json does not declare`);
    }
  }
}

if (problems.length > 0) {
  console.error(`dependency rules: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('dependency rules: ok');
