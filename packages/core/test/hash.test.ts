import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditConfigError } from '../src/errors.js';
import { ENTRY_DOMAIN_TAG, hashCanonical, hashCanonicalNoble, resolveKey } from '../src/hash.js';
import { useNodeCrypto } from '../src/platform.js';

afterEach(() => useNodeCrypto(true));

describe('hashing', () => {
  it('noble SHA-256 and HMAC-SHA256 agree with node:crypto on any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 2000 }), fc.uint8Array({ minLength: 16, maxLength: 80 }), (text, keyBytes) => {
        const key = { id: 'k', bytes: keyBytes };
        const msg = Buffer.concat([Buffer.from(ENTRY_DOMAIN_TAG, 'latin1'), Buffer.from(text, 'utf8')]);
        expect(hashCanonicalNoble(text)).toBe(createHash('sha256').update(msg).digest('hex'));
        expect(hashCanonicalNoble(text, key)).toBe(createHmac('sha256', keyBytes).update(msg).digest('hex'));
        expect(hashCanonical(text)).toBe(hashCanonicalNoble(text));
        expect(hashCanonical(text, key)).toBe(hashCanonicalNoble(text, key));
      }),
      { numRuns: 500 },
    );
  });

  it('falls back to noble when node:crypto is unavailable, with identical output', () => {
    const a = hashCanonical('{"a":1}');
    useNodeCrypto(false);
    expect(hashCanonical('{"a":1}')).toBe(a);
  });

  it('the domain tag changes the hash', () => {
    expect(hashCanonical('{}')).not.toBe(createHash('sha256').update('{}').digest('hex'));
  });

  it.each([
    [null, /must be \{ id, secret \}/],
    [{ id: '', secret: 'hex:00' }, /id must be/],
    [{ id: 'k', secret: 'plain text' }, /must be a Uint8Array or a string/],
    [{ id: 'k', secret: 'hex:zz' }, /not valid hex/],
    [{ id: 'k', secret: 'hex:0011' }, /at least 16 bytes/],
    [{ id: 'k', secret: 'base64:!!!' }, /not valid base64/],
  ])('resolveKey rejects %j', (key, msg) => {
    expect(() => resolveKey(key, 'chain.hmacKey')).toThrow(AuditConfigError);
    expect(() => resolveKey(key, 'chain.hmacKey')).toThrow(msg);
  });

  it('resolveKey accepts bytes, hex and base64 and copies the bytes', () => {
    const bytes = new Uint8Array(16).fill(7);
    const k = resolveKey({ id: 'a', secret: bytes }, 'k');
    bytes[0] = 0;
    expect(k.bytes[0]).toBe(7);
    expect(resolveKey({ id: 'a', secret: `base64:${Buffer.alloc(16, 7).toString('base64')}` }, 'k').bytes).toEqual(k.bytes);
    expect(resolveKey({ id: 'a', secret: `hex:${'07'.repeat(16)}` }, 'k').bytes).toEqual(k.bytes);
  });
});
