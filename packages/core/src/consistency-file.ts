/**
 * A consistency proof as a file: the body of a C2SP tlog-witness `add-checkpoint` request (the
 * form witnesses take), so that what an auditor is handed is what a witness would check:
 *
 *   old <size>
 *   <base64 hash>...        (RFC 6962 consistency proof from <size> to the checkpoint's size)
 *   <empty line>
 *   <signed checkpoint note, verbatim>
 *
 * verifyCheckpointConsistency() checks one offline against an earlier checkpoint; proveInclusion()
 * and proveConsistency() make the files `auditready prove` and `consistency` write. Isomorphic.
 */
import { toBase64 as b64, fromBase64 } from './base64.js';
import { type Checkpoint, openCheckpoint, parseCheckpoint } from './checkpoint.js';
import { AuditProofError } from './errors.js';
import { consistencyProof, consistencyProofWith, type Hash, inclusionProof, leafHash, rootOf, verifyConsistency } from './merkle.js';
import type { SparseTree } from './merkle-sparse.js';
import type { NoteVerifier, OpenedNote } from './note.js';
import { formatTlogProof } from './tlog-proof.js';

export interface ConsistencyProofFile {
  /** The size of the earlier checkpoint the proof starts from. */
  oldSize: number;
  hashes: Hash[];
  /** The later signed checkpoint, verbatim. */
  checkpoint: string;
}

const malformed = (why: string): never => {
  throw new AuditProofError('malformed_proof', `malformed consistency proof: ${why}`);
};

export function formatConsistencyProof(p: ConsistencyProofFile): string {
  if (!Number.isSafeInteger(p.oldSize) || p.oldSize < 0) malformed('the old size is a non-negative integer');
  if (p.hashes.some((h) => !(h instanceof Uint8Array) || h.length !== 32)) malformed('proof hashes are 32 bytes');
  if (typeof p.checkpoint !== 'string' || !p.checkpoint.endsWith('\n')) malformed('the checkpoint is a signed note');
  return `old ${p.oldSize}\n${p.hashes.map((h) => `${b64(h)}\n`).join('')}\n${p.checkpoint}`;
}

export function parseConsistencyProof(text: string): ConsistencyProofFile {
  if (typeof text !== 'string') malformed('expected text');
  const lines = text.split('\n');
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(lines[0] ?? '');
  if (!m) malformed('the first line is "old <size>" without leading zeros');
  const hashes: Hash[] = [];
  let i = 1;
  while (i < lines.length && lines[i] !== '') {
    const h = fromBase64(lines[i++] as string);
    if (h === undefined || h.length !== 32) malformed('proof lines are 32-byte hashes in base64');
    hashes.push(h as Hash);
  }
  if (i >= lines.length) malformed('no empty line before the checkpoint');
  const checkpoint = lines.slice(i + 1).join('\n');
  if (checkpoint === '') malformed('no checkpoint');
  return { oldSize: Number(m?.[1]), hashes, checkpoint };
}

/** The origin line of a checkpoint note (its first line). */
export function checkpointOrigin(note: string): string {
  const nl = note.indexOf('\n');
  return nl < 0 ? note : note.slice(0, nl);
}

/**
 * Proves offline that the checkpoint in `proofText` extends `oldNote`: both open under the trusted
 * keys, name the same log, and the consistency proof leads from the old root to the new one.
 * Throws AuditProofError (its `kind` says why) unless all of that holds.
 */
export function verifyCheckpointConsistency(
  oldNote: string,
  proofText: string,
  verifiers: readonly NoteVerifier[],
): { old: Checkpoint & { note: OpenedNote }; checkpoint: Checkpoint & { note: OpenedNote } } {
  const origin = checkpointOrigin(oldNote);
  const old = openCheckpoint(oldNote, origin, verifiers);
  const p = parseConsistencyProof(proofText);
  const checkpoint = openCheckpoint(p.checkpoint, origin, verifiers);
  if (p.oldSize !== old.size)
    throw new AuditProofError('invalid_size', `the proof starts at size ${p.oldSize}, the earlier checkpoint has ${old.size}`);
  verifyConsistency(old.size, checkpoint.size, p.hashes, old.root, checkpoint.root);
  return { old, checkpoint };
}

const enc = new TextEncoder();

/** The checkpoint's tree must be the tree of these leaves: a proof against another tree would not verify. */
function checkedCheckpoint(leaves: readonly Hash[], checkpoint: string): Checkpoint {
  const c = parseCheckpoint(openNoteText(checkpoint));
  if (c.size > leaves.length || !equalBytes(rootOf(leaves, c.size), c.root))
    throw new AuditProofError('root_mismatch', `checkpoint ${c.size} is not the tree of these entries`);
  return c;
}

/**
 * One entry's proof for an auditor (C2SP tlog-proof), from the chain's leaf hashes (leafHash of
 * each line from seq 0, through the checkpoint's size at least), the entry's line and a signed
 * checkpoint note of the chain that covers it. The line travels as the proof's extra data, so the
 * file alone is enough for verifyTlogProof (or `auditready verify-proof`).
 */
export function proveInclusionFromLeaves(leaves: readonly Hash[], seq: number, line: string, checkpoint: string): string {
  const c = checkedCheckpoint(leaves, checkpoint);
  if (seq >= c.size) throw new AuditProofError('index_out_of_range', `checkpoint ${c.size} does not cover seq ${seq}`);
  if (!equalBytes(leafHash(line), leaves[seq] as Hash))
    throw new AuditProofError('root_mismatch', `the line is not the entry at seq ${seq}`);
  return formatTlogProof({ index: seq, hashes: inclusionProof(leaves, seq, c.size), checkpoint, extra: enc.encode(line) });
}

/** proveInclusionFromLeaves for a chain's lines (from seq 0). */
export function proveInclusion(lines: readonly string[], seq: number, checkpoint: string): string {
  return proveInclusionFromLeaves(
    lines.map((l) => leafHash(l)),
    seq,
    lines[seq] as string,
    checkpoint,
  );
}

/** The consistency proof from the tree of the first `oldSize` leaves to `checkpoint` (the tree of `leaves`). */
export function proveConsistencyFromLeaves(leaves: readonly Hash[], oldSize: number, checkpoint: string): string {
  const c = checkedCheckpoint(leaves, checkpoint);
  return formatConsistencyProof({ oldSize, hashes: consistencyProof(leaves, oldSize, c.size), checkpoint });
}

/** proveConsistencyFromLeaves for a chain's lines (from seq 0). */
export function proveConsistency(lines: readonly string[], oldSize: number, checkpoint: string): string {
  return proveConsistencyFromLeaves(
    lines.map((l) => leafHash(l)),
    oldSize,
    checkpoint,
  );
}

/** The checkpoint's tree must be the tree known in part: the root of its size, from what is known. */
function checkedIn(tree: SparseTree, checkpoint: string): Checkpoint {
  const c = parseCheckpoint(openNoteText(checkpoint));
  if (c.size === 0 || !equalBytes(tree.root(0, c.size), c.root))
    throw new AuditProofError('root_mismatch', `checkpoint ${c.size} is not the tree of these entries`);
  return c;
}

/** proveInclusionFromLeaves over a tree known in part (the segments read, and compact ranges of those not read). */
export function proveInclusionIn(tree: SparseTree, seq: number, line: string, checkpoint: string): string {
  const c = checkedIn(tree, checkpoint);
  if (seq >= c.size) throw new AuditProofError('index_out_of_range', `checkpoint ${c.size} does not cover seq ${seq}`);
  const leaf = tree.leafAt(seq);
  if (leaf === undefined || !equalBytes(leafHash(line), leaf))
    throw new AuditProofError('root_mismatch', `the line is not the entry at seq ${seq}`);
  return formatTlogProof({ index: seq, hashes: tree.inclusionProof(seq, c.size), checkpoint, extra: enc.encode(line) });
}

/** proveConsistencyFromLeaves over a tree known in part. */
export function proveConsistencyIn(tree: SparseTree, oldSize: number, checkpoint: string): string {
  const c = checkedIn(tree, checkpoint);
  if (oldSize > c.size) throw new AuditProofError('size1_greater_than_size2', `size1 ${oldSize} > size2 ${c.size}`);
  return formatConsistencyProof({ oldSize, hashes: consistencyProofWith(tree.root, oldSize, c.size), checkpoint });
}

/** A note's text (before the signatures), without checking them: the caller checks the root against its own tree. */
function openNoteText(note: string): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new AuditProofError('malformed_note', 'malformed note: no blank line before the signatures');
  return note.slice(0, split + 1);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
