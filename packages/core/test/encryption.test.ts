/**
 * Encryption at rest in core (docs/spec/encryption.md): configuration errors named, data keys
 * rotated and stored before use, the opened entry exactly what a logger without encryption seals
 * (same content, both serialization paths), and the hash covering the ciphertext.
 */
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../src/canonical.js';
import { createFixedClock } from '../src/clock.js';
import { type DataKeyFile, dataKeyId, EntryOpener, type KeyUnwrapper, type KeyWrapper, unwrapDataKey } from '../src/encryption.js';
import { AuditConfigError } from '../src/errors.js';
import { computeEntryHash } from '../src/hash-chain.js';
import { createAuditLogger } from '../src/logger.js';
import { createMemoryTransport } from '../src/transport.js';
import type { AuditEntry, AuditRecordInput } from '../src/types.js';

// A test wrapper: XOR with a fixed pad (reversible, so the unwrapper can give the key back).
const PAD = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 255);
const wrapper: KeyWrapper = { type: 'xor', id: 'pad-1', wrapKey: async (k) => k.map((b, i) => b ^ (PAD[i] as number)) };
const unwrapper: KeyUnwrapper = { type: 'xor', unwrapKey: async (w) => w.map((b, i) => b ^ (PAD[i] as number)) };

function logger(extra: Record<string, unknown> = {}) {
  const files: DataKeyFile[] = [];
  const transport = createMemoryTransport();
  const log = createAuditLogger({
    service: { name: 'enc-test' },
    transports: [transport],
    handleSignals: false,
    processInfo: false,
    heartbeatMs: 0,
    clock: createFixedClock('2026-12-06T10:00:00Z', 1),
    ...extra,
  });
  return { log, transport, files };
}

const inputs: AuditRecordInput[] = [
  {
    kind: 'access',
    action: 'GET /a',
    actor: { type: 'user', id: 'u1', ip: '192.0.2.1' },
    http: { method: 'GET', status: 200, path: '/a' },
  },
  {
    action: 'export',
    actor: { type: 'service', id: 'batch' },
    resource: { type: 'report', id: 'r1' },
    details: { rows: 3, tags: ['x', 'y'] },
  },
  // Keys that are not in canonical order, and array-index-like keys: the general serialization path.
  { action: 'weird', details: { z: 1, a: { '10': 'ten', '9': 'nine' }, é: 'accent' }, reason: 'because', outcome: 'failure' },
];

describe('encryption at rest (core)', () => {
  it('names what is wrong with the configuration', () => {
    const store = { put: async () => {} };
    const cases: [unknown, RegExp][] = [
      [{ recipients: [], keyStore: store }, /encryption\.recipients/],
      [{ recipients: [{ type: 'x' }], keyStore: store }, /encryption\.recipients\[0\]/],
      [{ recipients: [wrapper] }, /encryption\.keyStore/],
      [{ recipients: [wrapper], keyStore: store, rotateEntries: 0 }, /encryption\.rotateEntries/],
    ];
    for (const [encryption, path] of cases) {
      let err: unknown;
      try {
        logger({ encryption });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AuditConfigError);
      expect(`${(err as AuditConfigError).path} ${(err as Error).message}`).toMatch(path);
    }
  });

  it('the opened entry is exactly what a logger without encryption seals; the hash covers the ciphertext', async () => {
    const files: DataKeyFile[] = [];
    const enc = logger({ encryption: { recipients: [wrapper], keyStore: { put: async (f: DataKeyFile) => void files.push(f) } } });
    const plain = logger();
    for (const i of inputs) {
      enc.log.record(i);
      plain.log.record(i);
    }
    await enc.log.close();
    await plain.log.close();
    const keys = new Map<string, Uint8Array>();
    for (const f of files) keys.set(f.kid, (await unwrapDataKey(f, [unwrapper])) as Uint8Array);
    const opener = new EntryOpener(keys);
    const strip = (e: AuditEntry) => {
      const { hash: _h, prev: _p, chain: _c, ...rest } = e;
      return rest;
    };
    const sealed = enc.transport.entries().filter((e) => e.enc);
    expect(sealed).toHaveLength(3);
    for (const e of enc.transport.entries()) expect(computeEntryHash(e)).toBe(e.hash);
    const expected = plain.transport.entries().filter((e) => e.kind === 'access' || e.kind === 'event');
    expect(sealed.map((e) => strip(opener.open(e) as AuditEntry))).toEqual(expected.map(strip));
    // The lines are canonical: what the verifier and every transport see.
    for (const r of enc.transport.records) expect(r.line).toBe(canonicalize(JSON.parse(r.line)));
  });

  it('rotates the data key every rotateEntries entries; each key is stored (wrapped) before entries under it reach a transport', async () => {
    const files: DataKeyFile[] = [];
    const { log, transport } = logger({
      encryption: {
        recipients: [wrapper],
        rotateEntries: 5,
        keyStore: {
          put: async (f: DataKeyFile) => {
            expect(transport.entries().some((e) => e.enc?.kid === f.kid)).toBe(false);
            files.push(f);
          },
        },
      },
    });
    for (let i = 0; i < 12; i++) log.record({ action: 'a', details: { i } });
    await log.close();
    const kids = transport.entries().flatMap((e) => (e.enc ? [e.enc.kid] : []));
    expect(new Set(kids).size).toBe(3);
    expect(kids.slice(0, 5).every((k) => k === kids[0])).toBe(true);
    expect(files.map((f) => f.kid)).toEqual([...new Set(kids)]);
    for (const f of files) {
      expect(f).toMatchObject({ v: 1, alg: 'A256GCM', chain: log.chainId, wrapped: [{ type: 'xor', id: 'pad-1' }] });
      expect(dataKeyId((await unwrapDataKey(f, [unwrapper])) as Uint8Array)).toBe(f.kid);
      expect(JSON.stringify(f)).not.toContain(Buffer.from((await unwrapDataKey(f, [unwrapper])) as Uint8Array).toString('base64'));
    }
  });
});
