/**
 * record() seals with fast paths (sorted copies + JSON.stringify, node:crypto one-shot hashing).
 * Their output must be byte-identical to the reference: fast-json-stable-stringify for the
 * canonical line and @noble/hashes for the hash. Random entries, including index-like keys,
 * unicode, escapes and nested arrays, prove it.
 */
import fc from 'fast-check';
import stableStringify from 'fast-json-stable-stringify';
import { describe, expect, it, vi } from 'vitest';
import { hashCanonicalNoble, resolveKey } from '../src/hash.js';
import { canonicalUnhashed, HashChain } from '../src/hash-chain.js';
import { createAuditLogger } from '../src/logger.js';
import { createMemoryTransport } from '../src/transport.js';
import type { AuditEntry } from '../src/types.js';

const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('0', '1', '10', '2', '01', '4294967295', '-1', 'a', 'A', 'é', '😀', '__proto__'),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 10 }).filter((s) => s.isWellFormed()),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(key, tie('v'), { maxKeys: 4 }),
  ),
})).v;

const HMAC = { id: 'k1', secret: `hex:${'42'.repeat(32)}` };

describe('record() fast paths are byte-identical to the references', () => {
  for (const keyed of [false, true]) {
    it(`${keyed ? 'HMAC-SHA256' : 'SHA-256'} chain`, () => {
      const transport = createMemoryTransport();
      const lines = new Map<AuditEntry, string>();
      const logger = createAuditLogger({
        onSealed: (r) => lines.set(r.entry, r.line),
        service: { version: '1', name: 'svc', env: 'test' },
        transports: [transport],
        handleSignals: false,
        redact: { defaults: false },
        ...(keyed ? { chain: { hmacKey: HMAC } } : {}),
        onError: (e) => {
          throw e;
        },
      });
      const resolved = keyed ? resolveKey(HMAC, 'k') : undefined;
      const fast = vi.spyOn(HashChain.prototype, 'sealSorted');
      const general = vi.spyOn(HashChain.prototype, 'seal');
      fc.assert(
        fc.property(
          fc.dictionary(key, value, { maxKeys: 6 }),
          fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.isWellFormed()),
          (details, action) => {
            const e = logger.record({
              action,
              actor: { type: 'user', id: action },
              details,
              http: { method: 'GET', path: `/x/${action}` },
            });
            const line = lines.get(e) as string;
            expect(e.kind).toBe('event');
            expect(line).toBe(stableStringify(JSON.parse(line)));
            expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(e)));
            expect(hashCanonicalNoble(canonicalUnhashed(JSON.parse(line) as AuditEntry), resolved)).toBe(e.hash);
          },
        ),
        { numRuns: 500 },
      );
      // Both paths were exercised (index-like keys such as "1" force the general one).
      expect(fast.mock.calls.length).toBeGreaterThan(100);
      expect(general.mock.calls.length).toBeGreaterThan(5);
      fast.mockRestore();
      general.mockRestore();
    });
  }
});
