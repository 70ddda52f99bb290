import type { AuditKey } from '@auditready/core';
import type { VerifyBreak } from '@auditready/core/verify';
import { type Decryption, sealedLines } from './decrypt.js';
import { type Anchor, expandInputs, UsageError } from './inputs.js';
import { createProgress } from './progress.js';
import type { ReaderLog } from './reader-log.js';
import { readCheckpointLines } from './trust.js';
import { type VerifyFilesResult, verifyFiles } from './verify-files.js';
import { isKafkaUrl, loadCheckpoint, parseKafkaUrl, saveCheckpoint, verifyKafka } from './verify-kafka.js';
import { planWindow, type VerifyWindow } from './verify-window.js';

export interface VerifyCommandOptions {
  inputs: string[];
  keys: AuditKey[];
  json: boolean;
  progress: boolean | undefined;
  useHeads: boolean;
  /** Commitments given on the command line (--anchor). */
  anchors: Anchor[];
  allowPartialStart: boolean;
  /** The input is an extract (a query's output). */
  extract?: boolean;
  /** Trusted checkpoint keys (--trust). */
  trust?: string[];
  /** Checkpoint destinations (--checkpoints): files or directories. */
  checkpointLogs?: string[];
  /** Witness cosignature keys (--witness) and how many must have cosigned (--witness-threshold). */
  witnesses?: string[];
  witnessThreshold?: number;
  /** Initial keys of forward-secure chains. */
  forwardSecure?: AuditKey[];
  /** kafka:// only: a checkpoint file to continue from and update. */
  checkpoint?: string;
  /** Other output shares the input (a container's stdout): only audit entries are read. */
  mixed?: boolean;
  /** A window (epoch ms): segments wholly outside it are not read, bridged by their trusted index. */
  since?: number;
  until?: number;
  /** Opens encrypted entries (--identity). */
  decryption?: Decryption;
  reader: ReaderLog;
  argv: string[];
}

const n = (x: number) => x.toLocaleString('en-US');

function describe(b: VerifyBreak): string {
  const where = b.line !== undefined ? `line ${b.line}` : '';
  const seq = b.seq !== undefined ? `seq ${b.seq}${b.toSeq !== undefined ? `..${b.toSeq}` : ''}` : '';
  const chain = b.chain ? `chain ${b.chain.slice(0, 8)}` : '';
  const epoch = b.epoch !== undefined ? `epoch ${b.epoch}` : '';
  return `${b.kind.padEnd(12)} ${[where, chain, seq, epoch].filter(Boolean).join(', ')}: ${b.message}`;
}

/** Exit codes (docs/cli.md): the verdict, and what a script can rely on. */
export const EXIT = { complete: 0, invalid: 1, usage: 2, consistent: 3 } as const;

type Verdict = 'complete' | 'consistent' | 'incomplete' | 'invalid';

function verdictOf(report: VerifyFilesResult['report'], gaps: number): Verdict {
  if (!report.consistent) return 'invalid';
  if (gaps > 0) return 'incomplete';
  return report.complete ? 'complete' : 'consistent';
}

/** The last line: the verdict, and which commitment proved completeness (or why nothing did). */
function checkpointLines(c: VerifyFilesResult['report']['chains'][number]): string[] {
  const k = c.checkpoints;
  if (k === undefined) return [];
  if (k.newest === undefined)
    return [`    checkpoints: none signed by a trusted key${k.unchecked ? ` (${k.unchecked} could not be checked)` : ''}`];
  const x = k.newest;
  return [
    `    checkpoint ${n(x.size)} signed by ${x.keyName} (${x.keyId}) at ${x.ts ?? 'an unknown time'}, from ${x.source}: ${k.verified} checkpoint${k.verified === 1 ? '' : 's'} verified against the tree${k.unchecked ? `, ${k.unchecked} not checkable` : ''}`,
    `    ${n(k.unsealed)} entr${k.unsealed === 1 ? 'y follows' : 'ies follow'} the newest checkpoint, not yet sealed by one`,
    ...(k.witnessed
      ? [
          `    cosigned: checkpoint ${n(k.witnessed.size)} by ${k.witnessed.cosigners.map((w) => `${w.name} at ${new Date(w.timestamp * 1000).toISOString()}`).join(', ')}`,
        ]
      : []),
    ...(k.clockAhead ?? []).map(
      (a) => `    CLOCK AHEAD: checkpoint ${n(a.size)} was cosigned at ${a.cosignedAt}, but an entry it covers says ${a.latestTs}`,
    ),
  ];
}

/** The signed checkpoint behind a verdict, when a head file or anchor was the newest commitment. */
function signedBy(c: VerifyFilesResult['report']['chains'][number]): string {
  const x = c.checkpoints?.newest;
  if (x === undefined || c.commitment?.by.startsWith('checkpoint ')) return '';
  return `; entries 0..${x.size - 1} proven by checkpoint ${n(x.size)} signed by ${x.keyName}${x.ts ? ` at ${x.ts}` : ''}`;
}

function verdictLine(verdict: Verdict, report: VerifyFilesResult['report']): string[] {
  if (verdict === 'invalid') return ['INVALID: see the breaks above.'];
  if (verdict === 'incomplete') return ['INCOMPLETE: no tampering, but the log itself declares lost entries.'];
  const proofs = report.chains.map((c) =>
    c.commitment
      ? `  chain ${c.chain}: complete through seq ${c.commitment.seq}, committed by ${c.commitment.by}${c.uncommitted > 0 ? `; ${n(c.uncommitted)} later entr${c.uncommitted === 1 ? 'y' : 'ies'} present but not covered by any commitment` : ''}${signedBy(c)}`
      : `  chain ${c.chain}: nothing commits to its head (seq ${c.lastSeq}): entries cut from its end would not be noticed`,
  );
  if (verdict === 'complete') return ['COMPLETE: every entry verifies and links, and nothing is missing up to the commitments:', ...proofs];
  return [
    report.chains.length === 0
      ? 'CONSISTENT, NOT PROVEN COMPLETE: the input holds no entries, and nothing says how many there should be.'
      : 'CONSISTENT, NOT PROVEN COMPLETE: every entry present verifies and links, but nothing proves none is missing at the end:',
    ...proofs,
    '  (verify the log directory, whose head file commits to the head, or give one with --anchor <file>;',
    '   with checkpoints, --trust <verifier key> and --checkpoints <destination>)',
  ];
}

const iso = (t: number | undefined) => (t === undefined ? '…' : new Date(t).toISOString());

function windowJson(o: VerifyCommandOptions, w: VerifyWindow) {
  return {
    since: o.since === undefined ? null : iso(o.since),
    until: o.until === undefined ? null : iso(o.until),
    read: w.read.map((f) => f.display),
    notRead: w.skipped.map((f) => f.display),
    notes: w.notes,
  };
}

function windowLine(o: VerifyCommandOptions, w: VerifyWindow): string {
  return `Window ${iso(o.since)} .. ${iso(o.until)}: ${w.read.length} file${w.read.length === 1 ? '' : 's'} read; ${w.skipped.length} segment${w.skipped.length === 1 ? '' : 's'} wholly outside it not read (each chain must link across them through their committed index)`;
}

/** Returns the exit code (EXIT): 0 complete, 1 a break or declared gaps, 3 consistent but not proven complete. */
export async function runVerify(o: VerifyCommandOptions): Promise<number> {
  const kafkaInputs = o.inputs.filter(isKafkaUrl);
  if (kafkaInputs.length > 0 && o.inputs.length > 1) throw new UsageError('a kafka:// topic is verified on its own (one input)');
  if (o.checkpoint !== undefined && kafkaInputs.length === 0) throw new UsageError('--checkpoint applies to a kafka:// input only');
  const windowed = o.since !== undefined || o.until !== undefined;
  if (windowed && kafkaInputs.length > 0)
    throw new UsageError('--since/--until apply to files and directories (a kafka:// topic is read whole)');
  const trust = o.trust && o.trust.length > 0 ? o.trust : undefined;
  if (o.checkpointLogs?.length && !trust) throw new UsageError('--checkpoints needs --trust <verifier key>');
  // Trusted checkpoint keys, and the checkpoints a destination holds (read before the log).
  const witnesses = o.witnesses && o.witnesses.length > 0 ? o.witnesses : undefined;
  if ((witnesses || o.witnessThreshold !== undefined) && !trust)
    throw new UsageError('--witness needs --trust <verifier key> (the log key)');
  const trusted = trust
    ? {
        trust,
        checkpoints: await readCheckpointLines(o.checkpointLogs ?? []),
        ...(witnesses ? { witnesses, ...(o.witnessThreshold !== undefined ? { witnessThreshold: o.witnessThreshold } : {}) } : {}),
      }
    : {};
  let files: { display: string }[];
  let result: VerifyFilesResult;
  let duplicates = 0;
  let kafka: Awaited<ReturnType<typeof verifyKafka>> | undefined;
  let window: VerifyWindow | undefined;
  const started = performance.now();
  if (kafkaInputs.length === 1) {
    const source = parseKafkaUrl(kafkaInputs[0] as string);
    const from = o.checkpoint !== undefined ? loadCheckpoint(o.checkpoint, source.topic) : undefined;
    kafka = await verifyKafka(source, {
      keys: o.keys,
      ...(o.forwardSecure?.length ? { forwardSecure: o.forwardSecure } : {}),
      ...trusted,
      allowPartialStart: o.allowPartialStart,
      ...(from ? { from } : {}),
      ...(o.decryption ? { open: o.decryption.opener } : {}),
    });
    files = [{ display: source.display }];
    result = kafka;
    duplicates = kafka.duplicates;
  } else {
    const expanded = await expandInputs(o.inputs);
    const anchors = [...(o.useHeads ? expanded.anchors : []), ...o.anchors];
    if (windowed) window = await planWindow(expanded.files, anchors, o.since, o.until);
    const toRead = window?.read ?? expanded.files;
    files = toRead;
    const total = toRead.reduce((s, f) => s + f.bytes, 0);
    const progress = createProgress(total, o.progress ?? (process.stderr.isTTY === true && total > 50e6));
    result = await verifyFiles(toRead, {
      ...(o.forwardSecure?.length ? { forwardSecure: o.forwardSecure } : {}),
      ...trusted,
      keys: o.keys,
      anchors,
      ...(window ? { bridges: window.bridges } : {}),
      allowPartialStart: o.allowPartialStart,
      extract: o.extract === true,
      mixed: o.mixed === true,
      ...(o.decryption ? { open: o.decryption.opener } : {}),
      onProgress: (b) => progress.update(b),
    });
    progress.done();
  }
  const secs = (performance.now() - started) / 1000;
  const { report } = result;
  const gaps = report.chains.flatMap((c) => c.gaps.map((g) => ({ chain: c.chain, ...g })));
  const ok = report.valid && gaps.length === 0;
  const verdict = verdictOf(report, gaps.length);
  const code = verdict === 'complete' ? EXIT.complete : verdict === 'consistent' ? EXIT.consistent : EXIT.invalid;
  let savedCheckpoint = false;
  if (kafka && o.checkpoint !== undefined && ok) {
    saveCheckpoint(o.checkpoint, kafka.checkpoint);
    savedCheckpoint = true;
  }
  await o.reader.record({
    command: 'verify',
    argv: o.argv,
    files: files.map((f) => f.display),
    outcome: ok ? 'success' : 'failure',
    summary: {
      result: {
        verdict,
        valid: report.valid,
        entries: report.entries,
        chains: report.chains.length,
        breaks: report.breaks.length,
        gaps: gaps.length,
      },
      ...(window ? { window: { read: window.read.length, skipped: window.skipped.length } } : {}),
    },
  });

  for (const note of window?.notes ?? []) process.stderr.write(`warning: ${note}\n`);
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ verdict, valid: report.valid, consistent: report.consistent, complete: verdict === 'complete', ...(result.skipped !== undefined ? { skipped: result.skipped } : {}), ...(window ? { window: windowJson(o, window) } : {}), files: result.files, chains: report.chains, breaks: report.breaks, ...(report.sealed ? { sealed: report.sealed } : {}), ...(kafka ? { duplicates, replayed: kafka.replayed, checkpoint: kafka.checkpoint, checkpointSaved: savedCheckpoint } : {}) }, null, 2)}\n`,
    );
    return code;
  }
  const out: string[] = [];
  if (result.skipped !== undefined) out.push(`(--mixed: ${n(result.skipped)} line(s) that are not audit entries skipped)`);
  const width = Math.min(60, Math.max(...files.map((f) => f.display.length), 4));
  for (const f of result.files) {
    if (f.valid) out.push(`${f.file.padEnd(width)}  valid     ${n(f.lines)} lines`);
    else {
      out.push(`${f.file.padEnd(width)}  INVALID   ${f.breaks.length} break${f.breaks.length === 1 ? '' : 's'}`);
      for (const b of f.breaks.slice(0, 20)) out.push(`    ${describe(b)}`);
      if (f.breaks.length > 20) out.push(`    … ${f.breaks.length - 20} more (use --json for all)`);
    }
  }
  const unplaced = report.breaks.filter((b) => b.file === undefined);
  if (unplaced.length > 0) {
    out.push('', 'Across files:');
    for (const b of unplaced) out.push(`    ${describe(b)}`);
  }
  out.push('', 'Chains:');
  for (const c of report.chains) {
    out.push(
      `  ${c.chain}  seq ${c.firstSeq}..${c.lastSeq}  ${n(c.count)} entries  head ${c.headHash.slice(0, 16)}…  ${c.valid ? 'valid' : `INVALID (${c.breaks.length} break${c.breaks.length === 1 ? '' : 's'})`}${c.keyIds.length ? `  keys ${c.keyIds.join(',')}` : ''}`,
    );
    out.push(...checkpointLines(c));
    for (const q of c.silences ?? [])
      out.push(
        `    SILENT: no record from ${q.from} to ${q.to} (${Math.round(q.ms / 60_000)} min; heartbeats expected): the logger was down, or records are missing`,
      );
    for (const b of c.bridged ?? []) out.push(`    not read (outside the window): seq ${b.from}..${b.to}, linked through ${b.source}`);
    for (const r of c.retained) out.push(`    retained by policy: seq ${r.from}..${r.to} (${r.file}), declared at seq ${r.declaredAt.seq}`);
    for (const g of c.gaps)
      out.push(`    DECLARED GAP: ${g.from !== undefined ? `seq ${g.from}..${g.to}, ` : ''}${g.count} entries lost: ${g.reason}`);
  }
  const kinds = new Map<string, number>();
  for (const b of report.breaks) kinds.set(b.kind, (kinds.get(b.kind) ?? 0) + 1);
  const omitted = Object.entries(report.omittedBreaks ?? {});
  for (const [k, c] of omitted) kinds.set(k, (kinds.get(k) ?? 0) + (c ?? 0));
  const breakCount = report.breaks.length + omitted.reduce((s, [, c]) => s + (c ?? 0), 0);
  if (omitted.length > 0) out.push('', `(${n(breakCount - report.breaks.length)} more breaks are counted in the summary but not listed)`);
  const validFiles = result.files.filter((f) => f.valid).length;
  out.push(
    '',
    `Results: ${files.length} file${files.length === 1 ? '' : 's'}, ${validFiles} valid, ${files.length - validFiles} INVALID; ${report.chains.length} chain${report.chains.length === 1 ? '' : 's'}, ${n(report.entries)} entries; ${n(breakCount)} break${breakCount === 1 ? '' : 's'}${kinds.size ? ` (${[...kinds].map(([k, c]) => `${c} ${k}`).join(', ')})` : ''}; ${gaps.length} declared gap${gaps.length === 1 ? '' : 's'}`,
    ...(kafka ? [`Exact duplicates dropped (resends after a lost acknowledgement): ${n(duplicates)}`] : []),
    ...(kafka && o.checkpoint !== undefined
      ? [
          `Checkpoint ${o.checkpoint}: ${kafka.from ? 'continued from it' : 'none yet, read from the beginning'}${kafka.replayed ? ` (${n(kafka.replayed)} entries from before it seen again, ignored)` : ''}; ${savedCheckpoint ? 'updated' : 'NOT updated (a break, or entries the log declares lost)'}`,
        ]
      : []),
    ...(window ? [windowLine(o, window)] : []),
    ...sealedLines(report.sealed, o.decryption),
    `Read ${(result.bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(2)} s (${(result.bytes / 1e6 / Math.max(secs, 1e-6)).toFixed(0)} MB/s)`,
    ...verdictLine(verdict, report),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return code;
}
