#!/usr/bin/env node
// Rooms that stay livable (issue: "no source file over ~400 lines and no function over ~60 lines"):
// lists source files and functions of the core, the request layer and the framework adapters past
// those sizes. A file or function that is clearer whole is named in ALLOWED with the reason.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const PACKAGES = ['core', 'node-http', 'express', 'nestjs'];
const MAX_FILE = 420;
const MAX_FUNCTION = 60;
/** path (or path#function) -> why it is clearer whole. */
const ALLOWED = new Map([]);

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p)) return p.name.getText(sf);
  if (p && ts.isPropertyAssignment(p)) return p.name.getText(sf);
  return '(anonymous)';
}

const problems = [];
for (const pkg of PACKAGES) {
  for (const file of walk(join(root, 'packages', pkg, 'src'))) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').length;
    if (lines > MAX_FILE && !ALLOWED.has(rel)) problems.push(`${rel}: ${lines} lines (> ${MAX_FILE})`);
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.end).line;
        const n = end - start + 1;
        const name = nameOf(node, sf);
        if (n > MAX_FUNCTION && !ALLOWED.has(`${rel}#${name}`))
          problems.push(`${rel}:${start + 1}: function ${name} has ${n} lines (> ${MAX_FUNCTION})`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
}

if (problems.length > 0) {
  console.error(`room sizes: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('room sizes: ok');
