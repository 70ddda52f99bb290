/**
 * Evidence packs (docs/evidence.md): what an auditor asks for, the population of records in a
 * scope, proven complete, and a sample to check one by one — in a directory that checks offline.
 *
 *   scope.json         the request (filters, window), sources with their hashes, extraction time,
 *                      and the completeness statement (per chain: seq range, commitment, checkpoint)
 *   population.jsonl   the matching records, lines unchanged (each verifies on its own)
 *   population.csv     the same, flattened for a spreadsheet
 *   events.jsonl       the log's own records in the window: gaps, clock steps, retention, rejects
 *   retention.json     segments read (seq and time ranges per chain), segments removed by policy
 *                      (from the retention records: when, which seqs, under which policy)
 *   coverage.json      share of records carrying each field PCI DSS v4.0 10.2.2 and ISO/IEC 27002 8.15 name
 *   sample.json        the seed and the records drawn; sample/*.proof: each one's C2SP tlog-proof
 *   report.html        the same for people: verdict, activity, denials, who accessed what (report-html.ts)
 *   manifest.json      SHA-256 of every file; manifest.note: it signed (a C2SP signed note)
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type AuditEntry,
  type AuditKey,
  canonicalize,
  checkpointOrigin,
  leafHashOf,
  openCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  proveConsistencyIn,
  proveInclusionIn,
  SparseTree,
  signNote,
} from '@auditready/core';
import { type EntryOpening, feedStream, Verifier, type VerifyReport } from '@auditready/core/verify';
import { ISO_8_15, PCI_10_2_2 } from './evidence-tables.js';
import { listFiles, MANIFEST_HEADER, sha256 } from './evidence-verify.js';
import { expandInputs, openBytes, readLines } from './inputs.js';
import { buildPredicate, COLUMNS, csvField, parseTime, type QueryFilters } from './query-command.js';
import { renderReport } from './report-html.js';
import { RetentionCollector } from './retention-inventory.js';
import { planWindow } from './verify-window.js';

export interface EvidenceOptions {
  inputs: string[];
  filters: QueryFilters;
  /** The log's checkpoint verifier keys. */
  trust: string[];
  /** The extraction's signer key (text): signs the manifest. */
  signerKey: string;
  out: string;
  /** Records drawn for the sample. Default 25. */
  sample?: number;
  /** The sample's seed (any text); default random, printed and kept in sample.json. */
  seed?: string;
  keys?: AuditKey[];
  /** Opens encrypted entries (--identity): filters, population.csv and population-opened.jsonl see their content. */
  open?: EntryOpening;
  witnesses?: string[];
  witnessThreshold?: number;
  /** Checkpoints the auditor kept from earlier (signed notes): each gets a consistency proof to today's newest. */
  earlierCheckpoints?: string[];
  /** The reader log's directory: its records of the window go into the pack (reads.jsonl). */
  readerLog?: string;
  /** Use segment index sidecars to skip segments wholly outside --since/--until (default true). */
  index?: boolean;
}

export interface EvidenceResult {
  dir: string;
  population: number;
  sample: number;
  seed: string;
  complete: boolean;
}

/** A log that does not verify gives no evidence: the break is named. */
export class EvidenceRefusedError extends Error {
  readonly report: VerifyReport;
  constructor(report: VerifyReport) {
    const b = report.breaks[0];
    super(
      `the log does not verify (${report.breaks.length} break(s); first: ${b?.kind} at ${b?.file ?? ''}:${b?.line ?? ''}: ${b?.message})`,
    );
    this.name = 'EvidenceRefusedError';
    this.report = report;
  }
}

const EVENT_KINDS = new Set(['gap', 'clock', 'retention', 'rejected', 'notice', 'recovered']);

/** A deterministic draw of `k` of `n` indexes from `seed` (SHA-256 in counter mode, Fisher-Yates). */
export function drawSample(seed: string, n: number, k: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(k, n);
  for (let i = 0; i < take; i++) {
    const r = Number.parseInt(sha256(`${seed}:${i}`).slice(0, 12), 16);
    const j = i + (r % (n - i));
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  return idx.slice(0, take).sort((a, b) => a - b);
}

interface ChainData {
  /** The chain's tree as far as it is known: leaves read, and compact ranges of segments not read. */
  tree: SparseTree;
  /** The next seq whose leaf the tree takes (a late or repeated seq is not a leaf). */
  next: number;
  /** Checkpoint notes by size. */
  notes: Map<number, string>;
}

const chainData = (): ChainData => ({ tree: new SparseTree(), next: 0, notes: new Map() });

const DECODER = new TextDecoder();
const textOf = (buf: Uint8Array, start: number, end: number): string =>
  Buffer.isBuffer(buf) ? buf.toString('utf8', start, end) : DECODER.decode(buf.subarray(start, end));

/** Builds the pack; throws EvidenceRefusedError when the log does not verify. */
export async function createEvidencePack(o: EvidenceOptions): Promise<EvidenceResult> {
  const signer = parseSignerKey(o.signerKey);
  const predicate = buildPredicate(o.filters);
  const since = o.filters.since === undefined ? undefined : parseTime(o.filters.since, '--since');
  const until = o.filters.until === undefined ? undefined : parseTime(o.filters.until, '--until');
  const { files, anchors } = await expandInputs(o.inputs);
  // A window: segments whose trusted index puts them wholly outside it are not read (verify-window.ts).
  const window =
    (since !== undefined || until !== undefined) && o.index !== false ? await planWindow(files, anchors, since, until) : undefined;
  const v = new Verifier({
    ...(window ? { bridges: window.bridges } : {}),
    trust: o.trust,
    parallel: true,
    ...(o.keys?.length ? { keys: o.keys } : {}),
    ...(o.witnesses?.length ? { witnesses: o.witnesses } : {}),
    ...(o.witnessThreshold !== undefined ? { witnessThreshold: o.witnessThreshold } : {}),
    ...(o.open ? { open: o.open } : {}),
  });
  const population: { line: string; e: AuditEntry }[] = [];
  const events: string[] = [];
  const chains = new Map<string, ChainData>();
  const sources: { file: string; sha256: string; lines: number }[] = [];
  const retention = new RetentionCollector(since, until);
  const notRead = new Set(window?.skipped ?? []);
  for (const f of files) {
    const skipped = window?.indexes.get(f);
    if (notRead.has(f) && skipped) {
      const { index, sha256: indexSha } = skipped;
      for (const [chain, roots] of Object.entries(index.trees ?? {})) {
        const [first, last] = index.chains[chain] ?? [0, -1];
        let c = chains.get(chain);
        if (!c) chains.set(chain, (c = chainData()));
        c.tree.range(
          first,
          last + 1,
          roots.map((r) => Buffer.from(r, 'hex')),
        );
        c.next = Math.max(c.next, last + 1);
      }
      retention.notRead(f.display, index, indexSha);
      continue;
    }
    // One pass over the bytes: the file's SHA-256 (as stored, gzip or not), the verifier, each line's
    // Merkle leaf (from the bytes, not re-encoded), the line as text for the population.
    const hash = createHash('sha256');
    const n = await feedStream(
      v,
      openBytes(
        f,
        () => {},
        (chunk) => hash.update(chunk),
      ),
      {
        file: f.display,
        onLine: (buf, start, end) => {
          const line = textOf(buf, start, end);
          let e: AuditEntry;
          try {
            e = JSON.parse(line) as AuditEntry;
          } catch {
            return; // the verifier reports it
          }
          retention.add(e);
          const content = o.open && (e.enc !== undefined || e.pii !== undefined) ? openedOrSealed(o.open, e) : e;
          let c = chains.get(e.chain);
          if (!c) chains.set(e.chain, (c = chainData()));
          if (e.seq >= c.next) {
            c.tree.leaf(e.seq, leafHashOf(buf, start, end));
            c.next = e.seq + 1;
          }
          const d = e.details as { note?: unknown; size?: unknown } | undefined;
          if (e.kind === 'checkpoint' && typeof d?.note === 'string' && typeof d.size === 'number') c.notes.set(d.size, d.note);
          if (EVENT_KINDS.has(e.kind)) {
            const t = Date.parse(e.ts);
            if ((since === undefined || t >= since) && (until === undefined || t < until)) events.push(line);
          }
          if (predicate(content)) population.push({ line, e: content });
        },
      },
    );
    const digest = hash.digest('hex');
    sources.push({ file: f.display, sha256: digest, lines: n });
    retention.endFile(f.display, digest, n);
  }
  const report = await v.finishAsync();
  if (!report.valid) throw new EvidenceRefusedError(report);

  const seed = o.seed ?? randomBytes(8).toString('hex');
  const drawn = drawSample(seed, population.length, o.sample ?? 25);
  mkdirSync(join(o.out, 'sample'), { recursive: true });
  mkdirSync(join(o.out, 'checkpoints'), { recursive: true });
  const verifiers = o.trust.map(parseVerifierKey);
  const usedNotes = new Map<string, string>();
  const sample = drawn.map((i, n) => {
    const { line, e } = population[i] as { line: string; e: AuditEntry };
    const c = chains.get(e.chain) as ChainData;
    const note = newestCovering(c, e.seq, verifiers);
    if (note === undefined)
      return {
        n: n + 1,
        chain: e.chain,
        seq: e.seq,
        proof: null,
        why: 'no checkpoint signed by a trusted key covers it with every leaf at hand',
      };
    const file = `sample/${String(n + 1).padStart(3, '0')}-seq-${e.seq}.proof`;
    writeFileSync(join(o.out, file), proveInclusionIn(c.tree, e.seq, line, note));
    usedNotes.set(`${e.chain}:${checkpointOrigin(note)}`, note);
    return { n: n + 1, chain: e.chain, seq: e.seq, proof: file };
  });
  for (const [, note] of usedNotes) writeFileSync(join(o.out, 'checkpoints', `${sha256(note).slice(0, 16)}.note`), note);
  const consistency = (o.earlierCheckpoints ?? []).map((old, i) => earlierProof(o.out, old, i, chains, verifiers));
  const reads = o.readerLog ? await readerRecords(o.readerLog, since, until) : [];
  writeFileSync(join(o.out, 'reads.jsonl'), reads.map((l) => `${l}\n`).join(''));

  writeFileSync(join(o.out, 'population.jsonl'), population.map((p) => `${p.line}\n`).join(''));
  // --identity: the sealed lines stay the evidence (their hashes and proofs); their content, opened, beside them.
  if (o.open)
    writeFileSync(join(o.out, 'population-opened.jsonl'), population.map((p) => `${p.e.enc ? p.line : canonicalize(p.e)}\n`).join(''));
  writeFileSync(
    join(o.out, 'population.csv'),
    `${COLUMNS.map(([h]) => h).join(',')}\n${population.map((p) => `${COLUMNS.map(([, get]) => csvField(get(p.e))).join(',')}\n`).join('')}`,
  );
  writeFileSync(join(o.out, 'events.jsonl'), events.map((l) => `${l}\n`).join(''));
  const inventory = retention.inventory();
  writeFileSync(join(o.out, 'retention.json'), `${JSON.stringify(inventory, null, 2)}\n`);
  const coverage = [...PCI_10_2_2, ...ISO_8_15].map(([requirement, field, has]) => {
    const n = population.filter((p) => has(p.e)).length;
    return { requirement, field, records: n, share: population.length ? n / population.length : 1 };
  });
  writeFileSync(join(o.out, 'coverage.json'), `${JSON.stringify({ population: population.length, fields: coverage }, null, 2)}\n`);
  writeFileSync(
    join(o.out, 'sample.json'),
    `${JSON.stringify({ seed, size: sample.length, of: population.length, records: sample }, null, 2)}\n`,
  );
  const complete = report.complete && report.chains.every((c) => c.gaps.length === 0);
  const scope = {
    request: { filters: o.filters },
    extractedAt: new Date().toISOString(),
    sources,
    ...(window
      ? {
          window: {
            notRead: window.skipped.map((f) => ({ file: f.display, index: window.indexes.get(f)?.sha256 })),
            why: 'wholly outside --since/--until by their index sidecars, which the log commits to; each chain links across them (verify-window)',
            notes: window.notes,
          },
        }
      : {}),
    population: population.length,
    verdict: {
      consistent: report.consistent,
      complete,
      chains: report.chains.map((c) => ({
        chain: c.chain,
        seqs: [c.firstSeq, c.lastSeq],
        entries: c.count,
        ...(c.commitment ? { completeThrough: c.commitment } : {}),
        ...(c.checkpoints?.newest ? { checkpoint: c.checkpoints.newest } : {}),
        ...(c.checkpoints?.witnessed ? { witnessed: c.checkpoints.witnessed } : {}),
        gaps: c.gaps,
        retained: c.retained,
      })),
    },
    consistencyWithEarlier: consistency,
    reads: o.readerLog ? { from: o.readerLog, records: reads.length } : 'no reader log given',
    retention: {
      segmentsKept: inventory.kept.length,
      segmentsRemoved: inventory.removed.length,
      removedInWindow: inventory.removed.filter((r) => r.inWindow).map((r) => ({ file: r.file, chain: r.chain, seqs: r.seqs })),
    },
    howToCheck: [`auditready evidence verify ${o.out} --trust <log verifier key> --trust <extraction verifier key>`],
  };
  writeFileSync(join(o.out, 'scope.json'), `${JSON.stringify(scope, null, 2)}\n`);
  writeFileSync(
    join(o.out, 'report.html'),
    renderReport({
      title: `Evidence: ${
        Object.entries(o.filters)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'all records'
      }`,
      filters: o.filters as Record<string, unknown>,
      extractedAt: scope.extractedAt,
      complete,
      consistent: report.consistent,
      chains: scope.verdict.chains,
      population: population.map((p) => p.e),
      events: events.map((l) => JSON.parse(l) as AuditEntry),
      coverage,
      sample,
      seed,
      retention: inventory,
      commands: [
        `auditready evidence verify ${basename(o.out)} --trust ${o.trust[0] ?? '<log key>'} --trust ${signer.verifierKey}`,
        'auditready verify-proof <a sample/*.proof file> --trust <log key>',
      ],
    }),
  );
  const manifest = { version: 1, files: Object.fromEntries(listFiles(o.out).map((f) => [f, sha256(readFileSync(join(o.out, f)))])) };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  writeFileSync(join(o.out, 'manifest.json'), manifestText);
  writeFileSync(join(o.out, 'manifest.note'), await signNote(`${MANIFEST_HEADER}\n${sha256(manifestText)}\n`, [signer]));
  return { dir: o.out, population: population.length, sample: sample.length, seed, complete };
}

/** A consistency proof from a checkpoint the auditor kept to today's newest of that log, written with the old checkpoint. */
function earlierProof(
  out: string,
  old: string,
  i: number,
  chains: Map<string, ChainData>,
  verifiers: ReturnType<typeof parseVerifierKey>[],
): { old: number; to?: number; proof?: string; why?: string } {
  let size = -1;
  try {
    const c = openCheckpoint(old, checkpointOrigin(old), verifiers);
    size = c.size;
    const chain = chains.get(c.origin.slice(c.origin.lastIndexOf('/') + 1));
    const note = chain && newestCovering(chain, c.size - 1, verifiers);
    if (!chain || !note) return { old: c.size, why: 'no newer checkpoint of that log in the input' };
    mkdirSync(join(out, 'consistency'), { recursive: true });
    const file = `consistency/${i + 1}`;
    writeFileSync(join(out, `${file}.old.note`), old);
    writeFileSync(join(out, `${file}.proof`), proveConsistencyIn(chain.tree, c.size, note));
    return { old: c.size, to: Number(note.split('\n')[1]), proof: `${file}.proof` };
  } catch (err) {
    return { old: size, why: (err as Error).message };
  }
}

/** The reader log's records in the window (who read or queried the logs). */
async function readerRecords(dir: string, since: number | undefined, until: number | undefined): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  let found: Awaited<ReturnType<typeof expandInputs>>;
  try {
    found = await expandInputs([dir]);
  } catch {
    return []; // nothing recorded there yet
  }
  for (const f of found.files)
    for await (const line of readLines(f, () => {})) {
      try {
        const t = Date.parse((JSON.parse(line) as AuditEntry).ts);
        if ((since === undefined || t >= since) && (until === undefined || t < until)) out.push(line);
      } catch {
        // not a record
      }
    }
  return out;
}

/** The newest checkpoint of the chain covering `seq`, signed by a trusted key and matching its leaves. */
function newestCovering(c: ChainData, seq: number, verifiers: ReturnType<typeof parseVerifierKey>[]): string | undefined {
  const sizes = [...c.notes.keys()].filter((s) => s > seq && s <= c.next).sort((a, b) => b - a);
  for (const size of sizes) {
    const note = c.notes.get(size) as string;
    try {
      const cp = openCheckpoint(note, checkpointOrigin(note), verifiers);
      // The root from what is known; a size that needs a leaf not read (a hole) throws.
      if (Buffer.from(cp.root).equals(Buffer.from(c.tree.root(0, size)))) return note;
    } catch {
      // not signed by a trusted key, or not computable from what was read: another one may be
    }
  }
  return undefined;
}

/** The entry's content opened, or the entry as it is when it cannot be (the verifier names an altered one). */
function openedOrSealed(opener: EntryOpening, e: AuditEntry): AuditEntry {
  try {
    return opener.open(e) ?? e;
  } catch {
    return e;
  }
}
