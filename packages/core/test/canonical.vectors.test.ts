import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../src/canonical.js';
import { canonicalizeReference } from './reference.js';

const here = join(import.meta.dirname, 'vectors', 'jcs');
const shared = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'vectors', 'jcs');
const names = readdirSync(join(here, 'input')).filter((f) => f.endsWith('.json'));

describe('RFC 8785 (JCS) vectors', () => {
  it('has vectors to run', () => {
    expect(names.length).toBeGreaterThanOrEqual(6);
  });

  for (const name of names) {
    it(`${name}: canonical bytes equal the published output`, () => {
      const input = JSON.parse(readFileSync(join(here, 'input', name), 'utf8'));
      const expected = readFileSync(join(here, 'output', name));
      const got = Buffer.from(canonicalize(input), 'utf8');
      expect(got.toString('hex')).toBe(expected.toString('hex'));
      expect(Buffer.from(canonicalizeReference(input), 'utf8').equals(expected)).toBe(true);
    });
  }

  it.runIf(existsSync(shared))('the committed copy equals shared/vectors/jcs', () => {
    for (const dir of ['input', 'output']) {
      const theirs = readdirSync(join(shared, dir)).sort();
      expect(readdirSync(join(here, dir)).sort()).toEqual(theirs);
      for (const f of theirs) expect(readFileSync(join(here, dir, f)).equals(readFileSync(join(shared, dir, f)))).toBe(true);
    }
  });
});
