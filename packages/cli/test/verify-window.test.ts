/**
 * `verify --since/--until`: segments wholly outside the window are not read; the chain links across
 * them through their committed index sidecars. Tampering inside the window is found; an index that
 * would move a segment out of the window is trusted only through notices a head commitment covers.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type AuditEntry, createAuditLogger, createFixedClock, HashChain } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

const HOUR = 3_600_000;

/** Four days of entries, one an hour-ish, in segments of a few hours each; head file at close. */
async function archive(compress: boolean, signer?: string): Promise<string> {
  const dir = tempDir('ar-win-');
  const transport = createFileTransport({ dir, rotate: { maxBytes: 5000 }, compress });
  const log = createAuditLogger({
    service: { name: 'billing' },
    transports: [transport],
    handleSignals: false,
    heartbeatMs: 0,
    clock: createFixedClock('2026-03-01T00:00:00.000Z', HOUR * 1000 * 0.9),
    ...(signer ? { checkpoints: { signer, everyEntries: 9 } } : {}),
  });
  for (let i = 0; i < 110; i++) {
    log.record({ kind: 'event', action: 'invoice.read', outcome: 'success', actor: { type: 'user', id: `u${i % 4}` } });
    await log.flush();
  }
  await log.close();
  await transport.idle();
  return dir;
}

const WINDOW = ['--since', '2026-03-02T12:00:00Z', '--until', '2026-03-03T00:00:00Z'];
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.log(\.gz)?$/.test(f) && f !== 'audit.log')
    .sort();
const plain = (dir: string, f: string) =>
  (f.endsWith('.gz') ? gunzipSync(readFileSync(join(dir, f))) : readFileSync(join(dir, f))).toString('utf8');
const put = (dir: string, f: string, text: string) => writeFileSync(join(dir, f), f.endsWith('.gz') ? gzipSync(text) : text);
const entriesOf = (dir: string, f: string) =>
  plain(dir, f)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
/** The segments with an entry inside the window, and those wholly outside it. */
function split(dir: string) {
  const inside = (e: AuditEntry) => e.ts >= '2026-03-02T12:00:00' && e.ts < '2026-03-03T00:00:00';
  const segs = segments(dir);
  return { inWindow: segs.filter((s) => entriesOf(dir, s).some(inside)), outside: segs.filter((s) => !entriesOf(dir, s).some(inside)) };
}
/** Edits the `action` of an event entry of `seg` (content no longer matches its hash). */
function tamper(dir: string, seg: string) {
  const text = plain(dir, seg);
  const at = text.indexOf('"action":"invoice.read"');
  put(dir, seg, `${text.slice(0, at)}"action":"invoice.rEad"${text.slice(at + 23)}`);
}

describe('verify --since/--until', () => {
  for (const compress of [false, true]) {
    it(`reads only the window's segments and links the chain across the rest (${compress ? 'gzip' : 'plain'}): COMPLETE`, async () => {
      const dir = await archive(compress);
      const { inWindow, outside } = split(dir);
      expect(inWindow.length).toBeGreaterThan(0);
      expect(outside.length).toBeGreaterThan(3);
      const r = cli(['verify', dir, ...WINDOW, '--json']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.verdict).toBe('complete');
      expect(report.window.notRead.map((f: string) => f.split('/').pop())).toEqual(outside);
      expect(report.files.map((f: { file: string }) => f.file.split('/').pop())).toEqual([...inWindow, 'audit.log']);
      const [chain] = report.chains;
      // Both sides of the window bridged: the segments before it and those after it.
      expect(chain.bridged.length).toBe(2);
      expect(chain.bridged[0].from).toBe(0);
      const full = JSON.parse(cli(['verify', dir, '--json']).stdout);
      expect(report.chains[0].count).toBeLessThan(full.chains[0].count);
      expect(report.chains[0].lastSeq).toBe(full.chains[0].lastSeq);
      const text = cli(['verify', dir, ...WINDOW]).stdout;
      expect(text).toMatch(/not read \(outside the window\): seq 0\.\.\d+, linked through the index of \d+ segments/);
      expect(text).toMatch(
        /Window 2026-03-02T12:00:00.000Z \.\. 2026-03-03T00:00:00.000Z: \d+ files read; \d+ segments wholly outside it not read/,
      );
      expect(text).toMatch(/^COMPLETE/m);
    });
  }

  it('an edit inside the window is found; one outside it is for a full verify (which finds it)', async () => {
    const dir = await archive(true);
    const { inWindow, outside } = split(dir);
    tamper(dir, outside[0] as string);
    expect(cli(['verify', dir, ...WINDOW]).code).toBe(0);
    expect(cli(['verify', dir]).code).toBe(1);
    tamper(dir, inWindow[0] as string);
    const r = cli(['verify', dir, ...WINDOW]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/modified/);
  });

  it('entries read must link to the hashes the index holds for the segments not read', async () => {
    const dir = await archive(false);
    const { inWindow } = split(dir);
    // The window's first segment re-sealed from another history: consistent in itself, but it
    // does not link to the segments before it (bridged), nor the next segment to it.
    const seg = inWindow[0] as string;
    const entries = entriesOf(dir, seg);
    const first = entries[0] as AuditEntry;
    const chain = new HashChain({ id: first.chain, resume: { chain: first.chain, seq: first.seq - 1, hash: 'f'.repeat(64) } });
    const lines = entries.map(
      ({ v, chain: _c, seq, prev, hash, kid, ...body }) => chain.seal(body as Parameters<HashChain['seal']>[0]).line,
    );
    put(dir, seg, `${lines.join('\n')}\n`);
    const r = cli(['verify', dir, ...WINDOW]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/says seq \d+ \(not read\) had hash|links to seq|does not link/);
    // A cut at the far side of a bridge: the active file's first entry removed.
    const dir2 = await archive(false);
    const active = readFileSync(join(dir2, 'audit.log'), 'utf8').split('\n');
    writeFileSync(join(dir2, 'audit.log'), active.slice(1).join('\n'));
    const r2 = cli(['verify', dir2, ...WINDOW]);
    expect(r2.code).toBe(1);
  });

  it('a forged sidecar that moves a window segment out of the window is not trusted: the segment is read and its edit found', async () => {
    const dir = await archive(false);
    const { inWindow } = split(dir);
    const victim = inWindow[0] as string;
    tamper(dir, victim);
    const file = join(dir, `${victim}.idx.json`);
    const ix = JSON.parse(readFileSync(file, 'utf8'));
    ix.time = ['2026-03-01T00:00:00.000000Z', '2026-03-01T01:00:00.000000Z'];
    const forged = `${JSON.stringify(ix)}\n`;
    writeFileSync(file, forged);
    const r = cli(['verify', dir, ...WINDOW]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match the log's commitment to it \(forged or stale\)/);

    // The forger appends a notice committing the forged sidecar, sealed onto the unkeyed chain past
    // the head the head file commits to: a notice no commitment covers is not trusted.
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').split('\n').filter(Boolean);
    const head = JSON.parse(lines[lines.length - 1] as string) as AuditEntry;
    const chain = new HashChain({ id: head.chain, resume: { chain: head.chain, seq: head.seq, hash: head.hash } });
    const sealed = chain.seal({
      kind: 'notice',
      ts: head.ts,
      reason: `index of segment ${victim}`,
      details: { index: { segment: victim, sha256: createHash('sha256').update(forged).digest('hex') } },
    } as Parameters<HashChain['seal']>[0]);
    copyFileSync(join(dir, 'audit.head.json'), join(dir, 'head.bak'));
    appendFileSync(join(dir, 'audit.log'), `${sealed.line}\n`);
    const again = cli(['verify', dir, ...WINDOW]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/modified/);
  });

  it('signed checkpoints after the segments not read are checked (the tree resumes from a checkpoint record)', async () => {
    const keys = tempDir('ar-win-keys-');
    const pub = cli(['keygen', '--name', 'billing.example/audit', '--out', join(keys, 'log.key')]).stdout.trim();
    const dir = await archive(true, readFileSync(join(keys, 'log.key'), 'utf8').trim());
    const r = cli(['verify', dir, ...WINDOW, '--trust', pub, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.window.notRead.length).toBeGreaterThan(3);
    const k = report.chains[0].checkpoints;
    expect(k.verified).toBeGreaterThan(0);
    expect(k.newest.keyName).toBe('billing.example/audit');
    expect(k.newest.size).toBeGreaterThan(report.chains[0].bridged[1].to);
  });

  it('without a head file or --anchor no index is trusted: every segment is read', async () => {
    const dir = await archive(false);
    const r = cli(['verify', dir, ...WINDOW, '--no-heads', '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no head file or --anchor commits to the log, so no index can be trusted: every segment is read/);
    expect(JSON.parse(r.stdout).window.notRead).toEqual([]);
  });

  it('--since/--until on a kafka:// input is a usage error', () => {
    const r = cli(['verify', 'kafka://localhost:9092/audit', '--since', '1d']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since\/--until apply to files and directories/);
  });
});
