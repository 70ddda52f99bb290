import type { AuditEntry, AuditKey, ChainHead, EntryFormat } from '@auditready/core';
import { feedStream, Verifier } from '@auditready/core/verify';
import { type Decryption, keyDirsOf } from './decrypt.js';
import { expandInputs, openBytes, rangesOf, readRanges, UsageError } from './inputs.js';
import { type LineCounts, lineHandler, TABLE_WIDTHS } from './line-handler.js';
import { PARALLEL_MIN_BYTES, scanFileParallel } from './parallel-scan.js';
import type { ReaderLog } from './reader-log.js';
import { BufferedOutput, isSelective, lineFilterOf, mayMatch, scanFile, scanLines } from './scan.js';
import { indexCriteria, planSegments } from './segment-plan.js';

export interface QueryFilters {
  actor?: string;
  action?: string;
  resource?: string;
  outcome?: string;
  status?: string;
  since?: string;
  until?: string;
  requestId?: string;
  traceId?: string;
  kind?: string;
  /** service.name; * is a wildcard. */
  service?: string;
}

export interface QueryCommandOptions {
  inputs: string[];
  filters: QueryFilters;
  format: 'ndjson' | 'csv' | 'table' | EntryFormat;
  verify: boolean;
  keys: AuditKey[];
  limit: number | undefined;
  reader: ReaderLog;
  argv: string[];
  /** Use segment index sidecars to skip segments (default true; never with verify). */
  index?: boolean;
  /** Opens encrypted entries (--identity): filters and output see their content. */
  decryption?: Decryption;
}

/** `24h`, `7d`, `30m`, `90s` ago, or an RFC 3339 / ISO date. Returns epoch ms. */
export function parseTime(text: string, flag: string, now = Date.now()): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} ${text}: not a time (use RFC 3339 like 2026-11-27T10:00:00Z, or 30m, 24h, 7d)`);
  return t;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** Kinds hidden unless --kind names them: the chain's own bookkeeping (starts, resumes, checkpoints, epochs). */
const BOOKKEEPING = new Set(['genesis', 'recovered', 'checkpoint', 'epoch']);

export function buildPredicate(f: QueryFilters): (e: AuditEntry) => boolean {
  const tests: ((e: AuditEntry) => boolean)[] = [];
  if (f.actor !== undefined) {
    const re = globToRegExp(f.actor);
    // As the table shows it: the id, or the type of an actor without one (anonymous, system).
    tests.push((e) => re.test(e.actor?.id ?? e.actor?.type ?? '') || re.test(e.actor?.impersonator?.id ?? '\u0000'));
  }
  if (f.action !== undefined) {
    const re = globToRegExp(f.action);
    tests.push((e) => re.test(e.action ?? ''));
  }
  if (f.resource !== undefined) {
    const [type, id] = f.resource.split(':', 2);
    const tre = globToRegExp(type as string);
    const ire = id === undefined ? undefined : globToRegExp(id);
    tests.push((e) => e.resource !== undefined && tre.test(e.resource.type) && (ire === undefined || ire.test(e.resource.id ?? '')));
  }
  if (f.outcome !== undefined) {
    const allowed = new Set(f.outcome.split(','));
    for (const o of allowed)
      if (!['success', 'failure', 'denied', 'error', 'aborted'].includes(o))
        throw new UsageError(`--outcome ${o}: one of success, failure, denied, error, aborted`);
    tests.push((e) => e.outcome !== undefined && allowed.has(e.outcome));
  }
  if (f.status !== undefined) {
    const any = f.status.split(',').map((s): ((status: number) => boolean) => {
      const m = /^([1-5])xx$/i.exec(s);
      if (m) return (st) => Math.floor(st / 100) === Number(m[1]);
      if (/^\d{3}$/.test(s)) return (st) => st === Number(s);
      throw new UsageError(`--status ${s}: a code like 403 or a class like 4xx`);
    });
    tests.push((e) => e.http?.status !== undefined && any.some((t) => t(e.http?.status as number)));
  }
  if (f.since !== undefined) {
    const t = parseTime(f.since, '--since');
    tests.push((e) => Date.parse(e.ts) >= t);
  }
  if (f.until !== undefined) {
    const t = parseTime(f.until, '--until');
    tests.push((e) => Date.parse(e.ts) < t);
  }
  if (f.requestId !== undefined) {
    const re = globToRegExp(f.requestId);
    tests.push((e) => re.test(e.http?.requestId ?? (e.details?.requestId as string | undefined) ?? '\u0000'));
  }
  if (f.traceId !== undefined) tests.push((e) => e.trace?.traceId === f.traceId);
  if (f.service !== undefined) {
    const re = globToRegExp(f.service);
    tests.push((e) => re.test(e.service?.name ?? ''));
  }
  if (f.kind !== undefined) {
    const kinds = new Set(f.kind.split(','));
    tests.push((e) => kinds.has(e.kind));
  } else {
    // The chain's own bookkeeping (where a chain starts or resumes) answers no question about
    // accesses: shown only when asked for with --kind. Gaps, rejected input, clock steps and
    // retention stay: an auditor must see them.
    // Index notices (the file transport committing a segment's sidecar) are bookkeeping too.
    tests.push(
      (e) => !BOOKKEEPING.has(e.kind) && !(e.kind === 'notice' && (e.details as { index?: unknown } | undefined)?.index !== undefined),
    );
  }
  return (e) => tests.every((t) => t(e));
}

export const COLUMNS: [string, (e: AuditEntry) => unknown][] = [
  ['ts', (e) => e.ts],
  ['kind', (e) => e.kind],
  ['actor', (e) => e.actor?.id ?? e.actor?.type],
  ['action', (e) => e.action],
  ['resource', (e) => (e.resource ? `${e.resource.type}${e.resource.id ? `:${e.resource.id}` : ''}` : undefined)],
  ['outcome', (e) => e.outcome],
  ['status', (e) => e.http?.status],
  ['method', (e) => e.http?.method],
  ['route', (e) => e.http?.route ?? e.http?.path],
  ['ip', (e) => e.actor?.ip],
  ['requestId', (e) => e.http?.requestId],
  ['traceId', (e) => e.trace?.traceId],
  ['reason', (e) => e.reason],
  ['chain', (e) => e.chain],
  ['seq', (e) => e.seq],
];

/** RFC 4180 field; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function tableRow(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => (c.length > (widths[i] as number) ? `${c.slice(0, (widths[i] as number) - 1)}…` : c.padEnd(widths[i] as number)))
    .join('  ')
    .trimEnd();
}

export async function runQuery(o: QueryCommandOptions): Promise<number> {
  const { files, anchors } = await expandInputs(o.inputs);
  const open = o.decryption?.opener;
  const verifier = o.verify ? new Verifier({ keys: o.keys, anchors: anchors as ChainHead[], ...(open ? { open } : {}) }) : undefined;
  if (!open) warnIfEncrypted(o.inputs);
  const out = process.stdout;
  if (o.format === 'csv') out.write(`${COLUMNS.map(([h]) => h).join(',')}\n`);
  if (o.format === 'table')
    out.write(
      `${tableRow(
        COLUMNS.slice(0, 9).map(([h]) => h),
        TABLE_WIDTHS,
      )}\n`,
    );
  const since = o.filters.since === undefined ? undefined : parseTime(o.filters.since, '--since');
  const until = o.filters.until === undefined ? undefined : parseTime(o.filters.until, '--until');
  // Sealed content cannot be matched in the bytes: with --identity, only time and kind (in the clear) are.
  const filter = open
    ? lineFilterOf({ ...(o.filters.kind ? { kind: o.filters.kind } : {}) }, since, until)
    : lineFilterOf(o.filters, since, until);
  const output = new BufferedOutput(out);
  // A line that may match (its bytes hold what the filters need) is parsed and tested in full.
  const counts: LineCounts = { matched: 0, unparseable: 0 };
  const handle = lineHandler(o.filters, o.format, counts, open);
  const consider = (buf: Buffer, start: number, end: number): boolean => {
    if (o.limit !== undefined && counts.matched >= o.limit) return false;
    const text = handle(buf, start, end);
    if (text !== undefined) output.push(text);
    return true;
  };
  // Segments whose trusted index says they cannot match are not read (never when verifying).
  const plan = verifier || o.index === false ? undefined : await planSegments(files, indexCriteria(o.filters, since, until));
  for (const d of plan?.distrusted ?? []) process.stderr.write(`warning: ${d}\n`);
  const toRead = plan?.read ?? files;
  // The selected blocks of the next segment are read while this one is scanned.
  let ahead: Promise<Buffer[] | undefined> | undefined;
  for (const [i, f] of toRead.entries()) {
    const mine = ahead;
    const following = toRead[i + 1];
    ahead = following?.ranges !== undefined && o.limit === undefined ? readRanges(following) : undefined;
    ahead?.catch(() => undefined); // awaited when its turn comes; not left unhandled if the loop stops first
    if (f.ranges !== undefined) {
      await scanLines(
        rangesOf(f, () => {}, mine),
        filter,
        consider,
        () => output.flush(),
      );
      if (o.limit !== undefined && counts.matched >= o.limit) break;
    } else if (verifier) {
      // Every line goes to the verifier; only those that may match are parsed.
      await feedStream(
        verifier,
        openBytes(f, () => {}),
        {
          file: f.display,
          onLine: (buf, start, end) => {
            const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
            if (mayMatch(filter, b, start, end)) consider(b, start, end);
          },
        },
      );
      await output.flush();
    } else if (
      o.limit === undefined &&
      open === undefined &&
      f.path !== '-' &&
      f.ranges === undefined &&
      !f.path.endsWith('.gz') &&
      f.bytes >= PARALLEL_MIN_BYTES &&
      !isSelective(filter)
    ) {
      // A large plain file where many lines must be parsed: both cores (parallel-scan.ts).
      await scanFileParallel(f.path, o.filters, o.format, filter, output, counts);
    } else if (f.path !== '-' && f.ranges === undefined && !f.path.endsWith('.gz')) {
      await scanFile(f.path, filter, consider, () => output.flush());
      if (o.limit !== undefined && counts.matched >= o.limit) break;
    } else {
      await scanLines(
        openBytes(f, () => {}),
        filter,
        consider,
        () => output.flush(),
      );
      if (o.limit !== undefined && counts.matched >= o.limit) break;
    }
  }
  await output.flush();
  const report = verifier ? await verifier.finishAsync() : undefined;
  const gaps = report ? report.chains.reduce((s, c) => s + c.gaps.length, 0) : 0;
  // Known-good evidence: untampered, nothing declared lost, and proven complete by a commitment.
  const ok = report === undefined || (report.complete && gaps === 0);
  await o.reader.record({
    command: 'query',
    argv: o.argv,
    files: files.map((x) => x.display),
    outcome: ok ? 'success' : 'failure',
    summary: {
      filters: o.filters,
      matched: counts.matched,
      ...(plan ? { segments: { read: plan.read.length, skipped: plan.skipped.length } } : {}),
      ...(report ? { verified: { valid: report.valid, entries: report.entries, breaks: report.breaks.length, gaps } } : {}),
    },
  });
  if (counts.unparseable > 0) process.stderr.write(`warning: ${counts.unparseable} unparseable line(s) skipped\n`);
  if (counts.sealed)
    process.stderr.write(
      `warning: ${counts.sealed} encrypted entr${counts.sealed === 1 ? 'y' : 'ies'} could not be opened (no identity for their data key, or altered): not matched\n`,
    );
  if (report) {
    if (ok)
      process.stderr.write(
        `verified: COMPLETE — ${report.entries} entries in ${report.chains.length} chain(s) verify, link, and are proven complete by ${[...new Set(report.chains.map((c) => c.commitment?.by))].join(', ')}; ${counts.matched} matched\n`,
      );
    else {
      process.stderr.write(
        `verified: ${!report.valid ? 'INVALID' : gaps > 0 ? 'INCOMPLETE (declared gaps)' : 'CONSISTENT, NOT PROVEN COMPLETE (no head file or anchor commits to the head)'} — this output is not known-good evidence\n`,
      );
      for (const b of report.breaks.slice(0, 20))
        process.stderr.write(`  ${b.kind} ${b.file ?? ''}:${b.line ?? ''} seq ${b.seq ?? '?'}: ${b.message}\n`);
    }
  }
  return ok ? 0 : 1;
}

/** Without --identity, on a log with a key directory: content filters see only entries in the clear. */
function warnIfEncrypted(inputs: readonly string[]): void {
  const dirs = keyDirsOf(inputs, []);
  if (dirs.length > 0)
    process.stderr.write(
      `warning: ${dirs.join(', ')} holds data keys: this log is encrypted at rest, and encrypted entries match only --since/--until/--kind (give --identity <file> to search their content)\n`,
    );
}
