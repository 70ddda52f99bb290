/**
 * Proofs an auditor checks alone (docs/spec/checkpoints.md §Proofs):
 *   prove         one entry, its inclusion proof and a signed checkpoint (C2SP tlog-proof; the
 *                 entry's line travels in the proof's `extra` data)
 *   verify-proof  checks such a file offline against a trusted key
 *   consistency   proves today's log extends a checkpoint an auditor kept (the body of a C2SP
 *                 tlog-witness add-checkpoint request), or checks such a proof offline
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import {
  type AuditEntry,
  AuditProofError,
  checkpointOrigin,
  type Hash,
  leafHash,
  openCheckpoint,
  parseTlogProof,
  parseVerifierKey,
  proveConsistencyFromLeaves,
  proveInclusionFromLeaves,
  rootOf,
  verifyCheckpointConsistency,
  verifyTlogProof,
} from '@auditready/core';
import { expandInputs, readLines, UsageError } from './inputs.js';

export const PROOF_HELP = `auditready prove | verify-proof | consistency — proofs an auditor checks alone

Usage:
  auditready prove <log files|dirs...> --seq <n> [--chain <id>] [--trust <key|file>] [--out <file>]
      One entry with its inclusion proof and the newest signed checkpoint that covers it, in the
      C2SP tlog-proof form (the entry's line is carried as the proof's extra data). With --trust,
      only checkpoints signed by those keys are used.
  auditready verify-proof <proof file> --trust <key|file>
      Checks a proof offline, without the log: the checkpoint is signed by a trusted key and the
      entry is at its index in that tree. Prints the entry. Exit 0 valid, 1 not.
  auditready consistency <old checkpoint> <log files|dirs...> [--trust <key|file>] [--out <file>]
      Proves the log extends a checkpoint you kept (a signed note, or a checkpoint record's line):
      writes a consistency proof to the newest checkpoint of the same log (the body of a C2SP
      tlog-witness add-checkpoint request) and checks it. Exit 0 consistent, 1 not.
  auditready consistency <old checkpoint> <proof file> --trust <key|file>
      Checks such a proof offline.
`;

const fail = (message: string): never => {
  throw new UsageError(message);
};

/** A checkpoint note from a file: the note itself, or a `checkpoint` record's line. */
export function readCheckpointNote(path: string): string {
  if (!existsSync(path)) fail(`${path}: no such file`);
  const text = readFileSync(path, 'utf8');
  if (!text.trimStart().startsWith('{')) return text;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const e = JSON.parse(lines[lines.length - 1] as string) as AuditEntry;
  const note = (e.details as { note?: unknown } | undefined)?.note;
  return typeof note === 'string' ? note : fail(`${path}: not a checkpoint record or a signed note`);
}

interface ChainRead {
  chain: string;
  leaves: Hash[];
  /** Lines of the seqs asked for. */
  lines: Map<number, string>;
  /** Checkpoint notes in the chain, by size. */
  notes: Map<number, string>;
}

/** Reads one chain of a log: its leaves in seq order from 0 (a hole or a reordering is an error: verify the log first). */
async function readChain(inputs: string[], want: { chain?: string; origin?: string; seqs: number[] }): Promise<ChainRead> {
  const { files } = await expandInputs(inputs);
  let chain = want.chain ?? (want.origin !== undefined ? want.origin.slice(want.origin.lastIndexOf('/') + 1) : undefined);
  const others = new Set<string>();
  const out: ChainRead = { chain: '', leaves: [], lines: new Map(), notes: new Map() };
  for (const f of files) {
    for await (const line of readLines(f, () => {})) {
      if (line.trim() === '') continue;
      let e: AuditEntry;
      try {
        e = JSON.parse(line) as AuditEntry;
      } catch {
        fail(`${f.display}: a line that is not JSON: run auditready verify first`);
        continue;
      }
      chain ??= e.chain;
      if (e.chain !== chain) {
        others.add(e.chain);
        continue;
      }
      if (e.seq !== out.leaves.length)
        fail(
          `${f.display}: chain ${chain} has seq ${e.seq} where ${out.leaves.length} was expected: a proof needs every entry from seq 0 in order (run auditready verify)`,
        );
      out.leaves.push(leafHash(line));
      if (want.seqs.includes(e.seq)) out.lines.set(e.seq, line);
      const d = e.details as { note?: unknown; size?: unknown } | undefined;
      if (e.kind === 'checkpoint' && typeof d?.note === 'string' && typeof d.size === 'number') out.notes.set(d.size, d.note);
    }
  }
  if (chain === undefined || out.leaves.length === 0) fail('no entries in the input');
  if (want.chain === undefined && want.origin === undefined && others.size > 0)
    fail(`the input holds several chains (${[chain, ...others].join(', ')}): name one with --chain`);
  out.chain = chain as string;
  return out;
}

/** The newest checkpoint note of the chain (signed by a trusted key, when given) that matches its tree and covers `minSize`. */
function newestCheckpoint(r: ChainRead, minSize: number, trust: string[]): { note: string; size: number } {
  const verifiers = trust.map(parseVerifierKey);
  const sizes = [...r.notes.keys()].filter((s) => s >= minSize && s <= r.leaves.length).sort((a, b) => b - a);
  for (const size of sizes) {
    const note = r.notes.get(size) as string;
    if (verifiers.length > 0) {
      try {
        openCheckpoint(note, checkpointOrigin(note), verifiers);
      } catch {
        continue;
      }
    }
    const root = rootOf(r.leaves, size);
    const claimed = note.split('\n')[2];
    if (claimed !== Buffer.from(root).toString('base64'))
      fail(`the checkpoint of size ${size} does not match the log's entries: the log was changed (run auditready verify --trust)`);
    return { note, size };
  }
  return fail(
    `no checkpoint${verifiers.length ? ' signed by a trusted key' : ''} of chain ${r.chain} covers ${minSize === 0 ? 'the log' : `seq ${minSize - 1}`} yet (one is cut every checkpoints.everyEntries entries, at close, and by logger.checkpoint())`,
  );
}

function emit(text: string, out: string | undefined, what: string): void {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  writeFileSync(out, text, { flag: 'wx' });
  process.stderr.write(`${what} written to ${out}\n`);
}

export async function runProve(inputs: string[], o: { seq?: string; chain?: string; trust: string[]; out?: string }): Promise<number> {
  if (inputs.length === 0) fail('prove needs the log (files or directories)');
  const seq = Number(o.seq);
  if (o.seq === undefined || !Number.isSafeInteger(seq) || seq < 0) fail('prove needs --seq <n> (a whole number)');
  const r = await readChain(inputs, { ...(o.chain ? { chain: o.chain } : {}), seqs: [seq] });
  const line = r.lines.get(seq) ?? fail(`chain ${r.chain} has no seq ${seq} (it ends at ${r.leaves.length - 1})`);
  const cp = newestCheckpoint(r, seq + 1, o.trust);
  const text = proveInclusionFromLeaves(r.leaves, seq, line, cp.note);
  emit(text, o.out, `proof of seq ${seq} (checkpoint ${cp.size})`);
  return 0;
}

export function runVerifyProof(file: string | undefined, o: { trust: string[]; json: boolean }): number {
  if (file === undefined) fail('verify-proof needs the proof file');
  if (o.trust.length === 0)
    fail('verify-proof needs --trust <verifier key>: a proof is only as good as the key that signed its checkpoint');
  const text = readFileSync(file as string, 'utf8');
  try {
    const p = parseTlogProof(text);
    if (p.extra === undefined) fail(`${file}: the proof carries no entry (extra data)`);
    const line = new TextDecoder().decode(p.extra);
    const origin = checkpointOrigin(p.checkpoint);
    const r = verifyTlogProof(text, line, origin, o.trust.map(parseVerifierKey));
    const e = JSON.parse(line) as AuditEntry;
    if (e.seq !== r.index)
      throw new AuditProofError('index_out_of_range', `the entry says seq ${e.seq}, the proof is for index ${r.index}`);
    const by = r.checkpoint.note.verified.map((s) => `${s.name} (${s.keyId})`).join(', ');
    if (o.json)
      process.stdout.write(`${JSON.stringify({ valid: true, index: r.index, size: r.checkpoint.size, origin, signedBy: by, entry: e })}\n`);
    else
      process.stdout.write(
        `VALID: entry seq ${r.index} of chain ${e.chain} is included in checkpoint ${r.checkpoint.size} of the log ${origin}, signed by ${by}.\n${line}\n`,
      );
    return 0;
  } catch (err) {
    if (!(err instanceof AuditProofError)) throw err;
    if (o.json) process.stdout.write(`${JSON.stringify({ valid: false, kind: err.kind, message: err.message })}\n`);
    else process.stdout.write(`INVALID (${err.kind}): ${err.message}\n`);
    return 1;
  }
}

export async function runConsistency(args: string[], o: { trust: string[]; out?: string }): Promise<number> {
  const [oldPath, ...rest] = args;
  if (oldPath === undefined || rest.length === 0) fail('consistency needs <old checkpoint> and the log (or a proof file)');
  if (o.trust.length === 0) fail('consistency needs --trust <verifier key>: the log key that signed the checkpoints');
  const oldNote = readCheckpointNote(oldPath as string);
  const verifiers = o.trust.map(parseVerifierKey);
  const only =
    rest.length === 1 && existsSync(rest[0] as string) && statSync(rest[0] as string).isFile()
      ? readFileSync(rest[0] as string, 'utf8')
      : undefined;
  let proof: string;
  if (only?.startsWith('old ')) {
    proof = only;
  } else {
    const origin = checkpointOrigin(oldNote);
    const r = await readChain(rest, { origin, seqs: [] });
    const old = openCheckpoint(oldNote, origin, verifiers);
    const cp = newestCheckpoint(r, old.size, o.trust);
    proof = proveConsistencyFromLeaves(r.leaves, old.size, cp.note);
    emit(proof, o.out, `consistency proof ${old.size} -> ${cp.size}`);
  }
  try {
    const v = verifyCheckpointConsistency(oldNote, proof, verifiers);
    process.stderr.write(
      `CONSISTENT: checkpoint ${v.checkpoint.size} of ${v.old.origin} extends checkpoint ${v.old.size}: nothing seen before was changed or removed\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof AuditProofError)) throw err;
    process.stderr.write(`NOT CONSISTENT (${err.kind}): ${err.message}\n`);
    return 1;
  }
}
