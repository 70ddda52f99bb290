/**
 * `auditready` — verify and query audit logs. Exit codes: 0 valid; 1 tampering or gaps found;
 * 2 usage or I/O error.
 */

import { KEY_AND_READER_OPTIONS, parseCommand } from './args.js';
import { COVERAGE_HELP, runCoverage } from './coverage.js';
import { decryptionFor } from './decrypt.js';
import { DRILL_HELP, runDrillCommand } from './drill.js';
import { ERASE_HELP, runErase } from './erase-command.js';
import { EVIDENCE_HELP, runEvidence } from './evidence-command.js';
import { readAnchor, UsageError } from './inputs.js';
import { KEYGEN_HELP, runKeygen } from './keygen-command.js';
import { collectFssKeys, collectKeys, redactArgs } from './keys.js';
import { PROOF_HELP, runConsistency, runProve, runVerifyProof } from './proof-commands.js';
import { parseTime, type QueryCommandOptions, type QueryFilters, runQuery } from './query-command.js';
import { openReaderLog, readerLogDir } from './reader-log.js';
import { REWRAP_HELP, runRewrap } from './rewrap-command.js';
import { readTrust } from './trust.js';
import { runVerify } from './verify-command.js';
import { CLI_VERSION } from './version.js';

const VERSION = CLI_VERSION;
const PROOF_TOPICS = new Set(['prove', 'verify-proof', 'consistency']);

const MAIN_HELP = `auditready ${VERSION} — verify and query audit logs

Usage:
  auditready verify <files|dirs|globs...> [options]   prove logs complete and untampered
  auditready query  <files|dirs|globs...> [filters]   search logs (NDJSON, CSV or a table)
  auditready keygen --name <name> --out <file>        a key pair for signing checkpoints
  auditready rewrap <dir> --identity <f> --recipient <age1…>  re-wrap an encrypted log's data keys for other readers
  auditready erase <dir> --subject <id> --pseudonym-key-file <f>  erase a person: destroy their keys, record it
  auditready evidence <log...> [filters] --out <dir>  an evidence pack for an auditor (and evidence verify)
  auditready coverage --routes <file> <log...>        which of the app's routes the log shows audited
  auditready drill <url> --log <source>               a simulated audit: marked requests must reach the log
  auditready prove <log...> --seq <n>                 one entry's inclusion proof (C2SP tlog-proof)
  auditready verify-proof <file> --trust <key>        check such a proof offline
  auditready consistency <old checkpoint> <log...>    prove the log extends a checkpoint you kept
  auditready help [command]                           this help, or a command's

Every verify and query run is recorded in a reader log (see --reader-log).
verify's exit codes: 0 complete, 1 tampering or declared gaps, 2 usage or I/O error, 3 consistent but
not proven complete (see auditready help verify).
`;

const KEY_HELP = `Keys (for HMAC-keyed chains):
  --key <id>=<secret>      repeatable; secret is hex:<hex> or base64:<base64>
  --key-file <path>        one <id>=<secret> per line (# comments)
  AUDITREADY_KEYS          the same lines, from the environment
  --fss-key-file <path>    initial keys k(0) of forward-secure chains, <id>=<secret> lines (or
                           AUDITREADY_FSS_KEYS); never on the command line. Their holder can forge
                           any epoch: keep them offline, with the auditor
  Prefer a key file or the environment: command lines are visible to other users.
Encrypted logs (docs/encryption.md):
  --identity <file>        age identities (AGE-SECRET-KEY-1…, one per line, as age-keygen writes
                           them; or AUDITREADY_IDENTITY_FILE) that open the log's data keys; with
                           them each entry's content is opened and checked (verify), searched and
                           printed (query), or put in the pack (evidence). Never on the command line
  --keys <dir>             the data keys' directory (default: keys/ beside the log)
  --subject-keys <dir>     erasure: the subject keys (e.g. subjects/ beside the log); with them the
                           personal fields are opened, and read [erased] for erased subjects
  Without an identity an encrypted log still verifies (hashes, links, checkpoints cover the
  ciphertext); only its content is neither checked nor searched.`;

const READER_HELP = `Reader log (reads of the log are themselves audited):
  --reader-log <dir>       where this run is recorded (default: AUDITREADY_READER_LOG, else
                           $XDG_STATE_HOME/auditready/reads, i.e. ~/.local/state/auditready/reads);
                           "off" disables it (and says so on stderr)`;

const VERIFY_HELP = `auditready verify — prove audit logs complete and untampered

Usage: auditready verify <files|dirs|globs...> [options]
       kubectl logs deploy/api | auditready verify - --mixed     (- is standard input)
       auditready verify kafka://host:port[,host:port...]/topic [options]

A kafka:// input reads the topic from the beginning until no message arrives for 3 s, drops exact
resends and verifies every chain in it (needs: npm install @auditready/transport-kafka kafkajs).
With --checkpoint <file>, it reads from where the file says the last run stopped (each chain must
link to the head that run verified) and, when the read is valid, writes the new checkpoint there.

Inputs are read in the order given; a directory contributes its *.log, *.ndjson and *.jsonl files
(.gz included) in name order, and its <name>.head.json commitments as anchors (truncation of the
tail is detected against them). Quote globs: 'logs/*.log.gz'. Files named one by one, and globs,
bring no head file: give it with --anchor to prove them complete.

Prints per-file status (valid / INVALID with each break: kind, line, chain, seq, reason), the
chains found (seq range, head hash, retained and declared-gap ranges) and the verdict:
  COMPLETE     every entry verifies and links, and every chain meets a commitment to its head
               (a head file or --anchor, a later chain's genesis link, or a checkpoint signed by
               a --trust key), named in the verdict
  CONSISTENT   every entry present verifies and links, but nothing commits to some chain's head:
               entries cut from its end would look the same (a file or glob without its head)
  INCOMPLETE   no tampering, but the log declares lost entries (gap records)
  INVALID      a break: each is listed with its kind and position

Options:
  --json                   machine-readable report on stdout
  --progress / --no-progress   progress bar on stderr (default: on a terminal, for inputs > 50 MB)
  --no-heads               ignore <name>.head.json commitments
  --anchor <file>          a commitment to a chain's head: a head file, or JSON { chain, seq, hash }
                           kept elsewhere (repeatable)
  --partial                the input starts mid-chain on purpose (do not report the missing start)
  --mixed                  other output shares the input (a container's stdout, the app's own
                           logs): only lines that are audit entries (or SIEM-format records that
                           carry one) are read, the others counted; a tampered entry still shows
                           as missing from its chain
  --extract                the input is a query's output: each entry's hash and the links between
                           consecutive seqs are checked, left-out seqs are not breaks (never COMPLETE)
  --checkpoint <file>      kafka:// only: continue from this checkpoint (if the file exists) and
                           save the new one there when the result is valid and complete
  --trust <key|file>       a trusted checkpoint key (name+id+base64, as keygen prints it), or a file
                           of them (repeatable): every signed checkpoint in the log is checked
                           against the Merkle tree of its entries, and a chain is COMPLETE through
                           its newest checkpoint that verifies (the verdict names it, and counts
                           the entries after it that no checkpoint seals yet)
  --checkpoints <path>     where the logger's checkpoint destination wrote (a file, a directory or a
                           kafka://host:port/topic):
                           each checkpoint there must match the log, and a log that ends before
                           one was cut (needs --trust)
  --witness <key|file>     a witness's cosignature key (name+id+base64, type 0x04, as litewitness
                           prints it), or a file of them (repeatable): only a checkpoint cosigned
                           by enough of them proves completeness, and entries later than a
                           cosignature of a checkpoint that covers them are reported (clock ahead)
  --witness-threshold <k>  cosignatures required (default 1)
  --since <time> / --until <time>   verify a window of an archive (RFC 3339, or 30m / 24h / 7d
                           ago): segments whose index sidecar puts them wholly outside it are not
                           read; each chain must link across them through the hashes their
                           sidecars hold, and those sidecars count only through index notices a
                           head file or --anchor covers (docs/spec/segment-index.md)
${KEY_HELP}
${READER_HELP}

Exit codes: 0 COMPLETE; 1 INVALID or INCOMPLETE; 2 usage or I/O error; 3 CONSISTENT (not proven complete).
`;

const QUERY_HELP = `auditready query — search audit logs

Usage: auditready query <files|dirs|globs...> [filters] [options]

Filters (all must match; * is a wildcard in actor, action, resource and service):
  --actor <id>             actor id (or the impersonator's)
  --action <name>          e.g. invoice.read, 'admin.*'
  --resource <type[:id]>   e.g. invoice, invoice:inv_1001
  --outcome <o[,o]>        success, failure, denied, error, aborted
  --status <code|Nxx>      HTTP status, e.g. 403 or 5xx; repeat it or list them (403,5xx) for either
  --since <time>           RFC 3339 time, or 30m / 24h / 7d ago
  --until <time>           (exclusive)
  --request-id <id>        exact; * is a wildcard (req-7*)
  --trace-id <id>
  --service <name>         the service that wrote the entry (service.name); * is a wildcard
  --kind <k[,k]>           access, event, gap, retention, ... (genesis, recovered, checkpoint and
                           epoch records and index notices, the chain's own bookkeeping, are
                           listed only when named here)

Options:
  --format <f>             ndjson (default: the lines unchanged, verifiable on their own), csv, table,
                           or a SIEM's schema, one JSON document per line, each carrying the original
                           line: ocsf (OCSF 1.x API Activity / Authentication), ecs (Elastic Common
                           Schema), otel-json (OTLP/JSON log records) — docs/formats.md
  --limit <n>              stop printing after n matches
  --no-index               read every segment (by default a segment whose index sidecar, trusted
                           through the log's own commitments, says it cannot match is skipped)
  --verify                 verify everything read, while reading; the summary goes to stderr and
                           the exit code is 1 unless the input is complete and untampered (a
                           simulated audit run: evidence handed over is known-good)
${KEY_HELP}
${READER_HELP}
`;

/** Every subcommand's parse: the shared options (--help, keys, reader log) and its own. */
const parse = <T extends Parameters<typeof parseCommand>[1]>(args: string[], options: T) =>
  parseCommand(args, { ...KEY_AND_READER_OPTIONS, ...options });

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = rest[0];
      const topics: Record<string, string> = {
        verify: VERIFY_HELP,
        query: QUERY_HELP,
        keygen: KEYGEN_HELP,
        evidence: EVIDENCE_HELP,
        coverage: COVERAGE_HELP,
        drill: DRILL_HELP,
        rewrap: REWRAP_HELP,
        erase: ERASE_HELP,
        ...Object.fromEntries([...PROOF_TOPICS].map((t) => [t, PROOF_HELP])),
      };
      process.stdout.write((topic !== undefined ? topics[topic] : undefined) ?? MAIN_HELP);
      return 0;
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (command === 'keygen') {
      const { values } = parse(rest, { name: { type: 'string' }, out: { type: 'string' } });
      if (values.help) {
        process.stdout.write(KEYGEN_HELP);
        return 0;
      }
      return runKeygen(values.name, values.out);
    }
    if (command !== undefined && PROOF_TOPICS.has(command)) {
      const { values, positionals } = parse(rest, {
        seq: { type: 'string' },
        chain: { type: 'string' },
        trust: { type: 'string', multiple: true },
        out: { type: 'string' },
        json: { type: 'boolean' },
      });
      if (values.help) {
        process.stdout.write(PROOF_HELP);
        return 0;
      }
      const trust = readTrust(values.trust ?? []);
      const out = values.out !== undefined ? { out: values.out } : {};
      if (command === 'prove')
        return await runProve(positionals, {
          ...(values.seq !== undefined ? { seq: values.seq } : {}),
          ...(values.chain ? { chain: values.chain } : {}),
          trust,
          ...out,
        });
      if (command === 'verify-proof') return runVerifyProof(positionals[0], { trust, json: values.json === true });
      return await runConsistency(positionals, { trust, ...out });
    }
    if (command === 'evidence') return await runEvidence(rest, env, argv);
    if (command === 'rewrap') return await runRewrap(rest, env);
    if (command === 'erase') return await runErase(rest, env);
    if (command === 'coverage') return await runCoverage(rest, env, argv);
    if (command === 'drill') return await runDrillCommand(rest, env, argv);
    if (command === 'verify') {
      const { values, positionals } = parse(rest, {
        json: { type: 'boolean' },
        progress: { type: 'boolean' },
        heads: { type: 'boolean' },
        anchor: { type: 'string', multiple: true },
        extract: { type: 'boolean' },
        partial: { type: 'boolean' },
        checkpoint: { type: 'string' },
        trust: { type: 'string', multiple: true },
        checkpoints: { type: 'string', multiple: true },
        witness: { type: 'string', multiple: true },
        'witness-threshold': { type: 'string' },
        'fss-key-file': { type: 'string', multiple: true },
        mixed: { type: 'boolean' },
        since: { type: 'string' },
        until: { type: 'string' },
        identity: { type: 'string', multiple: true },
        keys: { type: 'string', multiple: true },
        'subject-keys': { type: 'string' },
      });
      if (values.help) {
        process.stdout.write(VERIFY_HELP);
        return 0;
      }
      const keys = collectKeys(values.key ?? [], values['key-file'] ?? [], env.AUDITREADY_KEYS);
      if (positionals.length === 0) throw new UsageError('verify needs at least one file, directory or glob (see auditready help verify)');
      const reader = await openReaderLog(readerLogDir(values['reader-log'], env));
      const decryption = await decryptionFor(values.identity ?? [], env, positionals, values.keys ?? [], values['subject-keys']);
      return await runVerify({
        ...(decryption ? { decryption } : {}),
        inputs: positionals,
        keys,
        json: values.json === true,
        progress: values.progress,
        useHeads: values.heads !== false,
        anchors: (values.anchor ?? []).map(readAnchor),
        allowPartialStart: values.partial === true,
        extract: values.extract === true,
        mixed: values.mixed === true,
        ...(values.since !== undefined ? { since: parseTime(values.since, '--since') } : {}),
        ...(values.until !== undefined ? { until: parseTime(values.until, '--until') } : {}),
        ...(values.checkpoint !== undefined ? { checkpoint: values.checkpoint } : {}),
        trust: readTrust(values.trust ?? []),
        checkpointLogs: values.checkpoints ?? [],
        witnesses: readTrust(values.witness ?? [], 'witness'),
        forwardSecure: collectFssKeys(values['fss-key-file'] ?? [], env.AUDITREADY_FSS_KEYS),
        ...(values['witness-threshold'] !== undefined
          ? { witnessThreshold: wholeNumber(values['witness-threshold'], '--witness-threshold') }
          : {}),
        reader,
        argv: redactArgs(argv),
      });
    }
    if (command === 'query') {
      const { values, positionals } = parse(rest, {
        actor: { type: 'string' },
        action: { type: 'string' },
        resource: { type: 'string' },
        outcome: { type: 'string' },
        status: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        'request-id': { type: 'string' },
        'trace-id': { type: 'string' },
        kind: { type: 'string' },
        service: { type: 'string' },
        format: { type: 'string' },
        limit: { type: 'string' },
        verify: { type: 'boolean' },
        index: { type: 'boolean' },
        identity: { type: 'string', multiple: true },
        keys: { type: 'string', multiple: true },
        'subject-keys': { type: 'string' },
      });
      if (values.help) {
        process.stdout.write(QUERY_HELP);
        return 0;
      }
      const format = values.format ?? 'ndjson';
      if (!['ndjson', 'csv', 'table', 'ocsf', 'ecs', 'otel-json'].includes(format))
        throw new UsageError(`--format ${format}: one of ndjson, csv, table, ocsf, ecs, otel-json`);
      let limit: number | undefined;
      if (values.limit !== undefined) {
        limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit ${values.limit}: a whole number`);
      }
      const keys = collectKeys(values.key ?? [], values['key-file'] ?? [], env.AUDITREADY_KEYS);
      if (positionals.length === 0) throw new UsageError('query needs at least one file, directory or glob (see auditready help query)');
      const filters: QueryFilters = {};
      for (const [flag, name] of [
        ['actor', 'actor'],
        ['action', 'action'],
        ['resource', 'resource'],
        ['outcome', 'outcome'],
        ['status', 'status'],
        ['since', 'since'],
        ['until', 'until'],
        ['request-id', 'requestId'],
        ['trace-id', 'traceId'],
        ['kind', 'kind'],
        ['service', 'service'],
      ] as const) {
        const v = values[flag];
        if (typeof v === 'string') filters[name] = v;
        else if (Array.isArray(v)) filters[name] = v.join(','); // --status 403 --status 5xx: either
      }
      const reader = await openReaderLog(readerLogDir(values['reader-log'], env));
      const decryption = await decryptionFor(values.identity ?? [], env, positionals, values.keys ?? [], values['subject-keys']);
      return await runQuery({
        ...(decryption ? { decryption } : {}),
        inputs: positionals,
        filters,
        format: format as QueryCommandOptions['format'],
        verify: values.verify === true,
        index: values.index !== false,
        keys,
        limit,
        reader,
        argv: redactArgs(argv),
      });
    }
    throw new UsageError(
      `unknown command "${command}" (commands: verify, query, evidence, coverage, drill, keygen, rewrap, erase, prove, verify-proof, consistency, help)`,
    );
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`auditready: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function wholeNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: a whole number of at least 1`);
  return n;
}
