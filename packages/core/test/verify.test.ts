import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditKey, resolveKey } from '../src/hash.js';
import { computeEntryHash, HashChain, serializeEntry } from '../src/hash-chain.js';
import type { AuditEntry } from '../src/types.js';
import { Verifier, type VerifyBreak, verify, verifyStream, verifySync, verifyText } from '../src/verify/index.js';

const KEY: AuditKey = { id: 'k1', secret: `hex:${'5a'.repeat(32)}` };

function makeLog(n: number, opts: { chain?: string; key?: AuditKey } = {}): string[] {
  const c = new HashChain({ id: opts.chain ?? 'c1', ...(opts.key ? { key: resolveKey(opts.key, 'k') } : {}) });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      c.seal({
        kind: i === 0 ? 'genesis' : 'event',
        ts: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000000Z`,
        ...(i === 0 ? {} : { action: `act.${i}`, outcome: 'success', actor: { type: 'user', id: `u${i % 3}` } }),
        details: { i },
      }).line,
    );
  }
  return lines;
}

/** A forged entry at `seq` that links correctly to `prevLine`: what an attacker with the key (or on a plain chain) can make. */
function forge(prevLine: string, key?: AuditKey): string {
  const prev = JSON.parse(prevLine) as AuditEntry;
  const e = {
    ...prev,
    seq: prev.seq + 1,
    prev: prev.hash,
    kind: 'event',
    action: 'forged',
    outcome: 'success',
    actor: { type: 'user', id: 'mallory' },
    details: { forged: true },
  } as AuditEntry;
  e.hash = computeEntryHash(e, key ? resolveKey(key, 'k') : undefined);
  return serializeEntry(e);
}

const only = (breaks: VerifyBreak[]) => breaks.map((b) => ({ kind: b.kind, seq: b.seq }));

describe('verify: intact logs', () => {
  it('reports count, first/last seq and head hash per chain', () => {
    const lines = makeLog(10);
    const r = verifySync(lines);
    expect(r.valid).toBe(true);
    expect(r.chains).toEqual([
      expect.objectContaining({
        chain: 'c1',
        valid: true,
        count: 10,
        firstSeq: 0,
        lastSeq: 9,
        headHash: JSON.parse(lines[9] as string).hash,
        breaks: [],
      }),
    ]);
  });

  it('verifies several interleaved chains at once, and parsed entries as well as lines', async () => {
    const a = makeLog(6, { chain: 'a' });
    const b = makeLog(6, { chain: 'b', key: KEY });
    const mixed = a.flatMap((l, i) => [l, b[i] as string]);
    // An unkeyed chain beside a keyed one: with keys, unkeyed chains are refused unless asked not to.
    const r = await verify(
      mixed.map((l) => JSON.parse(l)),
      { keys: [KEY], requireKeyed: false },
    );
    expect(r.valid).toBe(true);
    expect(r.chains.map((c) => [c.chain, c.count, c.keyIds])).toEqual([
      ['a', 6, []],
      ['b', 6, ['k1']],
    ]);
  });

  it('accepts async iterables and reports file/line positions', async () => {
    const lines = makeLog(4);
    lines[2] = lines[2]!.replace('"act.2"', '"act.X"');
    async function* src() {
      for (const [i, line] of lines.entries()) yield { line, file: 'audit.log', lineNo: i + 1 };
    }
    const r = await verify(src());
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'modified', chain: 'c1', seq: 2, file: 'audit.log', line: 3 })]);
  });
});

describe('verify: each kind of break', () => {
  const lines = makeLog(12);

  it('modified content', () => {
    const l = [...lines];
    l[5] = l[5]!.replace('"u2"', '"u0"');
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'modified', seq: 5 }]);
  });

  it('modified and re-hashed (plain SHA-256 chain): blamed on that entry', () => {
    const l = [...lines];
    const e = JSON.parse(l[5]!) as AuditEntry;
    e.action = 'act.changed';
    e.hash = computeEntryHash(e);
    l[5] = serializeEntry(e);
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'modified', seq: 5 }]);
  });

  it('an edited seq field', () => {
    const l = [...lines];
    l[5] = l[5]!.replace('"seq":5', '"seq":9');
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'modified', seq: 5 }]);
  });

  it('an edited hash field', () => {
    const l = [...lines];
    const h = (JSON.parse(l[5]!) as AuditEntry).hash;
    l[5] = l[5]!.replace(h, 'f'.repeat(64));
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'modified', seq: 5 }]);
  });

  it('non-canonical bytes with the same content', () => {
    const l = [...lines];
    l[3] = JSON.stringify(JSON.parse(l[3]!), null, 1).replace(/\n/g, '');
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'modified', seq: 3 }]);
  });

  it('deleted entries, single and ranges', () => {
    const l = [...lines];
    l.splice(4, 3);
    const r = verifySync(l);
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'deleted', seq: 4, toSeq: 6 })]);
  });

  it('a missing beginning is deleted, unless partial starts are allowed', () => {
    expect(only(verifySync(lines.slice(3)).breaks)).toEqual([{ kind: 'deleted', seq: 0 }]);
    expect(verifySync(lines.slice(3), { allowPartialStart: true }).valid).toBe(true);
  });

  it('duplicated', () => {
    const l = [...lines];
    l.splice(9, 0, l[4]!);
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'duplicated', seq: 4 }]);
  });

  it('reordered', () => {
    const l = [...lines];
    const [moved] = l.splice(4, 1);
    l.splice(7, 0, moved!);
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'reordered', seq: 4 }]);
  });

  it('inserted: a forged entry before the real one is blamed, at its own line', () => {
    const l = [...lines];
    l.splice(6, 0, forge(l[5]!));
    const r = verifySync(l);
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'inserted', seq: 6, line: 7 })]);
  });

  it('inserted: a forged entry after the real one', () => {
    const l = [...lines];
    l.splice(7, 0, forge(l[5]!));
    const r = verifySync(l);
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'inserted', seq: 6, line: 8 })]);
  });

  it('forked: two continuations of one entry', () => {
    const l = lines.slice(0, 6);
    const c1 = new HashChain({ id: 'c1', resume: { chain: 'c1', seq: 5, hash: (JSON.parse(l[5]!) as AuditEntry).hash } });
    const c2 = new HashChain({ id: 'c1', resume: { chain: 'c1', seq: 5, hash: (JSON.parse(l[5]!) as AuditEntry).hash } });
    for (let i = 0; i < 3; i++) {
      const b = {
        kind: 'event' as const,
        ts: '2026-01-01T00:01:00.000000Z',
        action: 'x',
        outcome: 'success' as const,
        actor: { type: 'system' as const },
      };
      l.push(c1.seal({ ...b, details: { w: 1, i } }).line, c2.seal({ ...b, details: { w: 2, i } }).line);
    }
    expect(only(verifySync(l).breaks)).toEqual([{ kind: 'forked', seq: 6 }]);
  });

  it('truncated: the tail against an anchor, and a torn last line', () => {
    const head = JSON.parse(lines[11]!) as AuditEntry;
    const r = verifySync(lines.slice(0, 9), { anchors: [{ chain: 'c1', seq: 11, hash: head.hash }] });
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'truncated', seq: 9, toSeq: 11 })]);
    const torn = verifyText(`${lines.join('\n')}\n${lines[0]!.slice(0, 40)}`, { file: 'a.log' });
    expect(torn.breaks).toEqual([expect.objectContaining({ kind: 'truncated', file: 'a.log', line: 13 })]);
    // Torn right after a nested object (the line then ends with "}" but the entry is still open).
    const cut = lines[0]!.indexOf('}') + 1;
    expect(lines[0]![cut - 1]).toBe('}');
    const tornAtBrace = verifyText(`${lines.join('\n')}\n${lines[0]!.slice(0, cut)}`, { file: 'a.log' });
    expect(tornAtBrace.breaks).toEqual([expect.objectContaining({ kind: 'truncated', file: 'a.log', line: 13 })]);
    // A complete line that is not JSON stays unparseable, wherever it is.
    const garbage = verifyText(`${lines.join('\n')}\n{"a":1}}`, { file: 'a.log' });
    expect(garbage.breaks).toEqual([expect.objectContaining({ kind: 'unparseable', file: 'a.log', line: 13 })]);
  });

  it('truncated: a later chain genesis commits to the previous chain head', () => {
    const old = makeLog(8, { chain: 'old' });
    const head = JSON.parse(old[7]!) as AuditEntry;
    const c = new HashChain({ id: 'new' });
    const g = c.seal({
      kind: 'genesis',
      ts: '2026-01-02T00:00:00.000000Z',
      details: { previous: { chain: 'old', seq: 7, hash: head.hash } },
    }).line;
    expect(verifySync([...old, g]).valid).toBe(true);
    const r = verifySync([...old.slice(0, 5), g]);
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'truncated', chain: 'old', seq: 5, toSeq: 7 })]);
  });

  it('unparseable lines and schema violations; keeps going after them', () => {
    const l = [...lines];
    l[2] = 'not json';
    l[7] = JSON.stringify({ hello: 'world' });
    const r = verifySync(l);
    expect(r.breaks.map((b) => [b.kind, b.line])).toEqual([
      ['unparseable', 3],
      ['deleted', 4],
      ['unparseable', 8],
      ['deleted', 9],
    ]);
    expect(r.chains[0]?.count).toBe(10);
  });

  it('wrong key, and a missing key', () => {
    const keyed = makeLog(6, { key: KEY });
    expect(verifySync(keyed, { keys: [KEY] }).valid).toBe(true);
    const wrong = verifySync(keyed, { keys: [{ id: 'k1', secret: `hex:${'00'.repeat(32)}` }] });
    expect(only(wrong.breaks)).toEqual([{ kind: 'wrong-key', seq: 0 }]);
    const missing = verifySync(keyed);
    expect(only(missing.breaks)).toEqual([{ kind: 'wrong-key', seq: 0 }]);
  });

  it('a keyed chain still pinpoints a modified entry when the key is right', () => {
    const keyed = makeLog(6, { key: KEY });
    keyed[3] = keyed[3]!.replace('"act.3"', '"act.9"');
    expect(only(verifySync(keyed, { keys: [KEY] }).breaks)).toEqual([{ kind: 'modified', seq: 3 }]);
  });

  it('holes declared by gap records are reported as gaps, not tampering', () => {
    const c = new HashChain({ id: 'g' });
    const b = { ts: '2026-01-01T00:00:00.000000Z', action: 'x', outcome: 'success' as const, actor: { type: 'system' as const } };
    const all = Array.from({ length: 8 }, (_, i) => c.seal({ kind: i === 0 ? 'genesis' : 'event', ...b }).line);
    const gap = c.seal({ kind: 'gap', ts: b.ts, reason: 'queue full', details: { transport: 't', from: 3, to: 5, count: 3 } }).line;
    const kept = [...all.slice(0, 3), ...all.slice(6), gap];
    const r = verifySync(kept);
    expect(r.valid).toBe(true);
    expect(r.chains[0]?.gaps).toEqual([expect.objectContaining({ from: 3, to: 5, count: 3 })]);
    // ...but holes outside the declared range are still deletions.
    const r2 = verifySync([...all.slice(0, 2), ...all.slice(6), gap]);
    expect(only(r2.breaks)).toEqual([{ kind: 'deleted', seq: 2 }]);
  });

  it('a log that declares lost entries is consistent but never complete, even when a commitment covers its head', () => {
    const c = new HashChain({ id: 'g' });
    const b = { ts: '2026-01-01T00:00:00.000000Z', action: 'x', outcome: 'success' as const, actor: { type: 'system' as const } };
    const all = Array.from({ length: 4 }, (_, i) => c.seal({ kind: i === 0 ? 'genesis' : 'event', ...b }).line);
    const anchorOf = (line: string) => {
      const e = JSON.parse(line);
      return { chain: e.chain, seq: e.seq, hash: e.hash };
    };
    expect(verifySync(all, { anchors: [anchorOf(all[3] as string)] }).complete).toBe(true);
    // Entries lost before they had seqs (an audit worker that died before sealing them): a count only.
    const gap = c.seal({ kind: 'gap', ts: b.ts, reason: 'audit worker exited', details: { count: 2, unsealed: 2 } }).line;
    const r = verifySync([...all, gap], { anchors: [anchorOf(gap)] });
    expect(r).toMatchObject({ consistent: true, complete: false });
    expect(r.chains[0]?.gaps).toEqual([{ count: 2, reason: 'audit worker exited', declaredAt: 4 }]);
  });

  it('Verifier rejects push after finish', () => {
    const v = new Verifier();
    v.finish();
    expect(() => v.push(lines[0]!)).toThrow(/after finish/);
  });
});

// ---- properties: every single mutation is reported at exactly that seq, with the right kind ----

type Mutation = 'modify' | 'delete' | 'insert' | 'reorder' | 'duplicate';

function mutate(
  lines: string[],
  m: Mutation,
  k: number,
  j: number,
  key?: AuditKey,
): { lines: string[]; expected: { kind: string; seq: number; line?: number } } {
  const l = [...lines];
  switch (m) {
    case 'modify':
      l[k] = l[k]!.replace(`"i":${k}`, `"i":${k + 1000}`);
      return { lines: l, expected: { kind: 'modified', seq: k, line: k + 1 } };
    case 'delete':
      l.splice(k, 1);
      return { lines: l, expected: { kind: 'deleted', seq: k } };
    case 'insert':
      l.splice(k, 0, forge(l[k - 1]!, key));
      return { lines: l, expected: { kind: 'inserted', seq: k, line: k + 1 } };
    case 'reorder': {
      const [moved] = l.splice(k, 1);
      l.splice(k + j, 0, moved!);
      return { lines: l, expected: { kind: 'reordered', seq: k, line: k + j + 1 } };
    }
    case 'duplicate':
      l.splice(k + j, 0, l[k]!);
      return { lines: l, expected: { kind: 'duplicated', seq: k, line: k + j + 1 } };
  }
}

describe('verify properties', () => {
  for (const keyed of [false, true]) {
    it(`any single flip, delete, insert, reorder or duplicate is reported exactly (${keyed ? 'HMAC' : 'SHA-256'})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 6, max: 40 }),
          fc.constantFrom<Mutation>('modify', 'delete', 'insert', 'reorder', 'duplicate'),
          fc.nat(),
          fc.integer({ min: 1, max: 5 }),
          async (n, m, kr, jr) => {
            const key = keyed ? KEY : undefined;
            const lines = makeLog(n, key ? { key } : {});
            // delete: not the last entry (a missing tail needs an anchor); insert/reorder need a successor.
            const k = m === 'insert' ? 1 + (kr % (n - 2)) : kr % (n - 1);
            const j = Math.min(jr, n - 1 - k);
            const { lines: bad, expected } = mutate(lines, m, k, j, key);
            const r = verifySync(bad, key ? { keys: [key] } : {});
            // The full parse, the string fast path and the byte fast path agree on every report.
            expect(verifySync(bad, { ...(key ? { keys: [key] } : {}), fastPath: false })).toEqual(r);
            const chunked = Buffer.from(`${bad.join('\n')}\n`);
            const pieces = [chunked.subarray(0, 1000), chunked.subarray(1000, 5000), chunked.subarray(5000)];
            expect(await verifyStream(pieces, key ? { keys: [key] } : {})).toEqual(r);
            expect(r.valid).toBe(false);
            expect(r.breaks).toHaveLength(1);
            expect(r.breaks[0]).toMatchObject(expected);
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  it('an intact log of any size verifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), (n) => {
        expect(verifySync(makeLog(n)).valid).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});

describe('verifyStream', () => {
  it('verifies a real file read as a byte stream, with line numbers, across chunk boundaries', async () => {
    const { mkdtempSync, writeFileSync, createReadStream } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { verifyStream } = await import('../src/verify/index.js');
    const lines = makeLog(200);
    lines[150] = lines[150]!.replace('"act.150"', '"act.15O"');
    const file = join(mkdtempSync(join(tmpdir(), 'ar-verify-')), 'audit.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await verifyStream(createReadStream(file, { highWaterMark: 97 }), { file: 'audit.log' });
    expect(r.entries).toBe(200);
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'modified', seq: 150, file: 'audit.log', line: 151 })]);
  });

  it('decodes multi-byte UTF-8 split across chunks', async () => {
    const { splitLines } = await import('../src/verify/index.js');
    const bytes = new TextEncoder().encode('äö😀\nx');
    const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
    const out: string[] = [];
    for await (const l of splitLines(chunks)) out.push(l);
    expect(out).toEqual(['äö😀', 'x']);
  });
});

describe('segments', () => {
  function withRetention(lines: string[], removed: { firstSeq: number; lastSeq: number; lastHash: string; file: string }[]) {
    const last = JSON.parse(lines[lines.length - 1]!) as AuditEntry;
    const c = new HashChain({ id: last.chain, resume: { chain: last.chain, seq: last.seq, hash: last.hash } });
    const rec = c.seal({
      kind: 'retention',
      ts: '2026-01-01T00:10:00.000000Z',
      reason: 'segments older than 30 days removed',
      details: { removed: removed.map((r) => ({ chain: last.chain, ...r })) },
    }).line;
    return [...lines, rec];
  }

  it('seqs removed by retention, as declared, are not breaks; undeclared ones are', () => {
    const lines = makeLog(30);
    const h = (i: number) => (JSON.parse(lines[i]!) as AuditEntry).hash;
    const kept = withRetention(lines, [
      { firstSeq: 0, lastSeq: 9, lastHash: h(9), file: 'audit-1.log' },
      { firstSeq: 10, lastSeq: 19, lastHash: h(19), file: 'audit-2.log.gz' },
    ]).slice(20);
    const r = verifySync(kept);
    expect(r.valid).toBe(true);
    expect(r.chains[0]?.retained.map((x) => [x.from, x.to, x.file])).toEqual([
      [0, 9, 'audit-1.log'],
      [10, 19, 'audit-2.log.gz'],
    ]);
    // The same removal without the second record: seqs 10..19 were deleted, not retained.
    const partial = withRetention(lines, [{ firstSeq: 0, lastSeq: 9, lastHash: h(9), file: 'audit-1.log' }]).slice(20);
    expect(only(verifySync(partial).breaks)).toEqual([{ kind: 'deleted', seq: 0 }]);
  });

  it('a whole segment out of order is one reordered range; a segment repeated is one duplicated range', () => {
    const lines = makeLog(40);
    const swapped = [...lines.slice(0, 10), ...lines.slice(20, 30), ...lines.slice(10, 20), ...lines.slice(30)];
    expect(verifySync(swapped).breaks).toEqual([expect.objectContaining({ kind: 'reordered', seq: 10, toSeq: 19 })]);
    const twice = [...lines.slice(0, 20), ...lines.slice(10, 20), ...lines.slice(20)];
    expect(verifySync(twice).breaks).toEqual([expect.objectContaining({ kind: 'duplicated', seq: 10, toSeq: 19 })]);
  });
});

describe('verdicts: consistent is not complete', () => {
  const head = (lines: string[], i: number) => {
    const e = JSON.parse(lines[i] as string) as AuditEntry;
    return { chain: e.chain, seq: e.seq, hash: e.hash };
  };

  it('a log with nothing committing to its head is consistent, not complete: a cut tail looks the same', () => {
    const lines = makeLog(10);
    for (const input of [lines, lines.slice(0, 6)]) {
      const r = verifySync(input);
      expect([r.valid, r.consistent, r.complete]).toEqual([true, true, false]);
      expect(r.chains[0]?.commitment).toBeUndefined();
      expect(r.chains[0]?.uncommitted).toBe(input.length);
    }
  });

  it('no entries at all is not complete', () => {
    expect(verifySync([])).toMatchObject({ valid: true, consistent: true, complete: false, chains: [] });
  });

  it('an anchor the chain meets proves it complete through the anchored seq, naming the anchor', () => {
    const lines = makeLog(10);
    const r = verifySync(lines, { anchors: [{ ...head(lines, 9), source: 'audit.head.json' }] });
    expect(r.complete).toBe(true);
    expect(r.chains[0]).toMatchObject({ commitment: { seq: 9, by: 'audit.head.json' }, uncommitted: 0 });
    // Entries after the anchor are present but no commitment covers them.
    const later = verifySync(lines, { anchors: [head(lines, 6)] });
    expect(later.complete).toBe(true);
    expect(later.chains[0]).toMatchObject({ commitment: { seq: 6, by: 'an anchor' }, uncommitted: 3 });
    // A tail cut behind the anchor is a break, and nothing is complete.
    const cut = verifySync(lines.slice(0, 7), { anchors: [head(lines, 9)] });
    expect([cut.valid, cut.complete]).toEqual([false, false]);
    expect(only(cut.breaks)).toEqual([{ kind: 'truncated', seq: 7 }]);
  });

  it("a later chain's genesis link proves the previous chain complete; the newest chain still needs its own commitment", () => {
    const a = makeLog(5, { chain: 'a' });
    const aHead = head(a, 4);
    const b = new HashChain({ id: 'b' });
    const bLines = [b.seal({ kind: 'genesis', ts: '2026-01-01T00:01:00.000000Z', details: { previous: aHead } }).line];
    const r = verifySync([...a, ...bLines]);
    expect(r.chains.map((c) => [c.chain, c.commitment?.by])).toEqual([
      ['a', "chain b's genesis"],
      ['b', undefined],
    ]);
    expect(r.complete).toBe(false);
    expect(verifySync([...a, ...bLines], { anchors: [head(bLines, 0)] }).complete).toBe(true);
  });
});

describe('verify with keys: only what a key proves counts', () => {
  it('a whole log replaced by a valid unkeyed chain (and a matching head) is a wrong-key break when keys are supplied', () => {
    const forged = makeLog(10);
    const last = JSON.parse(forged[9] as string) as AuditEntry;
    const r = verifySync(forged, { keys: [KEY], anchors: [{ chain: last.chain, seq: last.seq, hash: last.hash }] });
    expect([r.valid, r.complete]).toEqual([false, false]);
    expect(only(r.breaks)).toEqual([{ kind: 'wrong-key', seq: 0 }]);
    expect(r.breaks[0]?.message).toMatch(/without a key id/);
    // Opting out (a mixed log verified on purpose) accepts it.
    expect(verifySync(forged, { keys: [KEY], requireKeyed: false }).valid).toBe(true);
  });

  it('a retention record in a separate unkeyed chain does not excuse deleted segments of a keyed chain', () => {
    const keyed = makeLog(30, { chain: 'k', key: KEY });
    const h = (i: number) => (JSON.parse(keyed[i] as string) as AuditEntry).hash;
    const liar = new HashChain({ id: 'liar' });
    const claim = liar.seal({
      kind: 'retention',
      ts: '2026-01-01T00:10:00.000000Z',
      reason: 'segments removed',
      details: { removed: [{ chain: 'k', firstSeq: 0, lastSeq: 19, lastHash: h(19), file: 'audit-1.log' }] },
    }).line;
    const r = verifySync([claim, ...keyed.slice(20)], { keys: [KEY] });
    expect(r.breaks.map((b) => [b.kind, b.chain])).toEqual(
      expect.arrayContaining([
        ['wrong-key', 'liar'],
        ['deleted', 'k'],
      ]),
    );
    expect(r.chains.find((c) => c.chain === 'k')?.retained).toEqual([]);
  });

  it("editing one line's chain field is one modified entry, not wrong-key and thousands of deleted seqs", () => {
    const keyed = makeLog(3000, { chain: 'k', key: KEY });
    const e = JSON.parse(keyed[1500] as string) as Record<string, unknown>;
    const edited = [...keyed];
    edited[1500] = serializeEntry({ ...e, chain: 'elsewhere' } as never);
    const r = verifySync(edited, { keys: [KEY] });
    expect(only(r.breaks)).toEqual([{ kind: 'modified', seq: 1500 }]);
    expect(r.breaks[0]).toMatchObject({ chain: 'k', line: 1501 });
    expect(r.chains.map((c) => [c.chain, c.count])).toEqual([['k', 3000]]);
  });
});

describe('verify on hostile input: bounded memory, linear time', () => {
  const chunked = (total: number, chunk = 64 * 1024, byte = 0x61) => {
    const piece = new Uint8Array(chunk).fill(byte);
    return (function* () {
      for (let sent = 0; sent < total; sent += chunk) yield piece;
    })();
  };
  const timed = async (total: number) => {
    const t0 = performance.now();
    const r = await verifyStream(chunked(total));
    return { ms: performance.now() - t0, r };
  };

  it('a line longer than any entry is one unparseable break, skipped without being held; time grows linearly with its length', async () => {
    const small = await timed(8 * 1024 * 1024);
    const big = await timed(32 * 1024 * 1024);
    expect(big.r.breaks).toEqual([expect.objectContaining({ kind: 'unparseable', line: 1 })]);
    expect(big.r.breaks[0]?.message).toMatch(/a line of 33554432 bytes, longer than any entry/);
    // 4x the bytes: about 4x the time when linear, 16x when each chunk copied the line so far.
    expect(big.ms / Math.max(small.ms, 1)).toBeLessThan(9);
  });

  it('a long line between entries is reported and the entries around it still verify', async () => {
    const lines = makeLog(3);
    const enc = new TextEncoder();
    const r = await verifyStream([enc.encode(`${lines[0]}\n${lines[1]}\n`), ...chunked(2 * 1024 * 1024), enc.encode(`\n${lines[2]}\n`)]);
    expect(only(r.breaks)).toEqual([{ kind: 'unparseable', seq: undefined }]);
    expect(r.entries).toBe(3);
    expect(r.chains[0]?.count).toBe(3);
  });

  it('millions of garbage lines keep the report bounded: 10,000 breaks listed, the rest counted', async () => {
    const text = 'x\n'.repeat(200_000);
    const r = await verifyStream([text]);
    expect(r.valid).toBe(false);
    expect(r.breaks).toHaveLength(10_000);
    expect(r.omittedBreaks).toEqual({ unparseable: 190_000 });
  });
});

describe('verdicts: a commitment before the input links its start, it does not prove its tail', () => {
  it('an anchor at the seq before the first entry present makes nothing complete', () => {
    const lines = makeLog(10);
    const e = JSON.parse(lines[4] as string) as AuditEntry;
    const r = verifySync(lines.slice(5), { anchors: [{ chain: e.chain, seq: e.seq, hash: e.hash }] });
    expect(r.valid).toBe(true);
    expect(r.complete).toBe(false);
    expect(r.chains[0]?.commitment).toBeUndefined();
  });
});
