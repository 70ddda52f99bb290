/**
 * feedStream's line worker (verify/line-feed.ts, FeedOptions.lineWorker): a second thread scans and
 * hashes part of each large block. Whatever the input — honest, edited with or without re-hashing,
 * cut, reordered, CRLF, blank, over-long, torn or keyed lines, any chunking — the report and the
 * lines handed to onLine must be exactly those of the sequential reading. Uses the built package
 * (the worker script is part of the build), as verifyStream and the CLI do.
 */
import { feedStream, Verifier, type VerifyOptions, type VerifyReport } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { hashLineBytes, resolveKey } from '../src/hash.js';
import { HashChain } from '../src/hash-chain.js';
import { balancedShare, type LineFeedStats } from '../src/verify/line-feed.js';

const KEY = { id: 'k1', secret: `hex:${'5a'.repeat(32)}` };

function log(n: number, chain: string, keyed = false): string[] {
  const c = new HashChain({ id: chain, ...(keyed ? { key: resolveKey(KEY, 'key') } : {}) });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const { line } = c.sealSorted({
      action: 'invoice.read',
      actor: { id: `usr_${i % 37}`, ip: '203.0.113.42', type: 'user' },
      http: { durationMs: 1.5, method: 'GET', path: `/invoices/inv_${i}?q="x\\y"`, requestId: `req_${i}`, status: 200 },
      kind: 'access',
      outcome: 'success',
      service: { name: 'billing-api' },
      ts: `2026-12-06T10:${String(Math.floor(i / 6000) % 60).padStart(2, '0')}:00.${String(i % 1_000_000).padStart(6, '0')}Z`,
    } as never);
    lines.push(line);
  }
  return lines;
}

function chunks(text: string, size: number): Buffer[] {
  const b = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

async function read(
  input: Buffer[],
  lineWorker: boolean,
  options: VerifyOptions = {},
  maxLineBytes?: number,
): Promise<{ report: VerifyReport; seen: string[]; workerLines: number; lines: number }> {
  const v = new Verifier({ parallel: true, ...options });
  const seen: string[] = [];
  const stats = { workerLines: 0 };
  const lines = await feedStream(v, input, {
    file: 'audit.log',
    lineWorker,
    stats,
    ...(maxLineBytes !== undefined ? { maxLineBytes } : {}),
    onLine: (buf, start, end, n) => seen.push(`${n}:${Buffer.from(buf.subarray(start, end)).toString('utf8')}`),
  });
  return { report: await v.finishAsync(), seen, workerLines: stats.workerLines, lines };
}

async function same(name: string, text: string, options: VerifyOptions = {}, maxLineBytes?: number): Promise<VerifyReport> {
  let used = 0;
  let want: Awaited<ReturnType<typeof read>> | undefined;
  for (const size of [1 << 20, 200_000, 65_600, 777]) {
    const input = chunks(text, size);
    const seq = await read(input, false, options, maxLineBytes);
    const par = await read(input, true, options, maxLineBytes);
    expect(par.report, `${name}, chunks of ${size}`).toEqual(seq.report);
    expect(par.seen, `${name}, chunks of ${size}: onLine`).toEqual(seq.seen);
    expect(par.lines).toBe(seq.lines);
    want ??= seq;
    expect(seq.report, `${name}: the chunking changes nothing`).toEqual(want.report);
    used += par.workerLines;
  }
  // The worker did take part (a test where it never runs proves nothing).
  expect(used, name).toBeGreaterThan(1000);
  return want?.report as VerifyReport;
}

describe('the line worker gives the sequential reading’s report', () => {
  const honest = log(6000, 'billing');

  it('honest, and every kind of damage', async () => {
    const r = await same('honest', `${honest.join('\n')}\n`);
    expect(r.valid).toBe(true);
    expect(r.entries).toBe(6000);

    const edited = [...honest];
    for (const i of [10, 2500, 2501, 4000, 5999]) edited[i] = (edited[i] as string).replace('invoice.read', 'invoice.void');
    expect((await same('edited, not re-hashed', `${edited.join('\n')}\n`)).valid).toBe(false);

    const rehashed = log(6000, 'billing');
    rehashed.splice(3000, 1, ...log(1, 'billing'));
    expect((await same('a line replaced by one hashed elsewhere', `${rehashed.join('\n')}\n`)).valid).toBe(false);

    const cut = [...honest.slice(0, 1000), ...honest.slice(1500)];
    expect((await same('cut', `${cut.join('\n')}\n`)).valid).toBe(false);

    const swapped = [...honest];
    [swapped[100], swapped[4100]] = [swapped[4100] as string, swapped[100] as string];
    expect((await same('reordered', `${swapped.join('\n')}\n`)).valid).toBe(false);

    const dup = [...honest.slice(0, 3000), honest[2999] as string, ...honest.slice(3000)];
    expect((await same('duplicated', `${dup.join('\n')}\n`)).valid).toBe(false);
  }, 120_000);

  it('small chunks (createReadStream’s 64 KiB, a text stream’s 16 KiB) are gathered into blocks the worker takes', async () => {
    // Each 64 KiB chunk's whole lines fell just short of the smallest block sent to the worker, so
    // `verifyStream(createReadStream(file))` used to verify everything on one thread.
    const text = `${honest.join('\n')}\n`;
    for (const size of [65_536, 16_384]) {
      const seq = await read(chunks(text, size), false);
      const par = await read(chunks(text, size), true);
      expect(par.report, `chunks of ${size}`).toEqual(seq.report);
      expect(par.seen).toEqual(seq.seen);
      expect(par.workerLines, `chunks of ${size}: lines the worker scanned`).toBeGreaterThan(honest.length * 0.5);
    }
  }, 120_000);

  it('the worker’s share follows the two threads’ balance: with this thread slowed, the worker takes more; the report is the same', async () => {
    // onLine runs on this thread for every line: made costly here, this thread is the slower one,
    // so the worker, left waiting for blocks, is given more of each (a fixed split kept 55%).
    const many = log(60_000, 'billing'); // ~20 blocks
    const text = `${many.join('\n')}\n`;
    const input = chunks(text, 1 << 20);
    const run = async (workerShare?: number) => {
      const v = new Verifier({ parallel: true });
      const stats: LineFeedStats = { workerLines: 0 };
      let spin = 0;
      const onLine = () => {
        const until = performance.now() + 0.05;
        while (performance.now() < until) spin++;
      };
      await feedStream(v, input, { lineWorker: true, stats, onLine, ...(workerShare !== undefined ? { workerShare } : {}) });
      expect(spin).toBeGreaterThan(0);
      return { report: await v.finishAsync(), stats };
    };
    const adaptive = await run();
    const fixed = await run(0.55);
    expect(adaptive.report).toEqual(fixed.report);
    expect(adaptive.report).toMatchObject({ valid: true, entries: 60_000 });
    expect(fixed.stats.workerLines / many.length).toBeLessThan(0.57);
    // This thread's cost per line (~50 µs here) dwarfs the worker's: from the first measured block
    // on, the worker takes all it may (95%). Blocks already split when that is known (those read
    // ahead) keep the first split, so about three quarters of the lines in all.
    expect(adaptive.stats.share).toBeCloseTo(0.95);
    // The costs it went by: this thread's linking, with onLine's 0.05 ms, over the worker's scanning.
    expect(adaptive.stats.costs?.link).toBeGreaterThanOrEqual(0.05);
    expect(adaptive.stats.costs?.link).toBeGreaterThan(adaptive.stats.costs?.worker ?? Number.POSITIVE_INFINITY);
    expect(adaptive.stats.workerLines / many.length).toBeGreaterThan(0.7);
    await expect(feedStream(new Verifier(), input, { lineWorker: true, workerShare: 1.5 })).rejects.toThrow(/workerShare/);
  }, 120_000);

  it('the split rule: both threads take as long on a block, from their measured per-line costs, within bounds', () => {
    // The worker's part s costs s·worker; this thread's (1-s)·scan + link.
    expect(balancedShare({ worker: 4, scan: 4, link: 0 })).toBeCloseTo(0.5);
    expect(balancedShare({ worker: 4, scan: 4, link: 1 })).toBeCloseTo(0.625);
    expect(balancedShare({ worker: 6, scan: 4, link: 1 })).toBeCloseTo(0.5); // a slower worker (its core shared) gets less
    const s = balancedShare({ worker: 4.4, scan: 3.8, link: 1.1 });
    expect(s * 4.4).toBeCloseTo((1 - s) * 3.8 + 1.1);
    expect(balancedShare({ worker: 1, scan: 4, link: 3 })).toBe(0.95); // this thread's linking alone outweighs: at most 95%
    expect(balancedShare({ worker: 40, scan: 4, link: 0 })).toBe(0.3); // at least 30%
    expect(balancedShare({ worker: 0, scan: 0, link: 0 })).toBe(0.55); // nothing measured yet: the first split
  });

  it('lines crafted with a correct hash but not valid entries are reported by whichever thread reads them', async () => {
    // A matching hash proves nothing on a plain chain: the byte check must refuse these in the worker too.
    const craft = (line: string, extra: string) => {
      const text = line.replace(/"hash":"[0-9a-f]{64}",/, `"hash":"${'0'.repeat(64)}",`).replace(/}$/, `${extra}}`);
      const bytes = Buffer.from(text);
      const at = text.indexOf('"hash":"');
      const hash = hashLineBytes(bytes, 0, at, at + 8 + 64 + 2, bytes.length);
      return text.replace('0'.repeat(64), hash);
    };
    const crafted = [...honest];
    for (const i of [50, 2500, 4800]) crafted[i] = craft(crafted[i] as string, ',"x":nonsense');
    crafted[3300] = craft(crafted[3300] as string, ',"x":1');
    const r = await same('crafted', `${crafted.join('\n')}\n`);
    expect(r.valid).toBe(false);
    const unparseable = r.breaks.filter((b) => b.kind === 'unparseable').map((b) => b.line);
    expect(unparseable).toEqual([51, 2501, 3301, 4801]);
  }, 120_000);

  it('CRLF, blank lines, garbage, an over-long line, a torn last line', async () => {
    await same('CRLF', `${honest.join('\r\n')}\r\n`);
    const odd = [...honest];
    odd.splice(2000, 0, '', '\r', 'not json at all', `{"kind":"access"`);
    odd.splice(4000, 0, 'x'.repeat(9000));
    const r = await same('odd lines', `${odd.join('\n')}\n${(honest[0] as string).slice(0, 100)}`, {}, 8192);
    expect(r.breaks.map((b) => b.kind)).toEqual(expect.arrayContaining(['unparseable']));
  }, 120_000);

  it('keyed chains (hashed by the verifying thread) and chains interleaved', async () => {
    const keyed = log(3000, 'keyed', true);
    await same('keyed', `${keyed.join('\n')}\n`, { keys: [KEY] });
    const a = log(3000, 'a');
    const b = log(3000, 'b');
    const mixed = a.flatMap((l, i) => [l, b[i] as string]);
    expect((await same('two chains interleaved', `${mixed.join('\n')}\n`)).valid).toBe(true);
  }, 120_000);
});

describe('a reader awaiting the line worker keeps the process alive', () => {
  it('verifyStream in a process with nothing else to do finishes (an unref’d worker let it exit silently, mid-file)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spawnSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'ar-line-worker-'));
    const file = join(dir, 'audit.log');
    writeFileSync(file, `${log(8000, 'billing').join('\n')}\n`);
    const script = `import { createReadStream } from 'node:fs';
import { verifyStream } from '@auditready/core/verify';
const r = await verifyStream(createReadStream(${JSON.stringify(file)}, { highWaterMark: 1 << 20 }));
console.log('entries', r.entries, r.valid);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: new URL('.', import.meta.url).pathname,
    });
    expect(run.stdout.trim()).toBe('entries 8000 true');
    expect(run.status).toBe(0);
  }, 60_000);
});

describe('no public way around the hash check', () => {
  it('the entry that takes a line with its hash already checked is not a public method', () => {
    expect(Object.getOwnPropertyNames(Verifier.prototype)).not.toContain('pushScanned');
    expect(Object.getOwnPropertyNames(Verifier.prototype).filter((n) => /scanned/i.test(n))).toEqual([]);
  });
});
