/**
 * Real crashes: a writer under load is SIGKILLed at random moments, 25 times. After each crash
 * the next process resumes the chain; the log verifies (at most a torn last line, which the next
 * start sets aside and records); and every entry whose write() had resolved is on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntryOpener } from '@auditready/core';
import { describe, expect, it } from 'vitest';
import { runToEnd } from '../../../test-support/child.js';
import { ageGenerateIdentity, ageIdentities, ageRecipientOf, openKeyDir } from '../src/index.js';
import { entriesOf, open, readDir, tempDir, verifyDir } from './helpers.js';

const writer = join(import.meta.dirname, 'fixtures', 'crash-writer.mjs');

function run(
  dir: string,
  mode: 'crash' | 'close',
  killAfterMs: number,
  config: 'plain' | 'full' | 'encrypted' = 'plain',
  env: Record<string, string> = {},
  clockFrom: 'first-write' | 'spawn' = 'first-write',
): Promise<{ acked: Map<string, number>; signal: NodeJS.Signals | null; firstAckMs: number | undefined }> {
  return new Promise((resolve, reject) => {
    const spawned = performance.now();
    let firstAckMs: number | undefined;
    const child = spawn(process.execPath, [writer, dir, mode, config], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    if (clockFrom === 'spawn' && mode === 'crash') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const acked = new Map<string, number>();
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // The clock starts at the first durable write (the log is open and locked: a kill from then on is
        // a crash the next start must record). From 'ready', a slow start (a loaded CI machine) let a
        // kill land before the file was opened: nothing to recover, one `recovered` record fewer.
        const start = line.startsWith('ack ') && acked.size === 0;
        if (start) firstAckMs = performance.now() - spawned;
        if (start && mode === 'crash' && clockFrom === 'first-write') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const m = /^ack (\S+) (\d+)$/.exec(line);
        if (m) acked.set(m[1] as string, Math.max(acked.get(m[1] as string) ?? -1, Number(m[2])));
        nl = buf.indexOf('\n');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ acked, signal, firstAckMs }));
  });
}

describe('crash recovery with real processes', () => {
  it('25 SIGKILLs at random moments: the chain resumes, verifies, and keeps every acknowledged entry', async () => {
    const dir = tempDir();
    const acked = new Map<string, number>();
    let torn = 0;
    for (let round = 0; round < 25; round++) {
      const r = await run(dir, 'crash', 20 + Math.floor(Math.random() * 250));
      expect(r.signal).toBe('SIGKILL');
      for (const [c, s] of r.acked) acked.set(c, Math.max(acked.get(c) ?? -1, s));
      // Right after the crash: valid, or only a torn last line of the active file.
      const report = verifyDir(dir);
      const other = report.breaks.filter((b) => !(b.kind === 'truncated' && b.file === 'audit.log'));
      expect(other).toEqual([]);
      if (!report.valid) torn++;
      // Every acknowledged entry is on disk.
      const present = new Map<string, Set<number>>();
      // A torn last line (the kill hit mid-write) is not an entry yet: the next start sets it aside.
      const whole = readDir(dir).flatMap(({ line }) => {
        try {
          return [JSON.parse(line)];
        } catch {
          return [];
        }
      });
      for (const e of whole.filter((x) => typeof x.seq === 'number')) {
        if (!present.has(e.chain)) present.set(e.chain, new Set());
        present.get(e.chain)?.add(e.seq);
      }
      for (const [c, s] of acked)
        for (let q = 0; q <= s; q++) expect(present.get(c)?.has(q), `chain ${c} seq ${q} acknowledged but missing`).toBe(true);
    }
    const final = await run(dir, 'close', 0);
    expect(final.signal).toBeNull();
    const report = verifyDir(dir);
    expect(report.breaks).toEqual([]);
    expect(report.chains).toHaveLength(1); // one chain across 26 process lifetimes
    const recovered = entriesOf(dir).filter((e) => e.kind === 'recovered');
    expect(recovered).toHaveLength(25);
    expect(recovered.filter((e) => e.details.tornTail).length).toBe(torn);
    expect(readDir(dir).length).toBeGreaterThan(1000);
  }, 120_000);

  it('15 SIGKILLs while the process starts (loading, opening and locking the log, recovering): every next start succeeds and the log verifies', async () => {
    // Kills from the spawn on land anywhere in a start: before the log exists, while its lock or
    // head is taken, while the previous crash is being recorded, or during the first writes.
    const dir = tempDir();
    const acked = new Map<string, number>();
    // How long a start takes here (to its first durable write): the kills spread over 1.2 times that.
    const calibration = await run(dir, 'crash', 0);
    const startMs = calibration.firstAckMs ?? 1000;
    for (const [c, s] of calibration.acked) acked.set(c, s);
    let beforeFirstWrite = 0;
    for (let round = 0; round < 15; round++) {
      const r = await run(dir, 'crash', Math.floor(Math.random() * startMs * 1.2), 'plain', {}, 'spawn');
      if (r.acked.size === 0) beforeFirstWrite++;
      expect(r.signal).toBe('SIGKILL');
      for (const [c, s] of r.acked) acked.set(c, Math.max(acked.get(c) ?? -1, s));
      if (existsSync(join(dir, 'audit.log'))) {
        const other = verifyDir(dir).breaks.filter((b) => !(b.kind === 'truncated' && b.file === 'audit.log'));
        expect(other, `after the kill of round ${round}`).toEqual([]);
      }
    }
    const final = await run(dir, 'close', 0);
    expect(final.signal).toBeNull();
    const report = verifyDir(dir);
    expect(report.breaks).toEqual([]);
    expect(report.chains).toHaveLength(1);
    const seqs = new Set(entriesOf(dir).map((e) => e.seq));
    for (const [, s] of acked) for (let q = 0; q <= s; q++) expect(seqs.has(q), `seq ${q} acknowledged but missing`).toBe(true);
    expect(beforeFirstWrite, 'kills that landed before the first durable write').toBeGreaterThan(0);
  }, 120_000);

  it('with encryption at rest, 25 SIGKILLs: every acknowledged entry is on disk and opens (its data key was stored first), and the log verifies with and without the key', async () => {
    const dir = tempDir();
    const id = await ageGenerateIdentity();
    const env = { AR_AGE_RECIPIENT: await ageRecipientOf(id) };
    const acked = new Map<string, number>();
    const openAll = async () => new EntryOpener((await openKeyDir(join(dir, 'keys'), [ageIdentities([id])])).keys);
    for (let round = 0; round < 25; round++) {
      const r = await run(dir, 'crash', 20 + Math.floor(Math.random() * 250), 'encrypted', env);
      expect(r.signal).toBe('SIGKILL');
      for (const [c, s] of r.acked) acked.set(c, Math.max(acked.get(c) ?? -1, s));
      const opener = await openAll();
      for (const options of [{}, { open: opener }]) {
        const report = verifyDir(dir, options);
        expect(report.breaks.filter((b) => !(b.kind === 'truncated' && b.file === 'audit.log'))).toEqual([]);
      }
      // Every acknowledged entry is on disk, and its content opens with the identity.
      const present = new Map<number, unknown>();
      const seqs = new Set<number>();
      for (const { line } of readDir(dir)) {
        try {
          const e = JSON.parse(line);
          seqs.add(e.seq);
          if (e.kind === 'event') present.set(e.seq, (opener.open(e) as { details?: { i?: number } }).details?.i);
        } catch {
          // a torn last line: the next start sets it aside
        }
      }
      const [chain, last] = [...acked][0] as [string, number];
      expect(chain).toBeTruthy();
      for (let q = 0; q <= last; q++) expect(seqs.has(q), `seq ${q} acknowledged but missing`).toBe(true);
      for (const [seq, i] of present) if (seq <= last) expect(typeof i, `seq ${seq} does not open`).toBe('number');
    }
    const final = await run(dir, 'close', 0, 'encrypted', env);
    expect(final.signal).toBeNull();
    const report = verifyDir(dir, { open: await openAll() });
    expect(report.breaks).toEqual([]);
    expect(report.chains).toHaveLength(1);
    expect(report.sealed?.keysMissing).toEqual([]);
    expect(report.sealed?.opened).toBe(report.sealed?.entries);
    expect(report.sealed?.entries).toBeGreaterThan(500);
    expect(entriesOf(dir).filter((e) => e.kind === 'recovered')).toHaveLength(25);
  }, 180_000);

  it('a process killed as it writes the head leaves the previous commitment whole (the head file is never opened with truncation)', async () => {
    const dir = tempDir();
    const { log } = open(dir);
    for (let i = 0; i < 5; i++) log.record({ action: `before-${i}` });
    await log.close();
    const before = readFileSync(join(dir, 'audit.head.json'), 'utf8');
    const r = await runToEnd(join(import.meta.dirname, 'fixtures', 'head-kill.mjs'), [dir], join(import.meta.dirname, '..'));
    expect(r.code).toBe(null); // killed
    expect(r.out).not.toMatch(/not killed/);
    expect(readFileSync(join(dir, 'audit.head.json'), 'utf8')).toBe(before);
    expect(JSON.parse(before).seq).toBe(5);
  });

  it('the head commitment covers every acknowledged entry at the moment of a SIGKILL: cutting acknowledged entries is caught', async () => {
    const dir = tempDir();
    const r = await run(dir, 'crash', 150);
    expect(r.signal).toBe('SIGKILL');
    const head = JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8')) as { chain: string; seq: number; hash: string };
    const acked = r.acked.get(head.chain) ?? -1;
    expect(acked).toBeGreaterThan(50); // a burst, several batches within one second
    expect(head.seq).toBeGreaterThanOrEqual(acked);
    // Someone cuts the log back to an earlier acknowledged entry (in whichever file holds the
    // newest entries: a kill right after a rotation leaves the active file empty).
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.log'))) {
      const kept = readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => {
          try {
            return (JSON.parse(l) as { seq: number }).seq <= acked - 20;
          } catch {
            return false;
          }
        });
      writeFileSync(join(dir, f), kept.length > 0 ? `${kept.join('\n')}\n` : '');
    }
    const report = verifyDir(dir, { anchors: [{ ...head, source: 'audit.head.json' }] });
    expect(report.complete).toBe(false);
    expect(report.breaks.map((b) => b.kind)).toContain('truncated');
  }, 60_000);

  it("SIGTERM with the library's own handling: every entry written, the head covers the last one, the lock is released", () => {
    const dir = tempDir();
    const r = spawnSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'sigterm-writer.mjs'), dir], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.signal).toBe('SIGTERM');
    expect(existsSync(join(dir, 'audit.lock'))).toBe(false);
    const head = JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8')) as { seq: number };
    expect(head.seq).toBe(500);
    const report = verifyDir(dir);
    expect(report.valid).toBe(true);
    expect(report.entries).toBe(501);
  });

  it('30 SIGKILLs with rotation, gzip and retention on: every acknowledged entry kept is present exactly once, and the log verifies', async () => {
    const dir = tempDir();
    const acked = new Map<string, number>();
    for (let round = 0; round < 30; round++) {
      const r = await run(dir, 'crash', 20 + Math.floor(Math.random() * 250), 'full');
      expect(r.signal).toBe('SIGKILL');
      for (const [c, s] of r.acked) acked.set(c, Math.max(acked.get(c) ?? -1, s));
    }
    const final = await run(dir, 'close', 0, 'full');
    expect(final.signal).toBeNull();
    // No half-finished compression is left behind: no .gz.tmp, no segment both plain and gzipped.
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.gz.tmp'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.log') && files.includes(`${f}.gz`))).toEqual([]);
    const report = verifyDir(dir);
    expect(report.breaks).toEqual([]);
    expect(report.chains).toHaveLength(1);
    const chain = report.chains[0];
    const retainedThrough = Math.max(-1, ...(chain?.retained ?? []).map((x) => x.to));
    const seqs = entriesOf(dir).map((e) => e.seq as number);
    expect(new Set(seqs).size).toBe(seqs.length); // each entry once
    const present = new Set(seqs);
    for (const [, s] of acked)
      for (let q = retainedThrough + 1; q <= s; q++) expect(present.has(q), `seq ${q} acknowledged but missing`).toBe(true);
  }, 180_000);
});
