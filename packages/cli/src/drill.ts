/**
 * `auditready drill <url> --log <source>`: a simulated audit of a running service. It sends a few
 * marked requests (each with its own X-Request-Id), then waits until each appears in the log —
 * files or directories (a file transport's, or an HTTP collector's store) or a Kafka topic — with
 * the actor and the outcome the response implies, in a chain that verifies and, with --trust,
 * under a signed checkpoint. A short report and an exit code, for a cron job or CI.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { AuditKey } from '@auditready/core';
import { Verifier } from '@auditready/core/verify';
import { parseCommand } from './args.js';
import { type Anchor, expandInputs, UsageError } from './inputs.js';
import { collectKeys, redactArgs } from './keys.js';
import { openReaderLog, readerLogDir } from './reader-log.js';
import { readTrust } from './trust.js';
import { isKafkaUrl, parseKafkaUrl, readKafka } from './verify-kafka.js';

export interface DrillRequest {
  method: string;
  path: string;
  body?: string;
}

export interface DrillOptions {
  url: string;
  /** Where the service's log is read: files, directories, globs, or one kafka://host:port/topic. */
  log: string[];
  requests: DrillRequest[];
  headers: Record<string, string>;
  /** The actor id each entry must name; without it, requests sent without headers must be anonymous. */
  actor?: string;
  deadlineMs: number;
  pollMs?: number;
  trust?: string[];
  keys?: AuditKey[];
}

export interface DrillProbe {
  requestId: string;
  method: string;
  path: string;
  /** The HTTP status the service answered (0: no answer). */
  status: number;
  expectedOutcome: string;
  found?: { chain: string; seq: number; outcome: string | undefined; actor: string };
  /** The signed checkpoint (or other commitment) covering the entry, with --trust. */
  coveredBy?: string;
  problems: string[];
}

export interface DrillResult {
  passed: boolean;
  probes: DrillProbe[];
  /** Breaks in the log (the chain does not verify), named. */
  breaks: string[];
  elapsedMs: number;
}

/** The outcome an access entry must carry for a response status (as the adapters decide it). */
export function outcomeForStatus(status: number): string {
  if (status === 401 || status === 403) return 'denied';
  if (status >= 500) return 'error';
  if (status >= 400) return 'failure';
  return 'success';
}

/** `GET /path` or `POST /path {"json":"body"}`. */
export function parseDrillRequest(text: string): DrillRequest {
  const m = /^([A-Za-z]+)\s+(\/\S*)(?:\s+(.+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--request ${text}: expected "METHOD /path" or "METHOD /path <body>"`);
  return { method: (m[1] as string).toUpperCase(), path: m[2] as string, ...(m[3] !== undefined ? { body: m[3] } : {}) };
}

interface LogRead {
  lines: string[];
  anchors: Anchor[];
}

/** Every complete line of the log now (a line being written is left for the next poll). */
async function readLog(log: string[]): Promise<LogRead> {
  if (log.length === 1 && log[0] !== undefined && isKafkaUrl(log[0])) {
    const read = await readKafka(parseKafkaUrl(log[0]), 1500);
    return { lines: read.lines, anchors: [] };
  }
  const { files, anchors } = await expandInputs(log);
  const lines: string[] = [];
  for (const f of files) {
    const raw = readFileSync(f.path);
    const text = (f.path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const l of complete.split('\n')) if (l !== '') lines.push(l);
  }
  return { lines, anchors };
}

async function send(o: DrillOptions, r: DrillRequest, requestId: string): Promise<number> {
  try {
    const res = await fetch(new URL(r.path, o.url), {
      method: r.method,
      headers: { ...o.headers, 'x-request-id': requestId, ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(r.body !== undefined ? { body: r.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(Math.max(1000, o.deadlineMs)),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

const NOT_FOUND = 'not in the log';
const WAIT_CHECKPOINT = 'no signed checkpoint covers it yet';

interface Seen {
  chain: string;
  seq: number;
  outcome: string | undefined;
  actor: { type?: string; id?: string } | undefined;
}

function findEntries(lines: string[], ids: Set<string>): Map<string, Seen> {
  const found = new Map<string, Seen>();
  for (const line of lines) {
    if (!line.includes('"access"')) continue;
    let hit: string | undefined;
    for (const id of ids) if (line.includes(id)) hit = id;
    if (hit === undefined) continue;
    try {
      const e = JSON.parse(line) as {
        kind?: string;
        chain?: string;
        seq?: number;
        outcome?: string;
        actor?: Seen['actor'];
        http?: { requestId?: string };
      };
      if (e.kind === 'access' && e.http?.requestId === hit)
        found.set(hit, { chain: String(e.chain), seq: Number(e.seq), outcome: e.outcome, actor: e.actor });
    } catch {
      // verification names unparseable lines
    }
  }
  return found;
}

function check(o: DrillOptions, p: DrillProbe, seen: Seen | undefined): void {
  p.problems = [];
  if (p.status === 0) {
    p.problems.push('the service did not answer');
    return;
  }
  if (!seen) {
    p.problems.push(NOT_FOUND);
    return;
  }
  const actor = seen.actor?.id ?? seen.actor?.type ?? '(none)';
  p.found = { chain: seen.chain, seq: seen.seq, outcome: seen.outcome, actor };
  if (seen.outcome !== p.expectedOutcome)
    p.problems.push(`outcome ${seen.outcome ?? '(none)'}, expected ${p.expectedOutcome} for HTTP ${p.status}`);
  if (o.actor !== undefined && seen.actor?.id !== o.actor) p.problems.push(`actor ${actor}, expected ${o.actor}`);
  if (o.actor === undefined && Object.keys(o.headers).length === 0 && seen.actor?.type !== 'anonymous')
    p.problems.push(`actor ${actor}, expected anonymous (the request carried no credentials)`);
}

/** Runs the drill: sends, then polls the log until every probe is found and covered, or the deadline. */
export async function runDrill(o: DrillOptions): Promise<DrillResult> {
  const started = Date.now();
  const run = randomBytes(4).toString('hex');
  const probes: DrillProbe[] = [];
  for (const [i, r] of o.requests.entries()) {
    const requestId = `drill-${run}-${i + 1}`;
    const status = await send(o, r, requestId);
    probes.push({ requestId, method: r.method, path: r.path, status, expectedOutcome: outcomeForStatus(status), problems: [] });
  }
  const ids = new Set(probes.map((p) => p.requestId));
  let breaks: string[] = [];
  for (;;) {
    const { lines, anchors } = await readLog(o.log);
    const found = findEntries(lines, ids);
    for (const p of probes) check(o, p, found.get(p.requestId));
    breaks = [];
    if (probes.every((p) => p.found)) {
      const v = new Verifier({
        allowPartialStart: true,
        anchors,
        ...(o.keys?.length ? { keys: o.keys } : {}),
        ...(o.trust?.length ? { trust: o.trust } : {}),
      });
      for (const l of lines) v.push(l);
      const report = v.finish();
      breaks = report.breaks.slice(0, 5).map((b) => `${b.kind} (chain ${b.chain ?? '?'}, seq ${b.seq ?? '?'}): ${b.message}`);
      for (const p of probes) {
        const chain = report.chains.find((c) => c.chain === p.found?.chain);
        if (!chain?.valid) p.problems.push(`its chain does not verify`);
        else if (o.trust?.length) {
          // A signed checkpoint of the chain's tree (leaf n = seq n) that includes the entry.
          const c = chain.checkpoints?.newest;
          if (c && c.size > (p.found?.seq ?? Number.POSITIVE_INFINITY))
            p.coveredBy = `checkpoint ${c.size} signed by ${c.keyName} (${c.keyId}), ${c.source}`;
          else p.problems.push(WAIT_CHECKPOINT);
        }
      }
    }
    // Worth waiting for: an entry not written yet, a checkpoint not cut yet. Anything else is final.
    const waiting = probes.some((p) => p.problems.some((x) => x === NOT_FOUND || x === WAIT_CHECKPOINT));
    if (!waiting || Date.now() - started >= o.deadlineMs || breaks.length > 0) break;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
  return {
    passed: breaks.length === 0 && probes.every((p) => p.problems.length === 0),
    probes,
    breaks,
    elapsedMs: Date.now() - started,
  };
}

export function drillReport(r: DrillResult, trust: boolean): string {
  const lines = r.probes.map((p) => {
    const where = p.found ? `chain ${p.found.chain} seq ${p.found.seq}, actor ${p.found.actor}, ${p.found.outcome}` : '';
    const cover = p.coveredBy ? `, covered by ${p.coveredBy}` : '';
    return `${p.problems.length === 0 ? 'ok  ' : 'FAIL'}  ${p.method} ${p.path} -> ${p.status || 'no answer'}  ${p.requestId}  ${where}${cover}${p.problems.length ? `\n      ${p.problems.join('; ')}` : ''}`;
  });
  for (const b of r.breaks) lines.push(`BREAK ${b}`);
  const note = trust ? '' : '\n(no --trust: entries found and their chain verified; signed checkpoints not checked)';
  return `${lines.join('\n')}\n\n${r.passed ? 'PASS' : 'FAIL'}: ${r.probes.filter((p) => p.problems.length === 0).length} of ${r.probes.length} requests recorded as sent, in ${(r.elapsedMs / 1000).toFixed(1)} s${note}\n`;
}

export const DRILL_HELP = `auditready drill — a simulated audit of a running service

Usage: auditready drill <url> --log <files|dirs|kafka://host:port/topic> [options]

Sends marked requests to the service (each with its own X-Request-Id, drill-<run>-<n>), then reads
the log until each one is there: an access entry with that request id, the actor expected and the
outcome the response implies (2xx/3xx success, 401/403 denied, other 4xx failure, 5xx error), in a
chain that verifies — and, with --trust, under a signed checkpoint. The log is a file transport's
files or directory, an HTTP collector's store (its files), or a Kafka topic.

Options:
  --request "<METHOD> <path> [<json body>]"   repeatable (default: GET /)
  --header "<Name>: <value>"   repeatable: credentials for the requests (prefer --header-file)
  --header-file <file>     one "Name: value" per line (# comments)
  --actor <id>             the actor id each entry must name (without it, requests sent without
                           headers must be recorded as anonymous)
  --deadline <time>        how long to wait for the entries and their checkpoint: 30s (default), 2m
  --trust <key|file>       the log's checkpoint verifier key: each entry must be covered by a
                           signed checkpoint within the deadline
  --key / --key-file       HMAC keys of keyed chains (see auditready help verify)
  --json                   the result as JSON
  --reader-log <dir>       where this run is recorded (see auditready help verify)

Exit codes: 0 PASS; 1 FAIL (a request missing, wrong, uncovered, or the log does not verify);
2 usage or I/O error.
`;

function parseDeadline(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new UsageError(`--deadline ${text}: a duration like 30s, 2m or 1500ms`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm'];
}

function parseHeaders(lines: string[], where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of lines) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const i = l.indexOf(':');
    if (i <= 0) throw new UsageError(`${where}: "${l.slice(0, 40)}" is not "Name: value"`);
    out[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return out;
}

/** Header values (credentials) never reach the reader log: `--header "Authorization: [redacted]"`. */
function withoutHeaderValues(argv: string[]): string[] {
  return argv.map((a, i) => {
    if (a.startsWith('--header=')) return a.replace(/:.*/, ': [redacted]');
    return argv[i - 1] === '--header' ? a.replace(/:.*/, ': [redacted]') : a;
  });
}

export async function runDrillCommand(rest: string[], env: NodeJS.ProcessEnv, argv: string[]): Promise<number> {
  const parsed = parseCommand(rest, {
    log: { type: 'string', multiple: true },
    request: { type: 'string', multiple: true },
    header: { type: 'string', multiple: true },
    'header-file': { type: 'string' },
    actor: { type: 'string' },
    deadline: { type: 'string' },
    trust: { type: 'string', multiple: true },
    key: { type: 'string', multiple: true },
    'key-file': { type: 'string', multiple: true },
    json: { type: 'boolean' },
    'reader-log': { type: 'string' },
  });
  const { values, positionals } = parsed as { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  if (values.help) {
    process.stdout.write(DRILL_HELP);
    return 0;
  }
  const url = positionals[0];
  if (url === undefined || !/^https?:\/\//.test(url)) throw new UsageError('drill needs the service URL (http://host:port)');
  const log = (values.log as string[] | undefined) ?? [];
  if (log.length === 0) throw new UsageError('drill needs --log <files|dirs|kafka://...>: where the service writes its log');
  if (log.some(isKafkaUrl) && log.length > 1) throw new UsageError('--log kafka://... reads one topic, alone');
  const headers = {
    ...(typeof values['header-file'] === 'string'
      ? parseHeaders(readFileSync(values['header-file'], 'utf8').split('\n'), '--header-file')
      : {}),
    ...parseHeaders((values.header as string[] | undefined) ?? [], '--header'),
  };
  const trust = readTrust((values.trust as string[] | undefined) ?? []);
  const options: DrillOptions = {
    url,
    log,
    requests: ((values.request as string[] | undefined) ?? ['GET /']).map(parseDrillRequest),
    headers,
    deadlineMs: parseDeadline(typeof values.deadline === 'string' ? values.deadline : '30s'),
    trust,
    keys: collectKeys((values.key as string[]) ?? [], (values['key-file'] as string[]) ?? [], env.AUDITREADY_KEYS),
    ...(typeof values.actor === 'string' ? { actor: values.actor } : {}),
  };
  const reader = await openReaderLog(readerLogDir(values['reader-log'] as string | undefined, env));
  const result = await runDrill(options);
  await reader.record({
    command: 'drill',
    argv: withoutHeaderValues(redactArgs(argv)),
    files: log,
    outcome: result.passed ? 'success' : 'failure',
    summary: {
      url,
      requests: result.probes.length,
      passed: result.passed,
      failed: result.probes.filter((p) => p.problems.length > 0).length,
    },
  });
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : drillReport(result, trust.length > 0));
  return result.passed ? 0 : 1;
}
