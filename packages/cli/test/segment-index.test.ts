/**
 * Index sidecars of closed segments: query results are identical with and without them on random
 * archives (rotation, gzip, random filters); selective queries skip segments; a forged, stale or
 * foreign sidecar is not trusted (the segment is read, a warning names it) and cannot hide a match.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createAuditLogger, createFixedClock } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandInputs } from '../src/inputs.js';
import { indexCriteria, planSegments } from '../src/segment-plan.js';
import { cli, tempDir } from './helpers.js';

async function archive(seed: number, n: number, compress: boolean, blockBytes = 256 * 1024): Promise<string> {
  const dir = tempDir('ar-idx-');
  const transport = createFileTransport({ dir, rotate: { maxBytes: 6000 }, compress, index: { blockBytes } });
  const log = createAuditLogger({
    service: { name: seed % 3 ? 'billing' : 'payroll' },
    transports: [transport],
    handleSignals: false,
    clock: createFixedClock('2026-01-01T00:00:00.000Z', 3_600_000_000),
  });
  const rnd = fc.sample(fc.tuple(fc.nat(9), fc.nat(5), fc.nat(3)), { numRuns: n, seed });
  let actor = 0;
  for (const [i, [jump, act, out]] of rnd.entries()) {
    if (jump === 0) actor = (actor + 1) % 30; // actors come and go: a segment sees a few of them
    log.record({
      kind: out === 3 ? 'access' : 'event',
      action: ['invoice.read', 'invoice.update', 'user.login', 'report.export', 'admin.users', 'invoice.delete'][act] as string,
      outcome: (['success', 'failure', 'denied', 'success'] as const)[out],
      actor: { type: 'user', id: `u${actor}` },
      resource: { type: 'invoice', id: `inv_${i % 40}` },
      ...(out === 3 ? { http: { method: 'GET', path: '/x', status: [200, 403, 500][i % 3] as number } } : {}),
    });
    await log.flush();
  }
  await log.close();
  await transport.idle();
  return dir;
}

const query = (dir: string, args: string[]) => cli(['query', dir, ...args]);

describe('segment index sidecars', () => {
  it('query gives identical results with and without the index on random archives and filters, and skips segments', async () => {
    let skippedSomewhere = 0;
    let narrowedSomewhere = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1e6 }),
        fc.boolean(),
        fc.integer({ min: 200, max: 3000 }),
        fc.constantFrom<string[][]>(
          [['--actor', 'u3']],
          [
            ['--actor', 'u17'],
            ['--outcome', 'denied'],
          ],
          [['--action', 'user.login']],
          [['--resource', 'invoice:inv_7']],
          [['--status', '5xx']],
          [
            ['--kind', 'access'],
            ['--since', '2026-01-03T00:00:00Z'],
          ],
          [['--until', '2026-01-02T12:00:00Z']],
          [['--service', 'payroll']],
          [['--actor', 'u1*']],
        ),
        async (seed, compress, blockBytes, filters) => {
          const dir = await archive(seed, 120, compress, blockBytes);
          const args = filters.flat();
          const withIndex = query(dir, args);
          const without = query(dir, [...args, '--no-index']);
          expect(withIndex.stderr).toBe('');
          expect(withIndex.stdout).toBe(without.stdout);
          const { files } = await expandInputs([dir]);
          const f = Object.fromEntries(filters.map(([k, v]) => [k?.slice(2) === 'status' ? 'status' : (k?.slice(2) as string), v]));
          const since = f.since ? Date.parse(f.since) : undefined;
          const until = f.until ? Date.parse(f.until) : undefined;
          const plan = await planSegments(files, indexCriteria(f, since, until));
          expect(plan.distrusted).toEqual([]);
          skippedSomewhere += plan.skipped.length;
          narrowedSomewhere += plan.read.filter((x) => x.ranges !== undefined).length;
        },
      ),
      { numRuns: 12 },
    );
    expect(skippedSomewhere).toBeGreaterThan(0);
    // Blocks of a segment were skipped too (only some of its blocks read).
    expect(narrowedSomewhere).toBeGreaterThan(0);
  }, 240_000);

  it("a forged, a stale (another segment's) or a deleted sidecar cannot hide a match: the segment is read and the forgery named", async () => {
    const dir = await archive(42, 150, false);
    const sidecars = readdirSync(dir)
      .filter((f) => f.endsWith('.idx.json'))
      .sort();
    expect(sidecars.length).toBeGreaterThan(3);
    const truth = query(dir, ['--actor', 'u2', '--no-index']).stdout;
    expect(truth.length).toBeGreaterThan(0);
    // Forge: the sidecar of a segment that holds u2 claims nothing is in it (an empty actor filter).
    const victim = sidecars.find((s) => readFileSync(join(dir, s.replace('.idx.json', '')), 'utf8').includes('"id":"u2"')) as string;
    const ix = JSON.parse(readFileSync(join(dir, victim), 'utf8'));
    ix.actors = { bits: Buffer.alloc(8).toString('base64'), k: 7 };
    writeFileSync(join(dir, victim), `${JSON.stringify(ix)}\n`);
    const forged = query(dir, ['--actor', 'u2']);
    expect(forged.stdout).toBe(truth);
    expect(forged.stderr).toMatch(
      new RegExp(
        `warning: .*${victim.replace('.idx.json', '').replace(/[.]/g, '\\.')}: its index does not match the log's commitment to it \\(forged or stale\\): read in full`,
      ),
    );
    // Stale or foreign: another segment's (valid, committed) sidecar put in its place.
    const other = sidecars.find((s) => s !== victim) as string;
    copyFileSync(join(dir, other), join(dir, victim));
    expect(query(dir, ['--actor', 'u2']).stdout).toBe(truth);
    // Deleted: speed only.
    for (const s of sidecars) if (existsSync(join(dir, s))) writeFileSync(join(dir, s), '');
    expect(query(dir, ['--actor', 'u2']).stdout).toBe(truth);
  }, 60_000);
});

describe('index blocks', () => {
  const plainOf = (dir: string, seg: string) =>
    seg.endsWith('.gz') ? gunzipSync(readFileSync(join(dir, seg))) : readFileSync(join(dir, seg));

  it('a gzipped segment is one member per block: it decompresses to the plain segment byte for byte, and the blocks describe it', async () => {
    const dir = await archive(7, 150, true, 600);
    const segs = readdirSync(dir).filter((f) => f.endsWith('.log.gz'));
    expect(segs.length).toBeGreaterThan(2);
    for (const seg of segs) {
      const b = JSON.parse(readFileSync(join(dir, `${seg.replace(/\.gz$/, '')}.blk.json`), 'utf8'));
      expect(b.form).toBe('gzip');
      expect(b.fileBytes).toBe(readFileSync(join(dir, seg)).length);
      expect(b.blocks.length).toBeGreaterThan(1);
      const gz = readFileSync(join(dir, seg));
      const members = b.blocks.map((x: { at: number; bytes: number }) => gunzipSync(gz.subarray(x.at, x.at + x.bytes)));
      expect(Buffer.concat(members).equals(plainOf(dir, seg))).toBe(true);
      for (const m of members) expect(m[m.length - 1]).toBe(0x0a);
    }
    expect(cli(['verify', dir]).code).toBe(0);
  });

  it('a forged blocks file, or blocks that no longer describe their file, cannot hide a match: read in full', async () => {
    for (const compress of [false, true]) {
      const dir = await archive(11, 150, compress, 500);
      const truth = query(dir, ['--actor', 'u2', '--no-index']).stdout;
      expect(truth.length).toBeGreaterThan(0);
      const blk = readdirSync(dir)
        .filter((f) => f.endsWith('.blk.json'))
        .find((f) =>
          plainOf(
            dir,
            readdirSync(dir).find((x) => x.startsWith(f.replace('.blk.json', '')) && /\.log(\.gz)?$/.test(x)) as string,
          ).includes('"id":"u2"'),
        ) as string;
      const b = JSON.parse(readFileSync(join(dir, blk), 'utf8'));
      const empty = { bits: Buffer.alloc(8).toString('base64'), k: 7 };
      // Forged: every block claims no actor.
      writeFileSync(join(dir, blk), JSON.stringify({ ...b, blocks: b.blocks.map((x: object) => ({ ...x, actors: empty })) }));
      const forged = query(dir, ['--actor', 'u2']);
      expect(forged.stdout).toBe(truth);
      expect(forged.stderr).toMatch(/its blocks file does not match its index's commitment to it \(forged or stale\): read in full/);
      writeFileSync(join(dir, blk), `${JSON.stringify(b)}\n`);
      expect(query(dir, ['--actor', 'u2']).stdout).toBe(truth);
    }
  });

  it('blocks that no longer end at line ends (the file edited, same size) are not trusted: the file is read in full', async () => {
    const dir = await archive(17, 150, false, 500);
    const truth = query(dir, ['--actor', 'u5', '--no-index']).stdout;
    expect(truth.length).toBeGreaterThan(0);
    // In a segment holding u5: a block's last line loses its closing brace, and the next line gains a
    // leading space (the size stays; the block now ends inside a line).
    const seg = readdirSync(dir).find((f) => f.endsWith('.log') && f !== 'audit.log' && plainOf(dir, f).includes('"id":"u5"')) as string;
    const b = JSON.parse(readFileSync(join(dir, `${seg}.blk.json`), 'utf8'));
    const bytes = readFileSync(join(dir, seg));
    // A block holding u5 whose next block does not (so the block is read on its own).
    const has = (x: { at: number; bytes: number }) => bytes.subarray(x.at, x.at + x.bytes).includes('"id":"u5"');
    const i = b.blocks.findIndex(
      (x: { at: number; bytes: number }, k: number) => k + 1 < b.blocks.length && has(x) && !has(b.blocks[k + 1]),
    );
    expect(i).toBeGreaterThanOrEqual(0);
    const end = b.blocks[i].at + b.blocks[i].bytes - 1; // the newline ending that block
    expect(bytes[end]).toBe(0x0a);
    const edited = Buffer.concat([bytes.subarray(0, end - 1), Buffer.from('\n '), bytes.subarray(end + 1)]);
    expect(edited.length).toBe(bytes.length);
    writeFileSync(join(dir, seg), edited);
    const r = query(dir, ['--actor', 'u5']);
    expect(r.stderr).toMatch(/its blocks do not read back as its index describes: read in full/);
    // Every match the edit did not touch is still found.
    const want = truth.split('\n').filter((l) => l !== '' && edited.includes(Buffer.from(l)));
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(want);
  });

  it('a segment recompressed after indexing is read in full (its blocks describe another file)', async () => {
    const dir = await archive(13, 150, true, 500);
    const truth = query(dir, ['--actor', 'u4', '--no-index']).stdout;
    expect(truth.length).toBeGreaterThan(0);
    const segs = readdirSync(dir).filter((f) => f.endsWith('.log.gz'));
    // Recompressed as one member (another size): the blocks are not used, the segment is read whole.
    for (const seg of segs) writeFileSync(join(dir, seg), gzipSync(plainOf(dir, seg), { level: 1 }));
    const again = query(dir, ['--actor', 'u4']);
    expect(again.stdout).toBe(truth);
    expect(again.stderr).toBe('');
    const { files } = await expandInputs([dir]);
    const plan = await planSegments(files, { actor: 'u4' });
    expect(plan.read.every((f) => f.ranges === undefined)).toBe(true);
  });
});

describe('index notices are bookkeeping', () => {
  it('query hides the notices committing sidecars unless --kind names notice', async () => {
    const dir = await archive(5, 80, false);
    const all = query(dir, [])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(all.some((e) => e.kind === 'notice')).toBe(false);
    const notices = query(dir, ['--kind', 'notice'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.every((e) => typeof e.details.index.sha256 === 'string')).toBe(true);
  });
});
