/**
 * Scanning bytes before parsing must never lose a match: on random logs (odd characters in every
 * field, JSON escapes, unicode, times across a window) and random filters, the lines the scan
 * passes to the predicate give exactly the result of parsing every line — for any chunking.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditEntry, createAuditLogger, createFixedClock, createMemoryTransport } from '@auditready/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateOcsf } from '../../../test-support/schemas.js';
import { buildPredicate, type QueryFilters } from '../src/query-command.js';
import { lineFilterOf, scanFile, scanLines } from '../src/scan.js';
import { cli } from './helpers.js';

const word = fc.constantFrom('alice', 'bob', 'ali"ce', 'b\\ob', 'zoë', 'u-1', 'u-10', 'invoice', 'inv_1', 'admin.users', 'x*y', '日本');

async function randomLog(seed: number, n: number): Promise<{ lines: string[]; entries: AuditEntry[] }> {
  const mem = createMemoryTransport();
  const log = createAuditLogger({
    service: { name: seed % 2 ? 'billing' : 'pay"roll' },
    transports: [mem],
    handleSignals: false,
    clock: createFixedClock('2026-11-01T00:00:00.000Z', 3_600_000_000),
  });
  const sample = fc.sample(
    fc.record({
      actor: word,
      action: word,
      type: word,
      id: word,
      outcome: fc.constantFrom('success', 'failure', 'denied', 'error'),
      status: fc.constantFrom(200, 201, 403, 404, 500, 503),
      reqId: word,
      access: fc.boolean(),
    }),
    { numRuns: n, seed },
  );
  for (const s of sample)
    log.record({
      kind: s.access ? 'access' : 'event',
      action: s.action,
      outcome: s.outcome as AuditEntry['outcome'] & string,
      actor: { type: 'user', id: s.actor, ip: '203.0.113.1' },
      resource: { type: s.type, id: s.id },
      ...(s.access ? { http: { method: 'GET', path: `/x/${s.id}`, status: s.status, requestId: s.reqId } } : {}),
      details: { note: `${s.actor} did ${s.action}` },
    });
  await log.close();
  return { lines: mem.lines(), entries: mem.entries() };
}

const filterParts = {
  actor: fc.oneof(
    word,
    word.map((w) => `${w.slice(0, 2)}*`),
  ),
  action: word,
  resource: fc.tuple(word, fc.option(word, { nil: undefined })).map(([t, i]) => (i === undefined ? t : `${t}:${i}`)),
  outcome: fc.subarray(['success', 'failure', 'denied', 'error'], { minLength: 1 }).map((a) => a.join(',')),
  status: fc.constantFrom('200', '4xx', '5xx', '403,5xx'),
  requestId: word,
  service: fc.constantFrom('billing', 'pay"roll', 'bill*'),
  since: fc.integer({ min: 0, max: 40 }).map((h) => new Date(Date.parse('2026-11-01T00:00:00Z') + h * 3_600_000).toISOString()),
  until: fc.integer({ min: 0, max: 40 }).map((h) => new Date(Date.parse('2026-11-01T00:00:00Z') + h * 3_600_000).toISOString()),
  kind: fc.constantFrom('access', 'event', 'access,event', 'genesis'),
};
/** One to three filters at a time: enough lines match for a lost one to show. */
const filtersArb = fc
  .subarray(Object.keys(filterParts) as (keyof typeof filterParts)[], { minLength: 1, maxLength: 3 })
  .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, filterParts[k]])) as Record<string, fc.Arbitrary<string>>));

describe('query: the byte scan never loses a match', () => {
  it('gives what parsing every line gives, on random logs, filters and chunkings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        filtersArb,
        fc.integer({ min: 1, max: 700 }),
        async (seed, filters, chunk) => {
          const { lines } = await randomLog(seed, 40);
          const f = filters as QueryFilters;
          const predicate = buildPredicate(f);
          const want = lines.filter((l) => predicate(JSON.parse(l) as AuditEntry));
          const text = Buffer.from(`${lines.join('\n')}\n`);
          const chunks = (async function* () {
            for (let i = 0; i < text.length; i += chunk) yield text.subarray(i, i + chunk);
          })();
          const got: string[] = [];
          const since = f.since === undefined ? undefined : Date.parse(f.since);
          const until = f.until === undefined ? undefined : Date.parse(f.until);
          await scanLines(chunks, lineFilterOf(f, since, until), (buf, s, e) => {
            const line = buf.toString('utf8', s, e);
            if (predicate(JSON.parse(line) as AuditEntry)) got.push(line);
            return true;
          });
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a plain file read in reused blocks (scanFile) gives the same: any block size, lines longer than a block, no final newline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ar-qfile-'));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        filtersArb,
        fc.integer({ min: 16, max: 3000 }),
        fc.boolean(),
        async (seed, filters, block, newlineAtEnd) => {
          const { lines } = await randomLog(seed, 30);
          const f = filters as QueryFilters;
          const predicate = buildPredicate(f);
          const want = lines.filter((l) => predicate(JSON.parse(l) as AuditEntry));
          const file = join(dir, `log-${seed}.log`);
          writeFileSync(file, `${lines.join('\n')}${newlineAtEnd ? '\n' : ''}`);
          const got: string[] = [];
          const since = f.since === undefined ? undefined : Date.parse(f.since);
          const until = f.until === undefined ? undefined : Date.parse(f.until);
          await scanFile(
            file,
            lineFilterOf(f, since, until),
            (buf, s, e) => {
              const line = buf.toString('utf8', s, e);
              if (predicate(JSON.parse(line) as AuditEntry)) got.push(line);
              return true;
            },
            undefined,
            block,
          );
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('both cores (a large file in blocks, odd ones to a worker): the same output, in the same order, as one core', async () => {
    const { lines } = await randomLog(11, 400);
    const dir = mkdtempSync(join(tmpdir(), 'ar-qpar-'));
    const file = join(dir, 'audit.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    // Small blocks, and no filter counted selective (a selective scan stays on one core): every case runs on both.
    const small = {
      AUDITREADY_QUERY_PARALLEL_BYTES: '0',
      AUDITREADY_QUERY_BLOCK_BYTES: '4096',
      AUDITREADY_QUERY_SELECTIVE_BYTES: '100000',
    };
    for (const args of [
      ['--actor', 'ali*'],
      ['--outcome', 'denied,error'],
      ['--kind', 'access', '--format', 'csv'],
      ['--since', '2026-11-05T00:00:00Z', '--format', 'ecs'],
    ]) {
      const serial = cli(['query', file, ...args, '--limit', '100000']); // --limit keeps one core
      const parallel = cli(['query', file, ...args], small);
      expect(parallel.stderr).toBe('');
      expect(parallel.stdout).toBe(serial.stdout);
      expect(serial.stdout.length).toBeGreaterThan(0);
    }
  });

  it('the CLI in each SIEM format: one document per match, each valid and carrying its line', async () => {
    const { lines } = await randomLog(7, 30);
    const dir = mkdtempSync(join(tmpdir(), 'ar-qfmt-'));
    writeFileSync(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    const ndjson = cli(['query', dir, '--kind', 'access']).stdout.trim().split('\n');
    const ocsf = cli(['query', dir, '--kind', 'access', '--format', 'ocsf'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ocsf.map((o) => o.raw_data)).toEqual(ndjson);
    for (const o of ocsf) expect(validateOcsf(o)).toEqual([]);
    const ecs = cli(['query', dir, '--kind', 'access', '--format', 'ecs'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ecs.map((o) => o.event.original)).toEqual(ndjson);
    const otel = cli(['query', dir, '--kind', 'access', '--format', 'otel-json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(otel.map((o) => o.resourceLogs[0].scopeLogs[0].logRecords[0].body.stringValue)).toEqual(ndjson);
    expect(cli(['query', dir, '--format', 'xml']).code).toBe(2);
  });
});
