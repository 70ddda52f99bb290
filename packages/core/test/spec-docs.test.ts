import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entrySchema } from '../src/schema.js';

const docs = join(import.meta.dirname, '..', '..', '..', 'docs', 'spec');

describe('docs/spec', () => {
  it('entry-v1.schema.json is exactly the schema the library validates with', () => {
    expect(JSON.parse(readFileSync(join(docs, 'entry-v1.schema.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(entrySchema)));
  });

  it.each(['entry-format.md', 'canonical-form.md', 'hash-chain.md', 'checkpoints.md'])(
    '%s names its format version and links the vectors that test it',
    (f) => {
      const text = readFileSync(join(docs, f), 'utf8');
      expect(text).toMatch(/format version 1/i);
      expect(text).toMatch(/packages\/core\/test\/vectors/);
    },
  );
});
