/**
 * The verifier's side of checkpoints that only trusted keys make meaningful: the keys themselves,
 * checkpoints held outside the log, `checkpoint` records in it, and what the end of the input
 * decides (docs/spec/checkpoints.md §Verification). The tree work is tree.ts.
 */
import { openCheckpoint, ROTATION_HEADER } from '../checkpoint.js';
import { AuditConfigError } from '../errors.js';
import { type NoteVerifier, openNote, parseVerifierKey } from '../note.js';
import type { AuditEntry } from '../types.js';
import type { BreakLedger } from './breaks.js';
import type { ChainTrack, ChainTree } from './chain.js';
import { checkpointSummary, openTrusted, type TreeResult, type TrustedCheckpoint } from './tree.js';
import type { TreeSink } from './tree-sink.js';
import type { Position, VerifyOptions } from './types.js';
import { gatherCosignatures, type WitnessPolicy, witnessedOf } from './witnessed.js';

export function trustedKeys(list: unknown): NoteVerifier[] {
  if (!Array.isArray(list)) throw new AuditConfigError('trust must be an array of verifier keys', { path: 'trust' });
  return list.map((k, i) => {
    if (typeof k !== 'string') return k as NoteVerifier;
    try {
      return parseVerifierKey(k);
    } catch (err) {
      throw new AuditConfigError(`trust[${i}] is not a verifier key (name+id+base64): ${(err as Error).message}`, { path: `trust[${i}]` });
    }
  });
}

/** The cosigned note a destination's checkpoint record carries (`details.witnessed.note`), if any. */
function witnessedNote(line: string | undefined): unknown {
  if (typeof line !== 'string') return undefined;
  try {
    return ((JSON.parse(line) as AuditEntry).details as { witnessed?: { note?: unknown } } | undefined)?.witnessed?.note;
  } catch {
    return undefined;
  }
}

/** The signed note an external item holds: a `checkpoint` record's line, or the note itself. */
function noteOf(x: { note?: string; line?: string }): string | undefined | null {
  if (x.note !== undefined) return x.note;
  if (typeof x.line !== 'string') return undefined;
  try {
    const e = JSON.parse(x.line) as AuditEntry;
    if (e?.kind !== 'checkpoint') return null; // a destination may hold other lines
    return (e.details as { note?: string } | undefined)?.note;
  } catch {
    return x.line.endsWith('\n') ? x.line : undefined;
  }
}

/** Opens the external checkpoints under the trusted keys, by chain; one that does not open is a break. */
export function openExternal(
  list: NonNullable<VerifyOptions['checkpoints']>,
  trust: NoteVerifier[] | undefined,
  ledger: BreakLedger,
  out: Map<string, TrustedCheckpoint[]>,
  policy: WitnessPolicy | undefined,
): void {
  if (trust === undefined) throw new AuditConfigError('checkpoints need trusted keys (trust)', { path: 'checkpoints' });
  if (!Array.isArray(list)) throw new AuditConfigError('checkpoints must be an array', { path: 'checkpoints' });
  for (const [i, item] of list.entries()) {
    const x = typeof item === 'string' ? { line: item } : (item ?? {});
    const source = x.source ?? `checkpoint destination item ${i + 1}`;
    const note = noteOf(x);
    if (note === null) continue;
    if (policy) {
      gatherCosignatures(note, trust, policy);
      gatherCosignatures(witnessedNote(x.line), trust, policy);
    }
    const c = openTrusted(note, trust, source, openCheckpoint);
    if ('error' in c) {
      ledger.add({ kind: 'checkpoint-signature', message: `${source}: the checkpoint does not open under the trusted keys (${c.error})` });
      continue;
    }
    const of = out.get(c.chain) ?? [];
    of.push(c);
    out.set(c.chain, of);
  }
}

/** A `checkpoint` record: its note must open under a trusted key, name this chain, and match the tree. */
export function checkpointRecord(
  s: ChainTrack,
  sink: TreeSink,
  e: AuditEntry,
  seq: number,
  pos: Position,
  trust: NoteVerifier[],
  policy: WitnessPolicy | undefined,
): void {
  const tree = s.tree as ChainTree;
  tree.recordSeqs.push(seq);
  if (policy) gatherCosignatures((e.details as { witnessed?: { note?: unknown } } | undefined)?.witnessed?.note, trust, policy);
  const d = (e.details ?? {}) as { note?: unknown; origin?: unknown };
  const c = openTrusted(d.note, trust, `the log (seq ${seq})`, openCheckpoint);
  if ('error' in c) {
    s.brk('checkpoint-signature', seq, `checkpoint record: ${c.error}`, pos);
    return;
  }
  if (c.chain !== s.id || d.origin !== c.origin) {
    s.brk('checkpoint-signature', seq, `checkpoint record: its origin "${c.origin}" names another log than chain ${s.id}`, pos);
    return;
  }
  sink.record(tree.idx, seq, { ...c, ts: e.ts }, (e.details as { tree?: unknown }).tree, pos);
  if (policy && tree.maxTs !== undefined) tree.tsAt.set(c.size, tree.maxTs);
  const rotation = (e.details as { rotation?: { statement?: unknown } } | undefined)?.rotation;
  if (rotation !== undefined) followRotation(s, tree, rotation.statement, c.origin, seq, pos, trust);
}

/**
 * A key rotation: the statement `<header>\n<origin>\n<new verifier key>\n` signed by a trusted
 * key makes the new key trusted for what follows. A statement that does not open is a break.
 */
function followRotation(
  s: ChainTrack,
  tree: ChainTree,
  statement: unknown,
  origin: string,
  seq: number,
  pos: Position,
  trust: NoteVerifier[],
): void {
  try {
    if (typeof statement !== 'string') throw new AuditConfigError('no statement');
    const text = openNote(statement, trust).text;
    const [header, of, next] = text.slice(0, -1).split('\n');
    if (header !== ROTATION_HEADER || of !== origin || next === undefined)
      throw new AuditConfigError('not a rotation statement of this log');
    const key = parseVerifierKey(next);
    if (!trust.some((k) => k.text === key.text)) trust.push(key);
    tree.rotations.push({ seq, keyName: key.name, keyId: key.keyId });
  } catch (err) {
    s.brk('checkpoint-signature', seq, `key rotation: the statement does not open under the trusted keys (${(err as Error).message})`, pos);
  }
}

/**
 * The end of the input, with what each chain's tree concluded: its breaks; each chain is proven
 * complete through its newest verified checkpoint; a checkpoint held elsewhere beyond the end of
 * the log means its tail was cut.
 */
export function settleTrees(
  chains: Map<string, ChainTrack>,
  results: TreeResult[],
  external: Map<string, TrustedCheckpoint[]>,
  ledger: BreakLedger,
  extract: boolean,
  policy: WitnessPolicy | undefined,
): void {
  for (const s of chains.values()) {
    const tree = s.tree as ChainTree;
    const r = results[tree.idx] as TreeResult;
    const w = policy ? witnessedOf(s.id, r, policy, tree.tsAt) : undefined;
    for (const b of r.breaks) s.brk(b.kind, b.seq, b.message, b.pos ?? {});
    for (const c of r.beyond)
      ledger.add({
        kind: 'truncated',
        chain: s.id,
        seq: s.maxSeq + 1,
        toSeq: c.size - 1,
        message: `${c.source} holds checkpoint ${c.size} signed by ${c.keyName}, but the log of chain ${s.id} ends at seq ${s.maxSeq}: entries were cut behind a checkpoint`,
      });
    // With witnesses, only a checkpoint that enough of them cosigned proves completeness.
    const n = w ? w.newest : r.newest;
    const by = w?.cosigners ? `, cosigned by ${w.cosigners.map((x) => x.name).join(', ')}` : '';
    if (n)
      s.commit({ seq: n.size - 1, by: `checkpoint ${n.size} signed by ${n.keyName}${by} (${n.source}${n.ts ? `, sealed ${n.ts}` : ''})` });
    tree.summary = checkpointSummary(r, s, tree.recordSeqs, tree.rotations);
    if (w) {
      if (w.newest && w.cosigners) tree.summary.witnessed = { size: w.newest.size, cosigners: w.cosigners };
      if (w.clockAhead.length > 0) tree.summary.clockAhead = w.clockAhead;
    }
  }
  if (extract) return;
  for (const [chain, list] of external) {
    if (chains.has(chain)) continue;
    const c = list.reduce((a, b) => (b.size > a.size ? b : a));
    ledger.add({
      kind: 'truncated',
      chain,
      seq: 0,
      toSeq: c.size - 1,
      message: `${c.source} holds checkpoint ${c.size} of chain ${chain}, which is absent from the input`,
    });
  }
}
