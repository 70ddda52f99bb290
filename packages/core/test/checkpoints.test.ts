/**
 * The logger's Merkle tree and signed checkpoints (docs/spec/checkpoints.md): when checkpoints are
 * cut, what a `checkpoint` record carries, that every one opens under the verifier key and matches
 * the tree of the lines before it, that destinations get them, that a KMS-like signer answering
 * late is handled, and how a restart continues the tree (or starts a linked chain when it cannot).
 */
import {
  AuditConfigError,
  type AuditEntry,
  type AuditError,
  CompactRange,
  createAuditLogger,
  createMemoryTransport,
  generateNoteKey,
  leafHash,
  type NoteSigner,
  openCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  rootOf,
  treeStateOf,
} from '@auditready/core';
import { verifyText } from '@auditready/core/verify';
import { describe, expect, it, vi } from 'vitest';

const key = generateNoteKey('audit.example/billing');
const trusted = [parseVerifierKey(key.verifierKey)];

function logger(extra: Record<string, unknown> = {}, checkpoints: Record<string, unknown> = {}) {
  const mem = createMemoryTransport();
  const dest = createMemoryTransport({ name: 'checkpoint-dest' });
  const errors: AuditError[] = [];
  const log = createAuditLogger({
    service: { name: 'billing' },
    transports: [mem],
    handleSignals: false,
    onError: (e) => errors.push(e),
    ...extra,
    checkpoints: { signer: key.signerKey, destinations: [dest], ...checkpoints },
  });
  return { log, mem, dest, errors };
}

const cps = (entries: AuditEntry[]) => entries.filter((e) => e.kind === 'checkpoint');
const details = (e: AuditEntry) =>
  e.details as { origin: string; size: number; root: string; note: string; tree: string[]; keyName: string; keyId: string };

/** Every checkpoint record opens under the key and its root is the tree of the lines before its size. */
function expectCheckpointsMatch(lines: string[]) {
  const leaves = lines.map((l) => leafHash(l));
  const entries = lines.map((l) => JSON.parse(l) as AuditEntry);
  const found = cps(entries);
  for (const e of found) {
    const d = details(e);
    const c = openCheckpoint(d.note, d.origin, trusted);
    expect(c.size).toBe(d.size);
    expect(Buffer.from(c.root)).toEqual(Buffer.from(rootOf(leaves, d.size)));
    expect(Buffer.from(c.root).toString('base64')).toBe(d.root);
    // The committed tree state is the compact range at that size.
    const r = new CompactRange();
    for (const l of leaves.slice(0, d.size)) r.append(l);
    expect(d.tree).toEqual(treeStateOf(r).hashes);
  }
  return found;
}

describe('checkpoints cut by the logger', () => {
  it('every N entries and at close; each opens under the verifier key and matches the tree; the origin names key and chain', async () => {
    const { log, mem, dest } = logger({}, { everyEntries: 10 });
    for (let i = 0; i < 35; i++) log.record({ action: 'invoice.read', actor: { id: `u${i}`, type: 'user' } });
    await log.flush();
    const before = cps(mem.entries()).map((e) => details(e).size);
    expect(before).toEqual([10, 21, 32]); // genesis + 9, then 10 more after each checkpoint record
    await log.close();
    const found = expectCheckpointsMatch(mem.lines());
    expect(found.map((e) => details(e).size)).toEqual([10, 21, 32, 39]);
    expect(found.at(-1)?.seq).toBe(39); // the last record of the log: everything before it is covered
    expect(details(found[0] as AuditEntry).origin).toBe(`audit.example/billing/${log.chainId}`);
    expect(details(found[0] as AuditEntry)).toMatchObject({
      keyName: 'audit.example/billing',
      keyId: parseVerifierKey(key.verifierKey).keyId,
    });
    // The destination got exactly the checkpoint records, byte for byte.
    expect(dest.lines()).toEqual(found.map((e) => mem.lines()[e.seq]));
  });

  it('on demand: logger.checkpoint() resolves with the sealed record; nothing new since the last one, the same checkpoint', async () => {
    const { log, mem } = logger({}, { everyEntries: 1000 });
    log.record({ action: 'a.b' });
    const c = await log.checkpoint();
    expect(c?.size).toBe(2);
    expect(c?.record.entry.kind).toBe('checkpoint');
    expect(await log.checkpoint()).toBe(c);
    log.record({ action: 'a.b' });
    expect((await log.checkpoint())?.size).toBe(4);
    expect(log.health().checkpoints).toMatchObject({ issued: 2, size: 5, uncovered: 0, last: { size: 4, seq: 4 } });
    await log.close();
    expectCheckpointsMatch(mem.lines());
  });

  it('every intervalMs when entries are waiting, not when idle', async () => {
    const { log, mem } = logger({}, { everyEntries: 1000, intervalMs: 30 });
    log.record({ action: 'a.b' });
    await vi.waitFor(() => expect(cps(mem.entries()).length).toBe(1), { timeout: 20_000, interval: 10 });
    await new Promise((r) => setTimeout(r, 120));
    expect(cps(mem.entries()).length).toBe(1); // idle: no new checkpoint
    await log.close();
  });

  it('a signer that answers later (a KMS): the checkpoint covers the tree when it was cut, entries sealed meanwhile come before its record, and it verifies', async () => {
    const inner = parseSignerKey(key.signerKey);
    const kms: NoteSigner = {
      name: inner.name,
      keyId: inner.keyId,
      sign: (m) => new Promise((resolve) => setTimeout(() => resolve(inner.sign(m) as Uint8Array), 20)),
    };
    const { log, mem } = logger({}, { signer: kms, everyEntries: 5 });
    for (let i = 0; i < 12; i++) log.record({ action: 'a.b' });
    await log.close();
    const found = expectCheckpointsMatch(mem.lines());
    expect(found.length).toBeGreaterThanOrEqual(2);
    expect(found.some((e) => e.seq > details(e).size)).toBe(true); // signed late: sealed after later entries
    const r = await verifyText(mem.lines().join('\n'), { trust: [key.verifierKey] });
    expect(r.breaks).toEqual([]);
    expect(r.chains[0]?.checkpoints?.verified).toBe(found.length);
    expect(r.complete).toBe(true);
  });

  it('a signer that fails: onError names the checkpoint, the logger keeps recording, the next checkpoint is cut', async () => {
    const inner = parseSignerKey(key.signerKey);
    let fail = true;
    const flaky: NoteSigner = {
      name: inner.name,
      keyId: inner.keyId,
      sign: (m) => {
        if (fail) throw new Error('KMS unavailable');
        return inner.sign(m);
      },
    };
    const { log, mem, errors } = logger({}, { signer: flaky, everyEntries: 3 });
    for (let i = 0; i < 3; i++) log.record({ action: 'a.b' });
    expect(errors.map((e) => e.message).join('\n')).toMatch(/checkpoint 3 of .* could not be signed: KMS unavailable/);
    fail = false;
    for (let i = 0; i < 3; i++) log.record({ action: 'a.b' });
    await log.close();
    expect(cps(mem.entries()).length).toBeGreaterThan(0);
    expectCheckpointsMatch(mem.lines());
  });

  it('configuration errors are named and never echo the key', () => {
    const mk = (checkpoints: unknown) => () =>
      createAuditLogger({
        service: { name: 's' },
        transports: [createMemoryTransport()],
        handleSignals: false,
        checkpoints: checkpoints as never,
      });
    const secret = `${key.signerKey}x`;
    expect(mk({ signer: secret })).toThrow(AuditConfigError);
    try {
      mk({ signer: secret })();
    } catch (e) {
      expect((e as Error).message).not.toContain(key.signerKey.slice(-20));
    }
    expect(mk({ signer: key.verifierKey })).toThrow(/checkpoints.signer/);
    expect(mk({ signer: key.signerKey, origin: 'has space' })).toThrow(/checkpoints.origin/);
    expect(mk({ signer: key.signerKey, everyEntries: 0 })).toThrow(/everyEntries/);
    expect(mk({ signer: key.signerKey, destinations: [{}] })).toThrow(/destinations/);
  });

  it('a restart continues the tree from the state the transport reports; without one, a new chain links the old head', async () => {
    const first = logger({}, { everyEntries: 4 });
    for (let i = 0; i < 6; i++) first.log.record({ action: 'a.b' });
    await first.log.close();
    const lines = first.mem.lines();
    const last = JSON.parse(lines.at(-1) as string) as AuditEntry;
    const r = new CompactRange();
    for (const l of lines) r.append(leafHash(l));
    const resume = { chain: last.chain, seq: last.seq, hash: last.hash, tree: () => treeStateOf(r) };
    const second = logger({ chain: { resume } }, { everyEntries: 4 });
    expect(second.log.chainId).toBe(last.chain);
    for (let i = 0; i < 5; i++) second.log.record({ action: 'a.b' });
    await second.log.close();
    const all = [...lines, ...second.mem.lines()];
    expectCheckpointsMatch(all);
    const v = await verifyText(all.join('\n'), { trust: [key.verifierKey] });
    expect(v.breaks).toEqual([]);
    expect(v.complete).toBe(true);

    const third = logger({ chain: { resume: { chain: last.chain, seq: last.seq, hash: last.hash } } }, {});
    expect(third.log.chainId).not.toBe(last.chain);
    await third.log.close();
    const genesis = third.mem.entries()[0] as AuditEntry;
    expect(genesis.kind).toBe('genesis');
    expect((genesis.details as { previous?: unknown }).previous).toEqual({ chain: last.chain, seq: last.seq, hash: last.hash });
  });

  it('without the option: no tree, no checkpoint records, checkpoint() is a configuration error', async () => {
    const mem = createMemoryTransport();
    const log = createAuditLogger({ service: { name: 's' }, transports: [mem], handleSignals: false });
    log.record({ action: 'a.b' });
    await expect(log.checkpoint()).rejects.toThrow(AuditConfigError);
    expect(log.health().checkpoints).toBeUndefined();
    await log.close();
    expect(cps(mem.entries())).toEqual([]);
  });
});

describe('checkpoint key rotation', () => {
  it('announced in the chain, signed by the old key: a verifier that trusts only the old key follows it; a forged announcement is a break', async () => {
    const next = generateNoteKey('audit.example/billing');
    const { log, mem } = logger({}, { everyEntries: 5 });
    for (let i = 0; i < 7; i++) log.record({ action: 'a.b' });
    const rotated = await log.rotateCheckpointKey(next.signerKey);
    const d = details(rotated?.record.entry as AuditEntry) as ReturnType<typeof details> & { rotation: { to: string; statement: string } };
    expect(d.rotation.to).toBe(next.verifierKey);
    // Signed by both keys: each opens it alone.
    expect(openCheckpoint(d.note, d.origin, trusted).size).toBe(d.size);
    expect(openCheckpoint(d.note, d.origin, [parseVerifierKey(next.verifierKey)]).size).toBe(d.size);
    for (let i = 0; i < 12; i++) log.record({ action: 'a.b' });
    await log.close();
    const last = cps(mem.entries()).at(-1) as AuditEntry;
    expect(() => openCheckpoint(details(last).note, details(last).origin, trusted)).toThrow(/trusted/); // the new key alone now
    const r = await verifyText(mem.lines().join('\n'), { trust: [key.verifierKey] });
    expect(r.breaks).toEqual([]);
    expect(r.complete).toBe(true);
    expect(r.chains[0]?.checkpoints?.rotations).toEqual([
      { seq: rotated?.record.entry.seq, keyName: 'audit.example/billing', keyId: parseVerifierKey(next.verifierKey).keyId },
    ]);
    expect(r.chains[0]?.checkpoints?.newest?.size).toBe(details(last).size);

    // The same log with the rotation statement signed by someone else: the new key is not trusted.
    const mallory = generateNoteKey('audit.example/billing');
    const { signNote } = await import('@auditready/core');
    const forged = await signNote(`auditready.dev/checkpoint-key-rotation@v1\n${d.origin}\n${mallory.verifierKey}\n`, [
      parseSignerKey(mallory.signerKey),
    ]);
    const lines = mem.lines().map((l) => l.replace(JSON.stringify(d.rotation.statement).slice(1, -1), JSON.stringify(forged).slice(1, -1)));
    const f = await verifyText(lines.join('\n'), { trust: [key.verifierKey], requireCanonical: true });
    expect(f.breaks.map((b) => b.kind)).toContain('checkpoint-signature');
    expect(f.breaks.some((b) => /key rotation/.test(b.message))).toBe(true);
  });
});

describe('checkpoint records and the secret scanner', () => {
  it('signatures, roots and tree states are not reported as secrets; anything else in the record still is', async () => {
    const { findSecrets } = await import('@auditready/core/testing');
    const { log, mem } = logger({}, { everyEntries: 3 });
    for (let i = 0; i < 20; i++) log.record({ action: 'a.b' });
    await log.rotateCheckpointKey(generateNoteKey('audit.example/billing').signerKey);
    await log.close();
    expect(cps(mem.entries()).length).toBeGreaterThan(5);
    expect(findSecrets(mem.lines())).toEqual([]);
    const planted = mem
      .lines()
      .map((l) =>
        l.includes('"kind":"checkpoint"')
          ? l.replace('"reason":"checkpoint:', '"reason":"ghp_R8x2Lq9Zt4Vw7Yk1Mn3Bc6Df0Gh5Jp8Ks2Ln checkpoint:')
          : l,
      );
    expect(findSecrets(planted).some((f) => f.path === 'reason')).toBe(true);
  });
});
