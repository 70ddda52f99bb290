/**
 * The reference canonicalizer the tests hold the library to: the library's own strict checks,
 * then fast-json-stable-stringify verbatim (docs/spec/canonical-form.md defines canonical bytes as
 * its output on the values allowed). A test-only dependency: the library emits in one pass.
 */
import stableStringify from 'fast-json-stable-stringify';
import { assertCanonicalizable } from '../src/canonical.js';

export function canonicalizeReference(value: unknown): string {
  assertCanonicalizable(value);
  return stableStringify(value);
}
