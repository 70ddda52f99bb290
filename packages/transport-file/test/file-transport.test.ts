import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AuditConfigError, AuditLockedError, createAuditLogger, createMemoryTransport } from '@auditready/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBatch, SYNC_WRITE_MAX_BYTES } from '../src/file-transport.js';
import { createFileTransport, listSegments } from '../src/index.js';
import { entriesOf, open, readDir, tempDir, verifyDir } from './helpers.js';

const tick = () => new Promise((r) => setTimeout(r, 2));

describe('file transport: basics', () => {
  it('appends one canonical entry per line to <dir>/audit.log, mode 0600', async () => {
    const dir = tempDir();
    const { log } = open(dir);
    for (let i = 0; i < 5; i++) log.record({ action: 'a', details: { i } });
    expect((await log.close()).ok).toBe(true);
    const text = readFileSync(join(dir, 'audit.log'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').filter(Boolean)).toHaveLength(6);
    expect(statSync(join(dir, 'audit.log')).mode & 0o777).toBe(0o600);
    expect(verifyDir(dir).valid).toBe(true);
    expect(existsSync(join(dir, 'audit.lock'))).toBe(false); // released on close
    expect(JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8'))).toMatchObject({ seq: 5 });
  });

  it('the head file: after every batch, one 512-byte record of the last entry, padded with spaces, a newline last', async () => {
    const dir = tempDir();
    const { log } = open(dir);
    for (let batch = 0; batch < 4; batch++) {
      const before = Date.now();
      for (let i = 0; i < 3 + batch; i++) log.record({ action: 'a', details: { batch, i } });
      expect((await log.flush()).ok).toBe(true);
      const raw = readFileSync(join(dir, 'audit.head.json'));
      expect(raw.length).toBe(512);
      expect(raw[511]).toBe(0x0a);
      const text = raw.toString('utf8');
      const end = text.indexOf('}') + 1;
      expect(text.slice(end, 511)).toBe(' '.repeat(511 - end));
      const last = entriesOf(dir).at(-1) as { chain: string; seq: number; hash: string; ts: string };
      const head = JSON.parse(text);
      expect(Object.keys(head)).toEqual(['chain', 'seq', 'hash', 'ts', 'file', 'updatedAt']);
      expect(head).toMatchObject({ chain: last.chain, seq: last.seq, hash: last.hash, ts: last.ts, file: 'audit.log' });
      expect(head.updatedAt).toBe(new Date(Date.parse(head.updatedAt)).toISOString());
      expect(Date.parse(head.updatedAt)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(head.updatedAt)).toBeLessThanOrEqual(Date.now());
    }
    await log.close();
  });

  it.each([['fsync'], ['none'], [{ groupCommitMs: 20 }]] as const)(
    'durability %j: everything acknowledged is in the file',
    async (durability) => {
      const dir = tempDir();
      const { log } = open(dir, { durability });
      for (let i = 0; i < 50; i++) log.record({ action: 'a', details: { i } });
      expect(await log.flush()).toEqual({ ok: true, pending: 0 });
      expect(readDir(dir)).toHaveLength(51);
      await log.close();
      expect(verifyDir(dir).valid).toBe(true);
    },
  );

  it.each<[object, RegExp]>([
    [{}, /dir is required/],
    [{ dir: '/tmp/x', name: '../evil' }, /name must be/],
    [{ dir: '/tmp/x', durability: 'sometimes' }, /durability/],
    [{ dir: '/tmp/x', durability: { groupCommitMs: -1 } }, /groupCommitMs/],
    [{ dir: '/tmp/x', rotate: { maxBytes: 0 } }, /rotate.maxBytes/],
    [{ dir: '/tmp/x', retention: { maxFiles: 1.5 } }, /maxFiles/],
    [{ dir: '/tmp/x', tornTail: 'ignore' }, /tornTail/],
    [{ dir: '/tmp/x', gatherMs: -1 }, /gatherMs must be an integer >= 0/],
    [{ dir: '/tmp/x', gatherMs: 1.5 }, /gatherMs/],
  ])('rejects bad options %j', (opts, msg) => {
    expect(() => createFileTransport(opts as never)).toThrow(AuditConfigError);
    expect(() => createFileTransport(opts as never)).toThrow(msg);
  });
  it('a batch up to 256 KiB is appended by one synchronous write, a larger one through the thread pool: the same lines either way', async () => {
    // Sealed by a logger, then written by the transport directly, batch by batch.
    const mem = createMemoryTransport();
    const log = createAuditLogger({ service: { name: 'file-test' }, transports: [mem], handleSignals: false });
    for (let i = 0; i < 3; i++) log.record({ action: `small-${i}` });
    for (let i = 0; i < 400; i++) log.record({ action: `large-${i}`, details: { pad: 'x'.repeat(1000) } });
    await log.close();
    const records = mem.records;
    const small = records.slice(0, 4); // the chain's start record and three entries
    const large = records.slice(4);
    expect(Buffer.byteLength(large.map((r) => r.line).join('\n'))).toBeGreaterThan(SYNC_WRITE_MAX_BYTES);
    const dir = tempDir();
    const t = createFileTransport({ dir, durability: 'none' });
    // Thread-pool requests in flight while a write is pending (none: no fsync to wait for).
    const pooled = () => process.getActiveResourcesInfo().filter((r) => r === 'FSReqCallback').length;
    const inFlight = async (batch: typeof records) => {
      const before = pooled();
      const done = t.write(batch);
      for (let i = 0; i < 20; i++) await null; // microtasks only: a pooled request cannot have completed
      const during = pooled() - before;
      await done;
      return during;
    };
    expect(await inFlight(small)).toBe(0);
    expect(await inFlight(large)).toBe(1);
    await t.close?.();
    expect(readDir(dir).map((x) => x.line)).toEqual(records.map((r) => r.line));
    expect(verifyDir(dir).valid).toBe(true);
  });
  it("with fsync, entries arriving soon after a batch wait to share its successor's fdatasync (gatherMs); flush() does not wait", async () => {
    expect(createFileTransport({ dir: tempDir() }).gatherMs).toBe(5);
    expect(createFileTransport({ dir: tempDir(), durability: 'none', gatherMs: 9 }).gatherMs).toBe(0);
    expect(createFileTransport({ dir: tempDir(), durability: { groupCommitMs: 10 } }).gatherMs).toBe(0);
    const dir = tempDir();
    const { log } = open(dir, { gatherMs: 60_000 });
    log.record({ action: 'first' });
    await log.flush();
    const lines = () => readFileSync(join(dir, 'audit.log'), 'utf8').split('\n').filter(Boolean).length;
    const before = lines();
    for (let i = 0; i < 3; i++) {
      log.record({ action: `later-${i}` });
      await new Promise((r) => setTimeout(r, 5)); // each on its own turn, well past one fdatasync
    }
    expect(lines()).toBe(before); // gathering (the previous batch started < 60 s ago)
    await log.flush({ timeoutMs: 5_000 });
    expect(lines()).toBe(before + 3);
    expect(JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8')).seq).toBe(before + 2);
    await log.close();
    expect(verifyDir(dir).valid).toBe(true);
  });
  it('encodes a batch into its reused buffer byte for byte as the joined lines, whatever the characters and sizes', () => {
    // A small buffer, so that batches near its size (in UTF-16 units and in bytes) are common.
    const scratch = Buffer.alloc(600, 0x78);
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60, size: 'max' }),
      fc.string({ unit: 'binary', maxLength: 60, size: 'max' }),
      fc.string({ maxLength: 300, size: 'max' }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12, size: 'max' }), (lines) => {
        const batch = lines.map((l) => ({ line: l }) as never);
        const expected = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
        // Twice: what the previous batch left in the buffer never shows through.
        expect(encodeBatch(batch, scratch).equals(expected)).toBe(true);
        expect(
          encodeBatch(batch.slice(1), scratch).equals(expected.subarray(lines[0] === undefined ? 0 : Buffer.byteLength(lines[0]) + 1)),
        ).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
  it('batches of multibyte lines, one after another, land in the file as sealed', async () => {
    const mem = createMemoryTransport();
    const log = createAuditLogger({ service: { name: 'file-test' }, transports: [mem], handleSignals: false });
    const words = ['ünïcödé', '日本語のテキスト', '🔐 emoji 🧾', 'plain', 'x'.repeat(3000)];
    for (let i = 0; i < 60; i++) log.record({ action: `multi-${i}`, details: { text: words[i % words.length]?.repeat((i % 7) + 1) } });
    await log.close();
    const dir = tempDir();
    const t = createFileTransport({ dir, durability: 'none' });
    // Batches of varying sizes, the longest first: a shorter batch after it reuses the buffer.
    const records = mem.records;
    for (let at = 0, n = 13; at < records.length; at += n, n = Math.max(1, n - 4)) await t.write(records.slice(at, at + n));
    await t.close?.();
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toBe(records.map((r) => `${r.line}\n`).join(''));
    expect(verifyDir(dir).valid).toBe(true);
  });
});

describe('file transport: restart and crash recovery', () => {
  it('a new logger resumes the chain from the file: one chain, no break', async () => {
    const dir = tempDir();
    for (let run = 0; run < 3; run++) {
      const { log } = open(dir);
      for (let i = 0; i < 4; i++) log.record({ action: `run${run}` });
      await log.close();
    }
    const entries = entriesOf(dir);
    expect(new Set(entries.map((e) => e.chain)).size).toBe(1);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(entries.map((e) => e.kind).filter((k) => k !== 'event')).toEqual(['genesis', 'recovered', 'recovered']);
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('a torn last line is set aside, truncated, and the recovered record says so', async () => {
    const dir = tempDir();
    const first = open(dir);
    first.log.record({ action: 'x' });
    await first.log.close();
    appendFileSync(join(dir, 'audit.log'), '{"action":"half-writ');
    const second = open(dir);
    second.log.record({ action: 'y' });
    await second.log.close();
    const aside = readdirSync(dir).find((f) => f.startsWith('audit.log.torn-'));
    expect(aside).toBeDefined();
    expect(readFileSync(join(dir, aside as string), 'utf8')).toBe('{"action":"half-writ');
    const recovered = entriesOf(dir).find((e) => e.kind === 'recovered');
    expect(recovered.details).toMatchObject({ tornTail: { bytes: 20, preservedAs: aside } });
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('tornTail: truncate drops the damage and says so', async () => {
    const dir = tempDir();
    const a = open(dir);
    a.log.record({ action: 'x' });
    await a.log.close();
    appendFileSync(join(dir, 'audit.log'), 'garbage without newline');
    const b = open(dir, { tornTail: 'truncate' });
    await b.log.close();
    expect(readdirSync(dir).some((f) => f.includes('.torn-'))).toBe(false);
    expect(entriesOf(dir).find((e) => e.kind === 'recovered').details.tornTail).toEqual({ bytes: 23, discarded: true });
  });

  it('a second writer on the same log is refused while the first lives; a dead one’s lock is taken over', async () => {
    const dir = tempDir();
    const a = open(dir);
    expect(() => createFileTransport({ dir })).toThrow(AuditLockedError);
    await a.log.close();
    // A lock left by a process that no longer exists.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10)']);
    const pid = child.pid as number;
    await new Promise((r) => child.on('exit', r));
    writeFileSync(join(dir, 'audit.lock'), JSON.stringify({ pid, host: (await import('node:os')).hostname(), since: 'yesterday' }));
    const b = open(dir);
    await b.log.close();
    expect(entriesOf(dir).at(-1 - 0)?.kind).toBeDefined();
    expect(entriesOf(dir).find((e) => e.kind === 'recovered').details.staleLock).toEqual({ pid, since: 'yesterday' });
  });

  it('a lock written by pid 1 (an app in a container, restarted) is taken over: the same pid with another token is a previous incarnation', async () => {
    const dir = tempDir();
    const os = await import('node:os');
    const first = open(dir);
    first.log.record({ action: 'before-restart' });
    await first.log.close();
    // What the previous container's process left: our own pid (pid 1 in both lives), another token.
    writeFileSync(
      join(dir, 'audit.lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), since: 'before the restart', token: 'previous-incarnation' }),
    );
    const { log } = open(dir);
    log.record({ action: 'after-restart' });
    await log.close();
    expect(entriesOf(dir).find((e) => e.kind === 'recovered')?.details.staleLock).toMatchObject({ pid: process.pid });
    // A pid that now belongs to another process (started after the lock was written) is not the holder either.
    writeFileSync(join(dir, 'audit.lock'), JSON.stringify({ pid: process.ppid, host: os.hostname(), since: 'long ago', start: 1 }));
    const again = open(dir);
    await again.log.close();
  });

  it('another thread of the same process is a second writer too: refused while the first thread holds the lock', async () => {
    const dir = tempDir();
    const { log } = open(dir);
    const { Worker } = await import('node:worker_threads');
    const tryFromThread = () =>
      new Promise<{ opened: boolean; code?: string; message?: string }>((resolve, reject) => {
        const w = new Worker(new URL('./fixtures/lock-thread.mjs', import.meta.url), { workerData: { dir } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const r = await tryFromThread();
    expect(r).toMatchObject({ opened: false, code: 'ERR_AUDIT_LOCKED' });
    expect(r.message).toMatch(/held by thread 0 of this process/);
    await log.close();
    expect(await tryFromThread()).toEqual({ opened: true }); // released: the lock is free for another thread
  });

  it('a log directory deleted and recreated while running: the lock is taken again, so a second writer is still refused', async () => {
    const dir = tempDir();
    const { log, transport } = open(dir);
    log.record({ action: 'before' });
    await log.flush();
    rmSync(dir, { recursive: true, force: true });
    log.record({ action: 'after' });
    await log.flush();
    expect(existsSync(join(dir, 'audit.lock'))).toBe(true);
    expect(() => createFileTransport({ dir })).toThrow(AuditLockedError);
    await log.close();
    void transport;
    const kinds = entriesOf(dir).map((e) => e.action ?? (e.details?.event as string) ?? e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['before', 'after', 'lock-retaken']));
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('refuses a log held by another live process', async () => {
    const dir = tempDir();
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createFileTransport } from '@auditready/transport-file'; createFileTransport({ dir: ${JSON.stringify(dir)} }); console.log('held'); setTimeout(() => {}, 20000);`,
      ],
      { cwd: join(import.meta.dirname, '..') },
    );
    await new Promise((r) => holder.stdout.once('data', r));
    try {
      expect(() => createFileTransport({ dir })).toThrow(/held by process \d+/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('file transport: rotation, compression, retention', () => {
  it('rotates by size; the chain continues across segments and verifies end to end', async () => {
    const dir = tempDir();
    const { log } = open(dir, { rotate: { maxBytes: 3000 } });
    for (let i = 0; i < 60; i++) {
      log.record({ action: 'a', details: { i } });
      await tick();
    }
    await log.close();
    const segs = listSegments(dir, 'audit');
    expect(segs.length).toBeGreaterThanOrEqual(5);
    // At most maxBytes, but for the transport's own records (an index notice) that may join a full segment.
    for (const s of segs) expect(statSync(join(dir, s)).size).toBeLessThanOrEqual(3000 + 1024);
    const r = verifyDir(dir);
    expect(r.valid).toBe(true);
    // 60 entries, the genesis, and one notice per closed segment committing its index sidecar.
    const indexed = entriesOf(dir).filter((e) => e.kind === 'notice' && (e.details as { index?: unknown }).index);
    expect(r.chains[0]?.count).toBe(61 + indexed.length);
    expect(indexed.length).toBeGreaterThanOrEqual(segs.length - 1);
    for (const e of indexed) {
      const { segment, sha256 } = (e.details as { index: { segment: string; sha256: string } }).index;
      expect(
        createHash('sha256')
          .update(readFileSync(join(dir, `${segment}.idx.json`)))
          .digest('hex'),
      ).toBe(sha256);
    }
  });

  it('rotates by time', async () => {
    const dir = tempDir();
    const { log } = open(dir, { rotate: { intervalMs: 30 } });
    for (let i = 0; i < 4; i++) {
      log.record({ action: 'a' });
      await log.flush();
      await new Promise((r) => setTimeout(r, 40));
    }
    await log.close();
    expect(listSegments(dir, 'audit').length).toBeGreaterThanOrEqual(3);
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('gzips closed segments; many segments verify end to end', async () => {
    const dir = tempDir();
    const { log, transport } = open(dir, { rotate: { maxBytes: 2000 }, compress: true });
    for (let i = 0; i < 80; i++) {
      log.record({ action: 'a', details: { i } });
      await tick();
    }
    await log.flush();
    await transport.idle();
    await log.close();
    const segs = listSegments(dir, 'audit');
    expect(segs.length).toBeGreaterThanOrEqual(8);
    expect(segs.every((s) => s.endsWith('.log.gz'))).toBe(true);
    const r = verifyDir(dir);
    expect(r.valid).toBe(true);
    const indexed = entriesOf(dir).filter((e) => e.kind === 'notice' && (e.details as { index?: unknown }).index);
    expect(r.chains[0]?.count).toBe(81 + indexed.length);
    // Each gzipped segment keeps its sidecar, named after the plain segment.
    for (const seg of segs.slice(0, -1)) expect(existsSync(join(dir, `${seg.replace(/\.gz$/, '')}.idx.json`))).toBe(true);
  });

  it('retention by count deletes old segments only after recording them; the verifier tells retention from tampering', async () => {
    const dir = tempDir();
    const { log, transport, errors } = open(dir, { rotate: { maxBytes: 1500 }, compress: true, retention: { maxFiles: 3 } });
    for (let i = 0; i < 100; i++) {
      log.record({ action: 'a', details: { i } });
      await tick();
    }
    await log.flush();
    await transport.idle();
    await log.close();
    expect(errors).toEqual([]);
    // maxFiles is applied at each rotation of a segment with app entries: at most maxFiles of
    // them (and the one closed after the last run) remain; other closed segments hold only the
    // transport's own records (retention, index notices), written after that run.
    const closed = listSegments(dir, 'audit');
    const withApp = new Set(
      readDir(dir)
        .filter((x) => JSON.parse(x.line).action === 'a')
        .map((x) => x.file),
    );
    expect(closed.filter((s) => withApp.has(s)).length).toBeLessThanOrEqual(4);
    const entries = entriesOf(dir);
    const retention = entries.filter((e) => e.kind === 'retention');
    expect(retention.length).toBeGreaterThan(0);
    const r = verifyDir(dir);
    expect(r.valid).toBe(true);
    expect(r.chains[0]?.retained.length).toBeGreaterThan(0);
    expect(r.chains[0]?.retained[0]?.from).toBe(0);
    // Deleting one more segment by hand is not retention: it is reported.
    const segs = listSegments(dir, 'audit');
    rmSync(join(dir, segs[1] as string));
    expect(verifyDir(dir).breaks.map((b) => b.kind)).toContain('deleted');
  });

  it('retention never deletes a segment still being compressed or indexed: segments closed one after another while retention runs', async () => {
    const dir = tempDir();
    // Both works run on each closed segment (index: true by default). Indexing alone reads the
    // segment through a descriptor it already holds; no race of it with retention showed in 10 runs.
    const { log, transport, errors } = open(dir, { rotate: { maxBytes: 700 }, compress: true, retention: { maxFiles: 2 } });
    for (let i = 0; i < 120; i++) {
      log.record({ action: 'a', details: { i } });
      if (i % 3 === 0) await new Promise((r) => setImmediate(r)); // a batch (and a segment) every few entries
    }
    await log.flush();
    await transport.idle();
    await log.close();
    expect(errors).toEqual([]); // compression and indexing never found their segment gone (ENOENT), nor did retention
    const names = readdirSync(dir);
    // no deleted segment came back as .gz: every segment left is one retention did not remove
    const removed = new Set(
      entriesOf(dir)
        .filter((e) => e.kind === 'retention')
        .flatMap((e) => e.details.removed.map((r: { file: string }) => r.file)),
    );
    for (const f of names) expect(removed.has(f) || removed.has(f.replace(/\.gz$/, ''))).toBe(false);
    // nor did an index sidecar outlive its segment (written after retention removed it)
    for (const f of names.filter((n) => /\.(idx|blk)\.json$/.test(n))) {
      const seg = f.replace(/\.(idx|blk)\.json$/, '');
      expect(names.includes(seg) || names.includes(`${seg}.gz`), `${f} without its segment`).toBe(true);
    }
    // segments left alone while at work were removed by a later run: at most maxFiles of them (and
    // the one closed after the last run) remain, as without the wait
    const withApp = new Set(
      readDir(dir)
        .filter((x) => JSON.parse(x.line).action === 'a')
        .map((x) => x.file),
    );
    expect(listSegments(dir, 'audit').filter((s) => withApp.has(s)).length).toBeLessThanOrEqual(3);
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('retention by age uses the segment’s last write time', async () => {
    const dir = tempDir();
    const { log, transport } = open(dir, { rotate: { maxBytes: 1500 }, retention: { maxAgeMs: 60_000 } });
    for (let i = 0; i < 20; i++) {
      log.record({ action: 'a', details: { i } });
      await tick();
    }
    await log.flush();
    const before = listSegments(dir, 'audit');
    expect(before.length).toBeGreaterThanOrEqual(2);
    const old = new Date(Date.now() - 3_600_000);
    for (const s of before) utimesSync(join(dir, s), old, old);
    await transport.rotateNow(); // rotation runs the policy
    await transport.idle();
    log.record({ action: 'after' });
    await log.close();
    const after = listSegments(dir, 'audit');
    for (const s of before) expect(after).not.toContain(s);
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('a segment that vanishes between listing and stat does not stop retention (overlapping runs)', async () => {
    // The race behind a flaky run: one retention run deleted a segment that a second run had just
    // listed; the second run's stat failed with ENOENT and it gave up, keeping every other aged
    // segment. A dangling symlink named like a segment reproduces it deterministically.
    const dir = tempDir();
    const { log, transport, errors } = open(dir, { rotate: { maxBytes: 1500 }, retention: { maxAgeMs: 60_000 } });
    for (let i = 0; i < 20; i++) {
      log.record({ action: 'a', details: { i } });
      await tick();
    }
    await log.flush();
    await transport.idle();
    const before = listSegments(dir, 'audit');
    expect(before.length).toBeGreaterThanOrEqual(2);
    const old = new Date(Date.now() - 3_600_000);
    for (const s of before) utimesSync(join(dir, s), old, old);
    const ghost = join(dir, 'audit-20000101T000000000000Z.log');
    symlinkSync(join(dir, 'no-such-segment'), ghost);
    await transport.rotateNow();
    expect(await transport.idle()).toBe(true);
    log.record({ action: 'after' });
    await log.close();
    const after = listSegments(dir, 'audit');
    for (const s of before) expect(after).not.toContain(s);
    expect(errors.map((e) => e.message)).toEqual([]);
    unlinkSync(ghost);
    expect(verifyDir(dir).valid).toBe(true);
  });
});

describe('file transport: the file changes under us', () => {
  it('the active file deleted: its content is restored from the open descriptor, and a notice says so', async () => {
    const dir = tempDir();
    const { log } = open(dir);
    for (let i = 0; i < 3; i++) log.record({ action: 'before' });
    await log.flush();
    unlinkSync(join(dir, 'audit.log'));
    log.record({ action: 'after' });
    await log.close();
    const entries = entriesOf(dir);
    expect(entries.find((e) => e.kind === 'notice')?.details).toMatchObject({ event: 'active-file-deleted' });
    expect(entries.filter((e) => e.action === 'before')).toHaveLength(3);
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('the active file replaced (moved away, another file in its place): reopened and recorded', async () => {
    const dir = tempDir();
    const { log } = open(dir);
    log.record({ action: 'before' });
    await log.flush();
    renameSync(join(dir, 'audit.log'), join(dir, 'audit-00000000T000000000000Z.log')); // kept, under a segment-like name
    writeFileSync(join(dir, 'audit.log'), '');
    log.record({ action: 'after' });
    await log.close();
    expect(entriesOf(dir).find((e) => e.kind === 'notice')?.details).toMatchObject({ event: 'active-file-replaced' });
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('SIGHUP reopens the file (logrotate create mode)', async () => {
    const dir = tempDir();
    const { log } = open(dir, { reopenOnSighup: true });
    log.record({ action: 'one' });
    await log.flush();
    renameSync(join(dir, 'audit.log'), join(dir, 'audit-00000000T000000000000Z.log'));
    process.kill(process.pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 50));
    log.record({ action: 'two' });
    await log.close();
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toContain('"two"');
    expect(entriesOf(dir).some((e) => e.kind === 'notice' && e.details.event === 'reopened')).toBe(true);
    expect(verifyDir(dir).valid).toBe(true);
  });

  it('disk full: the error reaches onError and health(); the overflow policy applies; nothing crashes', async () => {
    const dir = tempDir();
    symlinkSync('/dev/full', join(dir, 'audit.log'));
    const { log, errors } = open(dir, {}, { queue: { maxEntries: 5 } });
    for (let i = 0; i < 10; i++) log.record({ action: 'a' });
    const res = await log.flush({ timeoutMs: 200 });
    expect(res.ok).toBe(false);
    const h = log.health();
    expect(h.status).toBe('degraded');
    expect(h.transports[0]).toMatchObject({ status: 'retrying', dropped: 6 });
    expect(h.transports[0]?.lastError).toMatch(/ENOSPC/);
    expect(errors.map((e) => e.code)).toEqual(expect.arrayContaining(['ERR_AUDIT_TRANSPORT', 'ERR_AUDIT_UNAVAILABLE']));
    await log.close({ timeoutMs: 100 });
  });
});

describe('file transport: permissions', () => {
  it.runIf(process.getuid?.() === 0)(
    'a permission error (EACCES) reaches onError and health(); delivery resumes when fixed (as an unprivileged user)',
    async () => {
      const { chownSync, mkdtempSync } = await import('node:fs');
      const { spawnSync } = await import('node:child_process');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(join(tmpdir(), 'ar-perm-'));
      chownSync(dir, 65534, 65534);
      const r = spawnSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'permission-child.mjs'), dir], {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..'),
        timeout: 30000,
      });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout);
      expect(out.res.ok).toBe(false);
      expect(out.status).toBe('degraded');
      expect(out.transport.lastError).toMatch(/EACCES/);
      expect(out.errors.some((e: string) => e.startsWith('ERR_AUDIT_TRANSPORT') && e.includes('EACCES'))).toBe(true);
      // After the directory became writable again, close() delivered the rest: nothing lost.
      expect(readDir(dir).filter((x) => JSON.parse(x.line).action === 'more')).toHaveLength(5);
      expect(verifyDir(dir).valid).toBe(true);
    },
  );

  it('a compression cut short by a crash is finished or undone at the next start, and the recovered record says which', async () => {
    const dir = tempDir();
    const first = open(dir, { rotate: { maxBytes: 1500 } });
    for (let i = 0; i < 30; i++) {
      first.log.record({ action: 'a', details: { i } });
      await tick();
    }
    await first.log.close();
    const segs = listSegments(dir, 'audit');
    expect(segs.length).toBeGreaterThanOrEqual(3);
    const [done, cut, bad] = segs as [string, string, string];
    // done: the .gz was renamed into place, the .log not yet removed. cut: only the .gz.tmp was written.
    writeFileSync(join(dir, `${done}.gz`), gzipSync(readFileSync(join(dir, done))));
    writeFileSync(join(dir, `${cut}.gz.tmp`), gzipSync(readFileSync(join(dir, cut))).subarray(0, 20));
    writeFileSync(join(dir, `${bad}.gz`), gzipSync(Buffer.from('not the same bytes\n')));
    const second = open(dir, { rotate: { maxBytes: 1500 }, compress: true });
    await second.transport.idle();
    await second.log.close();
    const files = readdirSync(dir);
    expect(files).not.toContain(done);
    expect(files).not.toContain(`${cut}.gz.tmp`);
    expect(files.filter((f) => f.startsWith(`${bad}.gz.corrupt-`))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.log') && f !== 'audit.log')).toEqual([]); // the rest compressed again
    const recovered = entriesOf(dir).find((e) => e.kind === 'recovered');
    expect(recovered?.details.compression).toMatchObject({
      finished: [done],
      discarded: [`${cut}.gz.tmp`],
      setAside: [expect.stringMatching(/corrupt/)],
    });
    const aside = files.find((f) => f.includes('.corrupt-')) as string;
    rmSync(join(dir, aside));
    expect(verifyDir(dir).valid).toBe(true);
  });
});
