import { readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { verifySync } from '@auditready/core/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tempDir, writeLog } from './helpers.js';

const KEY = { id: 'k2026', secret: `hex:${'3c'.repeat(32)}` };
let plain = '';
let segmented = '';
let keyed = '';

beforeAll(async () => {
  plain = tempDir();
  await writeLog(plain, 60);
  segmented = tempDir();
  await writeLog(segmented, 400, { rotate: { maxBytes: 12_000 }, compress: true });
  keyed = tempDir();
  await writeLog(keyed, 30, {}, KEY);
}, 60000);

describe('auditready help', () => {
  it.each([[['--help']], [['help']], [[]]])('%j prints the overview', (args) => {
    const r = cli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/auditready verify <files\|dirs\|globs...>/);
  });

  it.each([
    ['verify', /prove audit logs complete and untampered/],
    ['query', /search audit logs/],
  ])('every command has --help: %s', (cmd, re) => {
    expect(cli([cmd, '--help']).stdout).toMatch(re);
    expect(cli(['help', cmd]).stdout).toMatch(re);
    expect(cli([cmd, '--help']).code).toBe(0);
  });

  it("--version prints the package's version (from package.json, not a constant in the source)", () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const r = cli(['--version']);
    expect(r.stdout.trim()).toBe(version);
    expect(cli(['--help']).stdout).toContain(`auditready ${version}`);
  });
});

describe('auditready verify', () => {
  it('a valid directory: per-file status, chains, summary; COMPLETE through its head file; exit 0', () => {
    const r = cli(['verify', plain]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/audit\.log\s+valid\s+61 lines/);
    expect(r.stdout).toMatch(/Results: 1 file, 1 valid, 0 INVALID; 1 chain, 61 entries; 0 breaks; 0 declared gaps/);
    expect(r.stdout).toMatch(/COMPLETE: every entry verifies and links/);
    expect(r.stdout).toMatch(/chain \S+: complete through seq 60, committed by \S*audit\.head\.json/);
  });

  it.each([
    ['a file named on its own', (d: string) => [join(d, 'audit.log')]],
    ['a glob', (d: string) => [`${d}/*.log`]],
  ])('%s proves nothing about its tail: CONSISTENT, not complete (exit 3), even cut short', (_what, args) => {
    const dir = tempDir();
    const lines = readFileSync(join(plain, 'audit.log'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(dir, 'audit.log'), `${lines.slice(0, 40).join('\n')}\n`); // 21 entries cut from the end
    writeFileSync(join(dir, 'audit.head.json'), readFileSync(join(plain, 'audit.head.json')));
    const r = cli(['verify', ...args(dir)]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/CONSISTENT, NOT PROVEN COMPLETE/);
    expect(r.stdout).toMatch(/nothing commits to its head \(seq 39\)/);
    expect(r.stdout).not.toMatch(/^COMPLETE/m);
    // With its head file as an anchor, the cut is found.
    const anchored = cli(['verify', ...args(dir), '--anchor', join(dir, 'audit.head.json')]);
    expect(anchored.code).toBe(1);
    expect(anchored.stdout).toMatch(/truncated .*audit\.head\.json commits to seq 60, but the chain ends at seq 39/);
  });

  it('a commitment older than the last entries: COMPLETE through it, the later entries counted as uncovered', () => {
    const lines = readFileSync(join(plain, 'audit.log'), 'utf8').split('\n').filter(Boolean);
    const e = JSON.parse(lines[50] as string);
    const anchor = join(tempDir(), 'old.head.json');
    writeFileSync(anchor, JSON.stringify({ chain: e.chain, seq: e.seq, hash: e.hash }));
    const r = cli(['verify', join(plain, 'audit.log'), '--anchor', anchor]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /complete through seq 50, committed by \S*old\.head\.json; 10 later entries present but not covered by any commitment/,
    );
  });

  it('a log that declares lost entries (a gap record) is INCOMPLETE, exit 1, even with its head', async () => {
    const { createAuditLogger, createMemoryTransport } = await import('@auditready/core');
    const transport = createMemoryTransport();
    const log = createAuditLogger({
      service: { name: 's' },
      transports: [transport],
      handleSignals: false,
      queue: { maxEntries: 2 },
      onError: () => {},
    });
    transport.setDown(true);
    for (let i = 0; i < 6; i++) log.record({ action: 'a', details: { i } });
    transport.setDown(false);
    await log.close();
    const lines = transport.lines();
    expect(lines.some((l) => l.includes('"kind":"gap"'))).toBe(true);
    const dir = tempDir();
    writeFileSync(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    const last = JSON.parse(lines.at(-1) as string);
    writeFileSync(join(dir, 'audit.head.json'), JSON.stringify({ chain: last.chain, seq: last.seq, hash: last.hash }));
    const r = cli(['verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/INCOMPLETE: no tampering, but the log itself declares lost entries/);
  });

  it('an empty file is not complete (exit 3); a directory whose head file is gone is not either', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'audit.log'), '');
    const empty = cli(['verify', join(dir, 'audit.log'), '--json']);
    expect(empty.code).toBe(3);
    expect(JSON.parse(empty.stdout)).toMatchObject({ verdict: 'consistent', valid: true, complete: false });
    const noHead = tempDir();
    writeFileSync(join(noHead, 'audit.log'), readFileSync(join(plain, 'audit.log')));
    expect(cli(['verify', noHead]).code).toBe(3);
  });

  it('many gzip segments verify end to end, by directory and by quoted glob', () => {
    const segs = readdirSync(segmented).filter((f) => f.endsWith('.log.gz'));
    expect(segs.length).toBeGreaterThanOrEqual(6);
    expect(cli(['verify', segmented]).code).toBe(0);
    // Named files and globs bring no head file: consistent, and complete once it is given.
    const r = cli(['verify', `${segmented}/audit-*.log.gz`, join(segmented, 'audit.log')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`Results: ${segs.length + 1} files, ${segs.length + 1} valid`));
    const anchored = cli([
      'verify',
      `${segmented}/audit-*.log.gz`,
      join(segmented, 'audit.log'),
      '--anchor',
      join(segmented, 'audit.head.json'),
    ]);
    expect(anchored.code).toBe(0);
  });

  it('a middle segment deleted, one edited, two reordered and the tail truncated: each reported distinctly; exit 1', () => {
    const dir = tempDir();
    for (const f of readdirSync(segmented)) if (!f.endsWith('.lock')) writeFileSync(join(dir, f), readFileSync(join(segmented, f)));
    const segs = readdirSync(dir)
      .filter((f) => f.endsWith('.log.gz'))
      .sort();
    // delete segs[1]
    rmSync(join(dir, segs[1] as string));
    // edit the actor of segs[3]'s first line that has one (an index notice may come first)
    const edited = gunzipSync(readFileSync(join(dir, segs[3] as string)))
      .toString('utf8')
      .split('\n');
    const at = edited.findIndex((l, i) => i >= 2 && /"actor":\{"id":"\w+"/.test(l));
    edited[at] = (edited[at] as string).replace(/"actor":\{"id":"(\w+)"/, '"actor":{"id":"mallory"');
    writeFileSync(join(dir, segs[3] as string), gzipSync(edited.join('\n')));
    // swap segs[4] and segs[5] (their contents trade names)
    renameSync(join(dir, segs[4] as string), join(dir, 'tmp.swap'));
    renameSync(join(dir, segs[5] as string), join(dir, segs[4] as string));
    renameSync(join(dir, 'tmp.swap'), join(dir, segs[5] as string));
    // cut the last 3 lines of the active file (at a line boundary)
    const active = readFileSync(join(dir, 'audit.log'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(dir, 'audit.log'), `${active.slice(0, -3).join('\n')}\n`);

    const r = cli(['verify', dir, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const kinds = out.breaks.map((b: { kind: string; file?: string }) => [b.kind, b.file?.split('/').pop()]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['deleted', segs[2]],
        ['modified', segs[3]],
        ['reordered', segs[5]],
        ['truncated', undefined],
      ]),
    );
    expect(out.breaks).toHaveLength(4);
    const modified = out.breaks.find((b: { kind: string }) => b.kind === 'modified');
    expect(modified.line).toBe(at + 1);
    const text = cli(['verify', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      new RegExp(
        `${segs[3]}\\s+INVALID\\s+1 break\\n\\s+modified\\s+line ${at + 1}, chain \\w+, seq \\d+: content does not match its hash`,
      ),
    );
    expect(text.stdout).toMatch(/truncated .*audit\.head\.json commits to seq \d+, but the chain ends at seq \d+/);
    expect(text.stdout).toMatch(/INVALID: see the breaks above/);
  });

  it('a keyed chain verifies with its key from --key, --key-file or AUDITREADY_KEYS', () => {
    expect(cli(['verify', keyed, '--key', `${KEY.id}=${KEY.secret}`]).code).toBe(0);
    const keyFile = join(tempDir(), 'keys');
    writeFileSync(keyFile, `# audit keys\n${KEY.id}=${KEY.secret}\n`);
    expect(cli(['verify', keyed, '--key-file', keyFile]).code).toBe(0);
    expect(cli(['verify', keyed], { AUDITREADY_KEYS: `${KEY.id}=${KEY.secret}` }).code).toBe(0);
  });

  it('a keyed chain with a wrong key, or none, is reported (exit 1)', () => {
    const wrong = cli(['verify', keyed, '--key', `${KEY.id}=hex:${'00'.repeat(32)}`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/wrong-key .*verifies none of the 31 keyed entries/);
    const none = cli(['verify', keyed]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/no key with that id was supplied/);
  });

  it('a malformed key is a usage error (exit 2)', () => {
    const bad = cli(['verify', keyed, '--key', 'k2026=password123']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be hex:<at least 32 hex digits> or base64/);
  });

  it('a symlink loop is named as one, not as a missing file', () => {
    const dir = tempDir();
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    const r = cli(['verify', join(dir, 'loop')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/symbolic links/);
  });

  it('a gzip bomb without newlines is one unparseable line, read in one pass in bounded memory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bomb.log.gz'), gzipSync(Buffer.alloc(256 * 1024 * 1024, 0x61), { level: 9 }));
    const r = cli(['verify', join(dir, 'bomb.log.gz'), '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.breaks).toEqual([
      expect.objectContaining({ kind: 'unparseable', message: expect.stringMatching(/268435456 bytes, longer than any entry/) }),
    ]);
  }, 60_000);

  it.each([
    [['verify', '/nonexistent/audit.log'], /no such file or directory/],
    [['verify', '/tmp/*.nothing-matches-this'], /matches no file/],
    [['verify'], /needs at least one file/],
    [['verify', '.', '--colour'], /Unknown option '--colour'/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('%j: a helpful error and exit 2', (args, re) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it('kafka:// inputs: a malformed address, a mix with files, or an unreachable broker is a named error (exit 2)', () => {
    const noPort = cli(['verify', 'kafka://127.0.0.1/audit']);
    expect(noPort.code).toBe(2);
    expect(noPort.stderr).toContain('broker "127.0.0.1" must be host:port');
    const noTopic = cli(['verify', 'kafka://127.0.0.1:9092/']);
    expect(noTopic.code).toBe(2);
    expect(noTopic.stderr).toContain('expected kafka://host:port');
    const mixed = cli(['verify', 'kafka://127.0.0.1:9092/audit', 'a.log']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('verified on its own');
    // Port 1: nothing listens there; the client gives up after its retries.
    const refused = cli(['verify', 'kafka://127.0.0.1:1/audit']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/kafka:\/\/127\.0\.0\.1:1\/audit: .*ECONNREFUSED/);
  });

  it('--progress draws a progress bar on stderr', () => {
    const r = cli(['verify', segmented, '--progress']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[#+\]\s+100%/);
  });
});

describe('auditready query', () => {
  it('filters by actor, action (glob), outcome, status class, request and trace id', () => {
    const denied = cli(['query', plain, '--action', 'admin.*', '--outcome', 'denied']);
    expect(denied.code).toBe(0);
    const lines = denied.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ action: 'admin.users.delete', outcome: 'denied', http: { status: 403 } });
    expect(verifySync(lines, { allowPartialStart: true }).chains[0]?.count).toBe(6); // lines are unchanged, still sealed
    const bob5xx = cli(['query', plain, '--actor', 'bob', '--status', '5xx']).stdout.trim().split('\n').filter(Boolean);
    for (const l of bob5xx) expect(JSON.parse(l)).toMatchObject({ actor: { id: 'bob' }, http: { status: 500 } });
    expect(cli(['query', plain, '--request-id', 'req-7']).stdout.trim().split('\n')).toHaveLength(1);
    expect(cli(['query', plain, '--trace-id', (7).toString(16).padStart(32, '0')]).stdout).toContain('"req-7"');
    expect(cli(['query', plain, '--resource', 'invoice:inv_1?']).stdout.trim().split('\n').length).toBeGreaterThan(0);
  });

  it('an extract (the default NDJSON output) verifies on its own with --extract: consistent, never complete', () => {
    const dir = tempDir();
    const extract = cli(['query', plain, '--actor', 'bob']).stdout;
    expect(extract.trim().split('\n').length).toBeGreaterThan(1);
    writeFileSync(join(dir, 'extract.ndjson'), extract);
    expect(cli(['verify', join(dir, 'extract.ndjson')]).code).toBe(1); // as a whole log, seqs are missing
    const r = cli(['verify', join(dir, 'extract.ndjson'), '--extract']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/CONSISTENT/);
    // An edited line in the extract is still caught.
    const lines = extract.trim().split('\n');
    lines[1] = (lines[1] as string).replace('"bob"', '"eve"');
    writeFileSync(join(dir, 'edited.ndjson'), `${lines.join('\n')}\n`);
    expect(cli(['verify', join(dir, 'edited.ndjson'), '--extract']).code).toBe(1);
  });

  it('--actor matches what the table shows (anonymous, system); --status repeats; --request-id takes wildcards', async () => {
    const { createAuditLogger } = await import('@auditready/core');
    const { createFileTransport } = await import('@auditready/transport-file');
    const dir = tempDir();
    const log = createAuditLogger({ service: { name: 's' }, transports: [createFileTransport({ dir })], handleSignals: false });
    log.record({ action: 'page.view', actor: { type: 'anonymous' } });
    log.record({ action: 'job.run' }); // the default actor: { type: 'system' }
    await log.close();
    expect(cli(['query', dir, '--actor', 'anonymous']).stdout.trim().split('\n')).toHaveLength(1);
    expect(cli(['query', dir, '--actor', 'system']).stdout.trim().split('\n')).toHaveLength(1);
    const one = cli(['query', plain, '--status', '500']).stdout.trim().split('\n').filter(Boolean).length;
    const other = cli(['query', plain, '--status', '2xx']).stdout.trim().split('\n').filter(Boolean).length;
    const both = cli(['query', plain, '--status', '500', '--status', '2xx']).stdout.trim().split('\n').filter(Boolean).length;
    expect(both).toBe(one + other);
    expect(cli(['query', plain, '--status', '500,2xx']).stdout.trim().split('\n').filter(Boolean).length).toBe(both);
    expect(cli(['query', plain, '--request-id', 'req-1*']).stdout.trim().split('\n').filter(Boolean).length).toBeGreaterThan(1);
  });

  it("a time window lists what happened, not the chain's bookkeeping: genesis rows only with --kind genesis", () => {
    const rows = cli(['query', plain, '--since', '24h'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((e) => e.kind === 'genesis' || e.kind === 'recovered')).toEqual([]);
    expect(cli(['query', plain, '--kind', 'genesis']).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('time ranges', () => {
    expect(cli(['query', plain, '--since', '1h', '--kind', 'access']).stdout.trim().split('\n')).toHaveLength(60);
    expect(cli(['query', plain, '--until', '2000-01-01T00:00:00Z']).stdout).toBe('');
    const r = cli(['query', plain, '--since', 'yesterday-ish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a time/);
  });

  it('CSV (RFC 4180, formula-safe) and a readable table', () => {
    const csv = cli(['query', plain, '--format', 'csv', '--limit', '3', '--kind', 'access']).stdout.trim().split('\n');
    expect(csv[0]).toBe('ts,kind,actor,action,resource,outcome,status,method,route,ip,requestId,traceId,reason,chain,seq');
    expect(csv).toHaveLength(4);
    expect(csv[1]).toMatch(/,access,alice,invoice\.read,invoice:inv_0,success,200,GET,\/invoices\/:id,203\.0\.113\.9,req-0,/);
    const table = cli(['query', plain, '--format', 'table', '--actor', 'carol', '--limit', '2']).stdout.split('\n');
    expect(table[0]).toMatch(/^ts\s+kind\s+actor\s+action\s+resource\s+outcome\s+status/);
    expect(table[1]).toMatch(/access\s+carol\s+invoice\.read/);
  });

  it('--verify: a simulated audit run; exit 0 only for known-good evidence', () => {
    const good = cli(['query', plain, '--verify', '--outcome', 'denied']);
    expect(good.code).toBe(0);
    expect(good.stderr).toMatch(
      /verified: COMPLETE — 61 entries in 1 chain\(s\) verify, link, and are proven complete by \S*audit\.head\.json; 6 matched/,
    );
    const dir = tempDir();
    const lines = readFileSync(join(plain, 'audit.log'), 'utf8').split('\n');
    lines[10] = (lines[10] as string).replace('"success"', '"failure"');
    writeFileSync(join(dir, 'audit.log'), lines.join('\n'));
    const bad = cli(['query', dir, '--verify', '--outcome', 'denied']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/verified: INVALID — this output is not known-good evidence\n\s+modified .*audit\.log:11/);
  });
});

describe('the reader log', () => {
  it('records who ran what over which files, chained and verifiable, without key secrets', () => {
    const reads = tempDir('ar-reads-');
    expect(cli(['verify', keyed, '--key', `${KEY.id}=${KEY.secret}`], { AUDITREADY_READER_LOG: reads }).code).toBe(0);
    expect(cli(['query', plain, '--actor', 'alice', '--format', 'csv'], { AUDITREADY_READER_LOG: reads }).code).toBe(0);
    const text = readFileSync(join(reads, 'reads.log'), 'utf8');
    expect(text).not.toContain(KEY.secret.slice(4));
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const runs = entries.filter((e) => e.kind === 'event');
    expect(runs.map((e) => e.action)).toEqual(['auditlog.verify', 'auditlog.query']);
    expect(runs[0]).toMatchObject({
      actor: { type: 'user' },
      outcome: 'success',
      details: { argv: ['verify', keyed, '--key', 'k2026=[REDACTED]'] },
    });
    expect(runs[1].details.filters).toEqual({ actor: 'alice' });
    expect(verifySync(text.trim().split('\n')).valid).toBe(true);
    expect(statSync(join(reads, 'reads.log')).mode & 0o777).toBe(0o600);
  });

  it('"off" disables it and says so', () => {
    const r = cli(['verify', plain], { AUDITREADY_READER_LOG: 'off' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/reader log is off; this read of the audit log is not recorded/);
  });

  it('a second run while one is reading waits for the reader log instead of failing', async () => {
    const reads = tempDir();
    const { spawn } = await import('node:child_process');
    const bin = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');
    const env = { ...process.env, AUDITREADY_READER_LOG: reads };
    const runs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<number | null>((resolve) => {
            const p = spawn(bin, ['verify', segmented], { env, stdio: 'ignore' });
            p.on('exit', (code) => resolve(code));
          }),
      ),
    );
    expect(runs).toEqual([0, 0, 0]);
    expect(verifySync(readFileSync(join(reads, 'reads.log'), 'utf8').trim().split('\n')).valid).toBe(true);
  });

  it('a reader log that cannot be opened stops the read (exit 2)', () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const r = cli(['verify', plain], { AUDITREADY_READER_LOG: file });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot open the reader log/);
    expect(r.stdout).toBe('');
  });
});

describe('a run that stops before its verdict', () => {
  it('exits 2 and says so, never 0 (the event loop emptied while verify still awaited its input)', () => {
    const preload = new URL('./fixtures/hang-stdin.mjs', import.meta.url).href;
    const r = cli(['verify', '-'], { NODE_OPTIONS: `--import ${preload}`, AUDITREADY_READER_LOG: 'off' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stopped before finishing (internal error): no verdict');
    expect(r.stdout).not.toMatch(/COMPLETE|CONSISTENT|VALID/);
  });
});
