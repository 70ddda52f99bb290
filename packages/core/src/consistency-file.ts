/**
 * A consistency proof as a file: the body of a C2SP tlog-witness `add-checkpoint` request (the
 * form witnesses take), so that what an auditor is handed is what a witness would check:
 *
 *   old <size>
 *   <base64 hash>...        (RFC 6962 consistency proof from <size> to the checkpoint's size)
 *   <empty line>
 *   <signed checkpoint note, verbatim>
 *
 * verifyCheckpointConsistency() checks one offline against an earlier checkpoint. Isomorphic.
 */
import { toBase64 as b64, fromBase64 } from './base64.js';
import { type Checkpoint, openCheckpoint } from './checkpoint.js';
import { AuditProofError } from './errors.js';
import { type Hash, verifyConsistency } from './merkle.js';
import type { NoteVerifier, OpenedNote } from './note.js';

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
  if (p.oldSize !== old.size) throw new AuditProofError('invalid_size', `the proof starts at size ${p.oldSize}, the earlier checkpoint has ${old.size}`);
  verifyConsistency(old.size, checkpoint.size, p.hashes, old.root, checkpoint.root);
  return { old, checkpoint };
}
