/** retention.ts: which segments a run removes, and how its record describes them. */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { advanceThrough, describeRemoved, doomedSegments } from '../src/retention.js';
import { tempDir } from './helpers.js';

const head = (chain: string, seq: number, ts: string) => ({ chain, seq, hash: `${chain}-${seq}`.padEnd(64, '0'), ts });

describe('retention', () => {
  it('a segment of one chain is one range; one a restart falls inside is each chain part, marked partial', () => {
    expect(describeRemoved('a.log', head('c1', 10, 't1'), head('c1', 19, 't2'))).toEqual([
      { file: 'a.log', chain: 'c1', firstSeq: 10, lastSeq: 19, lastHash: head('c1', 19, '').hash, firstTs: 't1', lastTs: 't2' },
    ]);
    // The old chain's last entry in the segment is not known from its ends: its first one stands for it.
    expect(describeRemoved('b.log', head('c1', 20, 't3'), head('c2', 4, 't4'))).toEqual([
      {
        file: 'b.log',
        chain: 'c1',
        firstSeq: 20,
        lastSeq: 20,
        lastHash: head('c1', 20, '').hash,
        firstTs: 't3',
        lastTs: 't3',
        partial: true,
      },
      { file: 'b.log', chain: 'c2', firstSeq: 0, lastSeq: 4, lastHash: head('c2', 4, '').hash, firstTs: 't3', lastTs: 't4', partial: true },
    ]);
  });

  it('the watermark per chain only moves forward, and lists every chain seen so far', () => {
    const through = new Map<string, { seq: number; hash: string }>();
    advanceThrough(through, describeRemoved('a.log', head('c1', 0, 't'), head('c1', 9, 't')));
    const listed = advanceThrough(through, [
      ...describeRemoved('x.log', head('c1', 3, 't'), head('c1', 5, 't')), // older than the watermark: ignored
      ...describeRemoved('b.log', head('c2', 0, 't'), head('c2', 2, 't')),
    ]);
    expect(listed).toEqual([
      { chain: 'c1', seq: 9, hash: head('c1', 9, '').hash },
      { chain: 'c2', seq: 2, hash: head('c2', 2, '').hash },
    ]);
  });

  it('removes the oldest past maxFiles and those older than maxAgeMs, never a busy or already planned one', async () => {
    const dir = tempDir();
    const segs = ['s1.log', 's2.log.gz', 's3.log', 's4.log', 's5.log'];
    const now = Date.now() / 1000;
    segs.forEach((f, i) => {
      writeFileSync(join(dir, f), 'x');
      utimesSync(join(dir, f), now - (10 - i) * 3600, now - (10 - i) * 3600); // s1 oldest: 10 h
    });
    const none = new Set<string>();
    expect([...(await doomedSegments(dir, segs, { maxFiles: 3 }, () => false, none))]).toEqual(['s1.log', 's2.log.gz']);
    expect([...(await doomedSegments(dir, segs, { maxFiles: 3 }, (f) => f === 's1.log', none))]).toEqual(['s2.log.gz']);
    // Older than 7.5 hours: s1 (10 h), s2 (9 h), s3 (8 h); s2 already planned by an earlier run.
    const aged = await doomedSegments(dir, segs, { maxAgeMs: 7.5 * 3600_000 }, () => false, new Set(['s2.log.gz']));
    expect([...aged].sort()).toEqual(['s1.log', 's3.log']);
    // A segment deleted while retention looks is not an error.
    expect([...(await doomedSegments(dir, [...segs, 'gone.log'], { maxAgeMs: 7.5 * 3600_000 }, () => false, none))].sort()).toEqual([
      's1.log',
      's2.log.gz',
      's3.log',
    ]);
    expect(await doomedSegments(dir, segs, {}, () => false, none)).toEqual(new Set());
  });
});
