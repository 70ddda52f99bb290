/**
 * Encryption at rest (issue #19, docs/encryption.md): entries' content sealed under per-segment
 * data keys wrapped for age recipients, key files written before the entries that need them; the
 * chain verifies without the key, and tampering, swapped records and replayed segments are caught
 * with and without it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AuditEntry, computeEntryHash, type DataKeyFile, dataKeyId, EntryOpener } from '@auditready/core';
import { describe, expect, it } from 'vitest';
import {
  ageEncrypt,
  ageGenerateIdentity,
  ageIdentities,
  ageRecipientOf,
  ageRecipients,
  fileKeyStore,
  fileSubjectKeyStore,
  openKeyDir,
  readSubjectKeys,
  rewrapKeys,
} from '../src/index.js';
import { open, readDir, tempDir, verifyDir } from './helpers.js';

async function identity(): Promise<{ id: string; recipient: string }> {
  const id = await ageGenerateIdentity();
  return { id, recipient: await ageRecipientOf(id) };
}

const SECRET_ACTOR = 'usr_alice_9f2c';
const SECRET_IP = '203.0.113.77';

/** Writes `n` entries through an encrypting logger; small segments, so several data keys. */
async function writeLog(dir: string, recipients: string[], n: number, from = 0, extra: Record<string, unknown> = {}) {
  const keys = join(dir, 'keys');
  const { log, errors } = open(
    dir,
    { rotate: { maxBytes: 8 * 1024 } },
    {
      encryption: { recipients: [ageRecipients(recipients)], keyStore: fileKeyStore(keys) },
      ...extra,
    },
  );
  for (let i = from; i < from + n; i++) {
    if (i % 10 === 0) await log.flush(); // batches of 10: segments of 8 KiB rotate between them
    log.record({
      kind: 'access',
      action: 'orders.read',
      actor: { type: 'user', id: SECRET_ACTOR, ip: SECRET_IP },
      resource: { type: 'order', id: `ord-${i}` },
      http: { method: 'GET', path: `/orders/ord-${i}`, status: 200 },
      details: { i },
    });
  }
  expect((await log.close()).ok).toBe(true);
  expect(errors).toEqual([]);
  return keys;
}

function allBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.includes('.log'))
    .map((f) => {
      const raw = readFileSync(join(dir, f));
      return (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1');
    })
    .join('\n');
}

async function opener(keysDir: string, ids: string[]) {
  return new EntryOpener((await openKeyDir(keysDir, [ageIdentities(ids)])).keys);
}

describe('encryption at rest (file transport, age recipients)', () => {
  it('seals app content before hashing: no personal data in the files, the chain verifies without the key, every entry opens with it', async () => {
    const dir = tempDir();
    const a = await identity();
    const keysDir = await writeLog(dir, [a.recipient], 120);
    const text = allBytes(dir);
    expect(text).not.toContain(SECRET_ACTOR);
    expect(text).not.toContain(SECRET_IP);
    expect(text).not.toContain('orders.read');
    const lines = readDir(dir);
    const app = lines.map((l) => JSON.parse(l.line) as AuditEntry).filter((e) => e.kind === 'access');
    expect(app).toHaveLength(120);
    for (const e of app) expect(Object.keys(e).sort()).toEqual(['chain', 'enc', 'hash', 'kind', 'prev', 'seq', 'ts', 'v']);
    // One data key per segment (entries sealed as a rotation happens may share the previous one).
    const segments = readdirSync(dir).filter((f) => /^audit-.*\.log$/.test(f)).length;
    const kids = new Set(app.map((e) => e.enc?.kid));
    expect(segments).toBeGreaterThan(2);
    expect(kids.size).toBeGreaterThanOrEqual(segments);
    expect(new Set(readdirSync(keysDir).map((f) => f.replace('.json', '')))).toEqual(kids);
    // Without the key: consistent and complete (the head file), content counted, not checked.
    const head = JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8'));
    const blind = verifyDir(dir, { anchors: [head] });
    expect(blind.breaks).toEqual([]);
    expect(blind.complete).toBe(true);
    expect(blind.sealed).toEqual({ entries: 120, opened: 0, keysMissing: [] });
    // With the key: every entry opens and is a valid entry, with what was recorded.
    const o = await opener(keysDir, [a.id]);
    const seen = verifyDir(dir, { anchors: [head], open: o });
    expect(seen.breaks).toEqual([]);
    expect(seen.sealed).toEqual({ entries: 120, opened: 120, keysMissing: [] });
    const opened = app.map((e) => o.open(e) as AuditEntry);
    expect(opened.map((e) => e.details?.i)).toEqual([...Array(120).keys()]);
    expect(opened[7]).toMatchObject({
      action: 'orders.read',
      actor: { id: SECRET_ACTOR, ip: SECRET_IP },
      http: { status: 200 },
      outcome: 'success',
    });
    expect(opened[7]?.hash).toBe(app[7]?.hash);
    // Someone else's identity opens nothing.
    const other = await identity();
    expect((await openKeyDir(keysDir, [ageIdentities([other.id])])).keys.size).toBe(0);
  }, 60_000);

  it('a changed ciphertext breaks the chain without the key; re-hashed, it still does not open with the key', async () => {
    const dir = tempDir();
    const a = await identity();
    const keysDir = await writeLog(dir, [a.recipient], 30);
    const file = readdirSync(dir).filter((f) => /^audit-.*\.log$/.test(f))[0] as string;
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
    const at = lines.findIndex((l) => l.includes('"enc"'));
    const e = JSON.parse(lines[at] as string) as AuditEntry;
    const ct = Buffer.from(e.enc?.ct as string, 'base64');
    ct[3] = (ct[3] as number) ^ 1;
    const tampered = { ...e, enc: { ...(e.enc as NonNullable<AuditEntry['enc']>), ct: ct.toString('base64') } };
    writeFileSync(join(dir, file), `${[...lines.slice(0, at), JSON.stringify(tampered), ...lines.slice(at + 1)].join('\n')}\n`);
    const blind = verifyDir(dir);
    expect(blind.breaks.map((b) => [b.kind, b.seq])).toEqual([['modified', e.seq]]);
    // The attacker re-hashes it (an unkeyed chain) and the next entry's link: the chain alone is fooled ...
    const rehashed = { ...tampered, hash: computeEntryHash(tampered) } as AuditEntry;
    const next = JSON.parse(lines[at + 1] as string) as AuditEntry;
    const relinked = { ...next, prev: rehashed.hash };
    const forged = [...lines.slice(0, at), canonical(rehashed), canonical({ ...relinked, hash: computeEntryHash(relinked) })];
    writeFileSync(join(dir, file), `${forged.join('\n')}\n`);
    // ... not the key: the ciphertext does not open.
    const seen = verifyDir(dir, { open: await opener(keysDir, [a.id]), allowPartialStart: true });
    expect(seen.breaks.map((b) => [b.kind, b.seq])).toContainEqual(['modified', e.seq]);
    expect(seen.breaks.find((b) => b.seq === e.seq)?.message).toMatch(/does not open under data key/);
  }, 60_000);

  it('a ciphertext moved to another entry (re-hashed) does not open: the additional data binds chain, seq, kind, ts and key', async () => {
    const dir = tempDir();
    const a = await identity();
    const keysDir = await writeLog(dir, [a.recipient], 10, 0, { chain: { id: 'moved' } });
    const entries = readDir(dir).map((l) => JSON.parse(l.line) as AuditEntry);
    const [x, y] = entries.filter((e) => e.enc).slice(2, 4) as [AuditEntry, AuditEntry];
    const o = await opener(keysDir, [a.id]);
    expect(() => o.open({ ...y, enc: x.enc })).toThrow(/does not open under data key/);
    expect(() => o.open({ ...x, seq: x.seq + 1 })).toThrow(/does not open/);
    expect(() => o.open({ ...x, ts: y.ts })).toThrow(/does not open/);
    expect(o.open(x)?.details).toEqual({ i: 2 });
  }, 60_000);

  it('records swapped between segments, and an old segment replayed in place of a newer one, are caught with and without the key', async () => {
    const dir = tempDir();
    const a = await identity();
    const keysDir = await writeLog(dir, [a.recipient], 60);
    const o = await opener(keysDir, [a.id]);
    const segs = readdirSync(dir)
      .filter((f) => /^audit-.*\.log$/.test(f))
      .sort();
    expect(segs.length).toBeGreaterThan(2);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    const [s1, s2] = [read(segs[0] as string), read(segs[1] as string)];
    // Swap: the 3rd line of the first segment and of the second trade places.
    const l1 = s1.split('\n');
    const l2 = s2.split('\n');
    [l1[2], l2[2]] = [l2[2] as string, l1[2] as string];
    writeFileSync(join(dir, segs[0] as string), l1.join('\n'));
    writeFileSync(join(dir, segs[1] as string), l2.join('\n'));
    for (const options of [{}, { open: o }]) {
      const r = verifyDir(dir, options);
      expect(r.valid).toBe(false);
      expect(r.breaks.map((b) => b.kind)).toEqual(expect.arrayContaining(['reordered']));
    }
    writeFileSync(join(dir, segs[0] as string), s1);
    writeFileSync(join(dir, segs[1] as string), s2);
    expect(verifyDir(dir, { open: o }).breaks).toEqual([]);
    // Replay: the second segment's file now holds the first one's entries again.
    writeFileSync(join(dir, segs[1] as string), s1);
    for (const options of [{}, { open: o }]) {
      const r = verifyDir(dir, options);
      expect(r.valid).toBe(false);
      expect(r.breaks.map((b) => b.kind)).toEqual(expect.arrayContaining(['deleted']));
    }
  }, 60_000);

  it('rotating readers: new segments to new recipients, old ones still open with the old identity; re-wrapping old keys changes no byte of the log', async () => {
    const dir = tempDir();
    const [a, b, c] = [await identity(), await identity(), await identity()];
    const keysDir = await writeLog(dir, [a.recipient], 30);
    await writeLog(dir, [b.recipient], 30, 30); // the next process: readers rotated to b
    const app = readDir(dir)
      .map((l) => JSON.parse(l.line) as AuditEntry)
      .filter((e) => e.enc);
    const count = async (ids: string[]) => {
      const o = await opener(keysDir, ids);
      return app.filter((e) => o.has(e.enc?.kid as string)).map((e) => o.open(e)?.details?.i);
    };
    expect(await count([a.id])).toEqual([...Array(30).keys()]);
    expect(await count([b.id])).toEqual([...Array(30).keys()].map((i) => i + 30));
    expect(await count([a.id, b.id])).toHaveLength(60);
    // Re-wrap everything a can open for c (a reader who joined later); a's access ends.
    const before = allBytes(dir);
    const r = await rewrapKeys(keysDir, [ageIdentities([a.id])], [ageRecipients([c.recipient])]);
    expect(r.rewrapped.length).toBeGreaterThan(0);
    expect(r.unopened.length).toBeGreaterThan(0); // b's keys: a cannot open them, so they stay as they were
    expect(await count([c.id])).toEqual([...Array(30).keys()]);
    expect(await count([a.id])).toEqual([]);
    expect(allBytes(dir)).toBe(before);
    const head = JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8'));
    const v = verifyDir(dir, { anchors: [head], open: await opener(keysDir, [b.id, c.id]) });
    expect(v.breaks).toEqual([]);
    expect(v.complete).toBe(true);
    expect(v.sealed).toEqual({ entries: 60, opened: 60, keysMissing: [] });
  }, 60_000);

  it('a key file that unwraps to another key than it names is refused (AuditDecryptError), not used', async () => {
    const dir = tempDir();
    const a = await identity();
    const keysDir = await writeLog(dir, [a.recipient], 5);
    const store = fileKeyStore(keysDir);
    const [kid] = await store.list();
    const file = (await store.get(kid as string)) as DataKeyFile;
    const other = new Uint8Array(32).fill(7);
    expect(dataKeyId(other)).not.toBe(kid);
    const forged = {
      ...file,
      wrapped: [
        { type: 'age', id: a.recipient, data: Buffer.from((await ageEncrypt(other, [a.recipient])) as Uint8Array).toString('base64') },
      ],
    };
    writeFileSync(join(keysDir, `${kid}.json`), JSON.stringify(forged));
    await expect(openKeyDir(keysDir, [ageIdentities([a.id])])).rejects.toThrow(/is not the data key it names/);
  }, 60_000);

  it('no entry is written before its data key is stored: while the key store hangs, the entries wait; once it works, all are written', async () => {
    const dir = tempDir();
    const a = await identity();
    const inner = fileKeyStore(join(dir, 'keys'));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const store = { put: async (f: DataKeyFile) => gate.then(() => inner.put(f)) };
    const { log } = open(dir, {}, { encryption: { recipients: [ageRecipients([a.recipient])], keyStore: store } });
    for (let i = 0; i < 20; i++) log.record({ action: 'held', details: { i } });
    const waited = await log.flush({ timeoutMs: 300 });
    expect(waited.ok).toBe(false);
    expect(waited.pending).toBeGreaterThanOrEqual(20);
    expect(readDir(dir).filter((l) => l.line.includes('"enc"'))).toEqual([]);
    release();
    expect((await log.close({ timeoutMs: 20_000 })).ok).toBe(true);
    const v = verifyDir(dir, { open: await opener(join(dir, 'keys'), [a.id]) });
    expect(v.breaks).toEqual([]);
    expect(v.sealed).toEqual({ entries: 20, opened: 20, keysMissing: [] });
  }, 60_000);

  it('a key store that fails is retried like a failing transport, reported by name, and loses no entry', async () => {
    const dir = tempDir();
    const a = await identity();
    const inner = fileKeyStore(join(dir, 'keys'));
    let failures = 3;
    const store = {
      async put(f: DataKeyFile) {
        if (failures-- > 0) throw new Error('KMS unavailable');
        await inner.put(f);
      },
    };
    const { log, errors } = open(dir, {}, { encryption: { recipients: [ageRecipients([a.recipient])], keyStore: store } });
    for (let i = 0; i < 20; i++) log.record({ action: 'retried', details: { i } });
    expect((await log.close({ timeoutMs: 20_000 })).ok).toBe(true);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/data key [0-9a-f]{32}: the key store could not keep it: KMS unavailable/);
    const v = verifyDir(dir, { open: await opener(join(dir, 'keys'), [a.id]) });
    expect(v.breaks).toEqual([]);
    expect(v.sealed).toEqual({ entries: 20, opened: 20, keysMissing: [] });
  }, 60_000);
  it('with erasure too: personal fields sealed under the subject key inside the encrypted content; after eraseSubject they read [erased] even with the identity', async () => {
    const dir = tempDir();
    const a = await identity();
    const pseudonymKey = { id: 'p', secret: `hex:${'3c'.repeat(32)}` };
    const subjects = fileSubjectKeyStore(join(dir, 'subjects'));
    const { log, errors } = open(
      dir,
      {},
      {
        encryption: { recipients: [ageRecipients([a.recipient])], keyStore: fileKeyStore(join(dir, 'keys')) },
        erasure: { keyStore: subjects, pseudonymKey },
      },
    );
    for (let i = 0; i < 10; i++) log.record({ action: 'read', actor: { type: 'user', id: i % 2 ? SECRET_ACTOR : 'other', ip: SECRET_IP } });
    await log.flush();
    const dataKeys = (await openKeyDir(join(dir, 'keys'), [ageIdentities([a.id])])).keys;
    const before = new EntryOpener(dataKeys, readSubjectKeys(subjects.dir));
    const app = () =>
      readDir(dir)
        .map((l) => JSON.parse(l.line) as AuditEntry)
        .filter((e) => e.kind === 'event');
    expect(app().map((e) => before.open(e)?.actor?.id)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? SECRET_ACTOR : 'other')));
    // The identity alone opens the content, not the personal fields.
    const content = new EntryOpener(dataKeys).open(app()[1] as AuditEntry) as AuditEntry;
    expect(content.actor).toEqual({ type: 'user' });
    expect(content.pii?.paths).toEqual(['actor.id', 'actor.ip']);
    expect(await log.eraseSubject(SECRET_ACTOR)).toMatchObject({ keys: 1 });
    expect((await log.close()).ok).toBe(true);
    expect(errors).toEqual([]);
    const after = new EntryOpener(dataKeys, readSubjectKeys(subjects.dir));
    const opened = app().map((e) => after.open(e) as AuditEntry);
    expect(opened.filter((e) => e.actor?.id === '[erased]').map((e) => e.actor?.ip)).toEqual(Array(5).fill('[erased]'));
    expect(opened.filter((e) => e.actor?.id === 'other')).toHaveLength(5);
    const v = verifyDir(dir, { open: new EntryOpener(dataKeys, readSubjectKeys(subjects.dir)) });
    expect(v.breaks).toEqual([]);
    expect(v.sealed).toMatchObject({ entries: 10, opened: 10, erased: 5 });
  }, 60_000);
  it('rotation, gzip, the segment index and retention work as before: the log verifies with the retained range declared, and what remains opens', async () => {
    const dir = tempDir();
    const a = await identity();
    const keysDir = join(dir, 'keys');
    const { log, transport, errors } = open(
      dir,
      { rotate: { maxBytes: 8 * 1024 }, compress: true, retention: { maxFiles: 3 } },
      {
        encryption: { recipients: [ageRecipients([a.recipient])], keyStore: fileKeyStore(keysDir) },
      },
    );
    for (let i = 0; i < 150; i++) {
      if (i % 10 === 0) await log.flush();
      log.record({ action: 'orders.read', actor: { type: 'user', id: SECRET_ACTOR }, details: { i } });
    }
    expect((await log.close()).ok).toBe(true);
    expect(await transport.idle(20_000)).toBe(true);
    expect(errors).toEqual([]);
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.log.gz')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.endsWith('.idx.json')).length).toBeGreaterThan(0);
    const entries = readDir(dir).map((l) => JSON.parse(l.line) as AuditEntry);
    expect(entries.some((e) => e.kind === 'retention')).toBe(true);
    const head = JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8'));
    const o = await opener(keysDir, [a.id]);
    const v = verifyDir(dir, { anchors: [head], open: o });
    expect(v.breaks).toEqual([]);
    expect(v.complete).toBe(true);
    expect(v.chains[0]?.retained.length).toBeGreaterThan(0);
    expect(v.sealed?.keysMissing).toEqual([]);
    expect(v.sealed?.opened).toBe(v.sealed?.entries);
    expect(allBytes(dir)).not.toContain(SECRET_ACTOR);
  }, 60_000);
});

function canonical(e: AuditEntry): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sort(e));
}
