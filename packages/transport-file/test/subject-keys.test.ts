/**
 * The file store of subject keys (erasure): keys written durably where a reader finds them, and
 * erase() destroys them — overwritten with zeros before they are unlinked, so the blocks that held
 * a key do not keep it (seen here through a hard link made before the erasure).
 */
import { existsSync, linkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSubjectKeyStore, readSubjectKeys } from '../src/index.js';
import { tempDir } from './helpers.js';

const SID = 'a'.repeat(32);

describe('fileSubjectKeyStore', () => {
  it('keeps keys per subject, and erase() zeroes and removes every one of them', async () => {
    const dir = join(tempDir(), 'subjects');
    const store = fileSubjectKeyStore(dir);
    const k1 = new Uint8Array(32).fill(7);
    const k2 = new Uint8Array(32).fill(9);
    await store.put(SID, '0123456789abcdef', k1);
    await store.put(SID, 'fedcba9876543210', k2);
    await store.put('b'.repeat(32), '0123456789abcdef', k2);
    expect(await store.get(SID, '0123456789abcdef')).toEqual(k1);
    expect(readSubjectKeys(dir).size).toBe(3);
    const outside = join(dir, '..', 'held-elsewhere');
    linkSync(join(dir, SID, '0123456789abcdef.key'), outside);
    expect(await store.erase(SID)).toBe(2);
    expect(existsSync(join(dir, SID))).toBe(false);
    expect(await store.get(SID, '0123456789abcdef')).toBeUndefined();
    expect([...readFileSync(outside)].every((b) => b === 0)).toBe(true); // the same blocks, zeroed
    expect(readSubjectKeys(dir).size).toBe(1); // the other subject is untouched
    expect(await store.erase(SID)).toBe(0);
    await expect(store.put('not-a-pseudonym', '0123456789abcdef', k1)).rejects.toThrow(/not a pseudonym/);
  });
});
