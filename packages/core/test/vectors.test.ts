import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../src/canonical.js';
import { type AuditKey, hashCanonicalNoble, resolveKey } from '../src/hash.js';
import { canonicalUnhashed, computeEntryHash, serializeEntry } from '../src/hash-chain.js';
import { compileRedaction, type RedactionOptions, redactBody } from '../src/redact.js';
import { checkEntry } from '../src/schema.js';
import type { AuditEntry } from '../src/types.js';

const dir = join(import.meta.dirname, 'vectors');
const entries = JSON.parse(readFileSync(join(dir, 'entries.json'), 'utf8')) as {
  vectors: { name: string; key?: AuditKey; entry: Omit<AuditEntry, 'hash'>; canonical: string; hash: string; line: string }[];
};
const redaction = JSON.parse(readFileSync(join(dir, 'redaction.json'), 'utf8')) as {
  vectors: { name: string; options: RedactionOptions; input: Record<string, unknown>; output: unknown; notes: unknown }[];
};
const TAG = Buffer.from('auditready/entry/v1\u0000', 'latin1');

describe('entry hash vectors (test/vectors/entries.json)', () => {
  for (const v of entries.vectors) {
    it(`${v.name}: canonical bytes, hash and line`, () => {
      expect(canonicalUnhashed(v.entry)).toBe(v.canonical);
      const key = v.key ? resolveKey(v.key, 'key') : undefined;
      expect(computeEntryHash(v.entry, key)).toBe(v.hash);
      // Independently of our hashing code: node:crypto over tag || canonical bytes.
      const msg = Buffer.concat([TAG, Buffer.from(v.canonical, 'utf8')]);
      const independent = key
        ? createHmac('sha256', Buffer.from(key.bytes)).update(msg).digest('hex')
        : createHash('sha256').update(msg).digest('hex');
      expect(independent).toBe(v.hash);
      expect(hashCanonicalNoble(v.canonical, key)).toBe(v.hash);
      const sealed = { ...v.entry, hash: v.hash } as AuditEntry;
      expect(serializeEntry(sealed)).toBe(v.line);
      expect(canonicalize(JSON.parse(v.line))).toBe(v.line);
      expect(checkEntry(JSON.parse(v.line)).valid).toBe(true);
    });
  }
});

describe('redaction vectors (test/vectors/redaction.json)', () => {
  for (const v of redaction.vectors) {
    it(v.name, () => {
      const input = structuredClone(v.input);
      const r = redactBody(input, compileRedaction(v.options));
      expect(r.value).toEqual(v.output);
      expect(r.notes).toEqual(v.notes);
      expect(input).toEqual(v.input); // never mutated
    });
  }
});
