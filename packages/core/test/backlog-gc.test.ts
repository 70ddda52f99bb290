import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const child = join(import.meta.dirname, 'fixtures', 'backlog-child.mjs');
const dist = join(import.meta.dirname, '..', 'dist', 'index.js');

function run(path: 'fast' | 'general'): { records: number; entries: number; of: number } {
  if (!existsSync(dist)) throw new Error('packages/core/dist is missing: run `npm run build` (npm test does)');
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', child, path], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

describe('after a backlog (a transport stalled while entries waited)', () => {
  // Tens of thousands of records alive at once make V8 pretenure the code that made them: every
  // later one would be made in the old generation, and what it points to would survive the cheap
  // young-generation collections (record() ~26% more CPU for the rest of the process).
  it.each(['fast', 'general'] as const)('the records and entries made afterwards are young, as before it (%s path)', (path) => {
    const r = run(path);
    expect(r.of).toBe(100);
    expect(r.records).toBe(100);
    expect(r.entries).toBe(100);
  });
});
