/** `auditready evidence` and `auditready evidence verify` (docs/evidence.md). */

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseCommand } from './args.js';
import { decryptionFor } from './decrypt.js';
import { createEvidencePack, EvidenceRefusedError } from './evidence.js';
import { verifyEvidencePack } from './evidence-verify.js';
import { UsageError } from './inputs.js';
import { collectKeys, redactArgs } from './keys.js';
import { readCheckpointNote } from './proof-commands.js';
import type { QueryFilters } from './query-command.js';
import { openReaderLog, readerLogDir } from './reader-log.js';
import { readTarGz, writeTarGz } from './tar.js';
import { readTrust } from './trust.js';

export const EVIDENCE_HELP = `auditready evidence — an evidence pack for an auditor

Usage:
  auditready evidence <log files|dirs...> [filters] --trust <key|file> --sign-key <file> --out <dir>
                      [--sample <n>] [--seed <text>] [--earlier-checkpoint <file>]
      The population of records in the scope (the filters of auditready query: --actor, --action,
      --resource, --outcome, --status, --since, --until, --service, --kind), verified complete, with a
      reproducible sample (seed printed) each with its inclusion proof, the checkpoints, the log's
      own records of the window (gaps, clock steps, retention), PCI DSS 10.2.2 field coverage, and
      a manifest of every file's SHA-256 signed with --sign-key (a signer key as keygen writes it);
      in <dir> and as one file, <dir>.tar.gz. With --earlier-checkpoint (a checkpoint you kept, a
      signed note or a checkpoint record's line), a consistency proof from it to today's newest;
      the reader log's records of the window (who read the logs) go in reads.jsonl. An encrypted log
      needs --identity <file> (and --keys <dir> unless keys/ is beside it) for its filters: the
      population stays the sealed lines (their hashes and proofs), population-opened.jsonl and
      population.csv show their content. With --witness
      <key|file> (repeatable) and --witness-threshold <k>, completeness needs a checkpoint cosigned
      by k of those witnesses (see auditready help verify).
      With --since/--until, segments whose index sidecar (committed in the log) puts them wholly
      outside the window are not read: each chain links across them through their sidecars, and
      proofs use the Merkle roots the sidecars keep (--no-index reads everything; the pack is the
      same, and scope.json lists the segments not read).
      A log that does not verify gives no pack (exit 1, the break named).
  auditready evidence verify <dir|pack.tar.gz> --trust <key|file>...
      Checks a pack offline, without the log: the manifest's signature (give the extraction key
      with --trust as well), every file's hash, each population record's own hash, each sample
      proof against its signed checkpoint. Exit 0 valid, 1 not.
`;

const FILTERS = ['actor', 'action', 'resource', 'outcome', 'since', 'until', 'kind', 'service'] as const;

export async function runEvidence(rest: string[], env: NodeJS.ProcessEnv, argv: string[]): Promise<number> {
  const verifyMode = rest[0] === 'verify';
  const parsed = parseCommand(verifyMode ? rest.slice(1) : rest, {
    trust: { type: 'string', multiple: true },
    'sign-key': { type: 'string' },
    out: { type: 'string' },
    sample: { type: 'string' },
    seed: { type: 'string' },
    'earlier-checkpoint': { type: 'string', multiple: true },
    witness: { type: 'string', multiple: true },
    'witness-threshold': { type: 'string' },
    key: { type: 'string', multiple: true },
    'key-file': { type: 'string', multiple: true },
    'reader-log': { type: 'string' },
    index: { type: 'boolean' },
    status: { type: 'string', multiple: true },
    identity: { type: 'string', multiple: true },
    keys: { type: 'string', multiple: true },
    'subject-keys': { type: 'string' },
    ...Object.fromEntries(FILTERS.map((f) => [f, { type: 'string' as const }])),
  });
  const { values, positionals } = parsed as { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  if (values.help) {
    process.stdout.write(EVIDENCE_HELP);
    return 0;
  }
  const trust = readTrust((values.trust as string[] | undefined) ?? []);
  if (trust.length === 0)
    throw new UsageError('evidence needs --trust <verifier key>: the log key (and, to verify a pack, the extraction key)');
  if (verifyMode) {
    let dir = positionals[0];
    if (dir === undefined || !existsSync(dir)) throw new UsageError('evidence verify needs the pack (its directory or .tar.gz)');
    if (dir.endsWith('.tar.gz') || dir.endsWith('.tgz')) dir = readTarGz(dir, mkdtempSync(join(tmpdir(), 'ar-evidence-')));
    const r = verifyEvidencePack(dir, trust);
    process.stdout.write(
      r.valid
        ? `VALID: ${r.population} records, ${r.sampleVerified} sample proofs verified, every file as signed\n`
        : `INVALID:\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`,
    );
    return r.valid ? 0 : 1;
  }
  const signKey = values['sign-key'] as string | undefined;
  const out = values.out as string | undefined;
  if (!signKey || !existsSync(signKey)) throw new UsageError('evidence needs --sign-key <file> (a signer key: auditready keygen)');
  if (!out) throw new UsageError('evidence needs --out <dir>');
  if (existsSync(out)) throw new UsageError(`${out} exists: a pack is written to a new directory`);
  if (positionals.length === 0) throw new UsageError('evidence needs the log (files or directories)');
  const filters: QueryFilters = {};
  for (const f of FILTERS) if (typeof values[f] === 'string') filters[f] = values[f] as string;
  if (Array.isArray(values.status)) filters.status = values.status.join(',');
  const sample = values.sample === undefined ? undefined : Number(values.sample);
  if (sample !== undefined && (!Number.isInteger(sample) || sample < 0)) throw new UsageError(`--sample ${values.sample}: a whole number`);
  const threshold = values['witness-threshold'] === undefined ? undefined : Number(values['witness-threshold']);
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 1))
    throw new UsageError(`--witness-threshold ${values['witness-threshold']}: a whole number >= 1`);
  const reader = await openReaderLog(readerLogDir(values['reader-log'] as string | undefined, env));
  const decryption = await decryptionFor(
    (values.identity as string[] | undefined) ?? [],
    env,
    positionals,
    (values.keys as string[] | undefined) ?? [],
  );
  try {
    const r = await createEvidencePack({
      ...(decryption ? { open: decryption.opener } : {}),
      inputs: positionals,
      filters,
      trust,
      signerKey: readFileSync(signKey, 'utf8').trim(),
      out,
      keys: collectKeys((values.key as string[]) ?? [], (values['key-file'] as string[]) ?? [], env.AUDITREADY_KEYS),
      ...(sample !== undefined ? { sample } : {}),
      ...(typeof values.seed === 'string' ? { seed: values.seed } : {}),
      index: values.index !== false,
      earlierCheckpoints: ((values['earlier-checkpoint'] as string[] | undefined) ?? []).map(readCheckpointNote),
      witnesses: readTrust((values.witness as string[] | undefined) ?? [], 'witness'),
      ...(threshold !== undefined ? { witnessThreshold: threshold } : {}),
      ...(readerLogDir(values['reader-log'] as string | undefined, env) !== 'off'
        ? { readerLog: readerLogDir(values['reader-log'] as string | undefined, env) }
        : {}),
    });
    await reader.record({
      command: 'evidence',
      argv: redactArgs(argv),
      files: positionals,
      outcome: 'success',
      summary: { filters, population: r.population, out },
    });
    writeTarGz(out, `${out}.tar.gz`, basename(out));
    process.stdout.write(
      `evidence pack written to ${out} (and ${out}.tar.gz): ${r.population} records, ${r.sample} sampled (seed ${r.seed}), ${r.complete ? 'proven complete' : 'NOT proven complete (see scope.json)'}\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof EvidenceRefusedError)) throw err;
    await reader.record({
      command: 'evidence',
      argv: redactArgs(argv),
      files: positionals,
      outcome: 'failure',
      summary: { filters, refused: err.message },
    });
    process.stdout.write(`REFUSED: ${err.message}\n`);
    return 1;
  }
}
