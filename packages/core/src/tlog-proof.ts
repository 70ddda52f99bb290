/**
 * C2SP transparency log proofs (c2sp.org/tlog-proof): one entry's offline-verifiable proof — the
 * entry's index, its inclusion proof, optional extra data, and the signed checkpoint it leads to:
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <decimal>
 *   <base64 hash>...            (sibling first, up to the root's child)
 *   <empty line>
 *   <signed checkpoint note, verbatim>
 */
import { toBase64 as b64, fromBase64 } from './base64.js';
import { type Checkpoint, openCheckpoint } from './checkpoint.js';
import { AuditProofError } from './errors.js';
import { type Hash, leafHash, verifyInclusion } from './merkle.js';
import type { NoteVerifier, OpenedNote } from './note.js';

const HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  index: number;
  hashes: Hash[];
  /** The signed checkpoint note, verbatim. */
  checkpoint: string;
  /** Opaque, unauthenticated extra data. */
  extra?: Uint8Array;
}

const malformed = (why: string): never => {
  throw new AuditProofError('malformed_proof', `malformed tlog-proof: ${why}`);
};

function unb64(s: string, what: string): Uint8Array {
  return fromBase64(s) ?? malformed(`${what} is not standard base64`);
}

export function formatTlogProof(p: TlogProof): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0) malformed('the index is a non-negative integer');
  if (p.hashes.some((h) => !(h instanceof Uint8Array) || h.length !== 32)) malformed('proof hashes are 32 bytes');
  if (typeof p.checkpoint !== 'string' || !p.checkpoint.endsWith('\n')) malformed('the checkpoint is a signed note');
  const extra = p.extra !== undefined ? `extra ${b64(p.extra)}\n` : '';
  return `${HEADER}\n${extra}index ${p.index}\n${p.hashes.map((h) => `${b64(h)}\n`).join('')}\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  if (typeof text !== 'string') malformed('expected text');
  const lines = text.split('\n');
  let i = 0;
  if (lines[i++] !== HEADER) malformed(`the first line is ${HEADER}`);
  let extra: Uint8Array | undefined;
  if (lines[i]?.startsWith('extra ')) extra = unb64((lines[i++] as string).slice(6), 'extra');
  const m = /^index (0|[1-9][0-9]{0,15})$/.exec(lines[i++] ?? '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) malformed('an "index <decimal>" line without leading zeros');
  const hashes: Hash[] = [];
  while (i < lines.length && lines[i] !== '') {
    const h = unb64(lines[i++] as string, 'a proof hash');
    if (h.length !== 32) malformed('proof hashes are 32 bytes');
    hashes.push(h);
  }
  if (i >= lines.length) malformed('no empty line before the checkpoint');
  const checkpoint = lines.slice(i + 1).join('\n');
  if (checkpoint === '') malformed('no checkpoint');
  return { index: Number(m?.[1]), hashes, checkpoint, ...(extra ? { extra } : {}) };
}

/**
 * Verifies a proof offline: the checkpoint is signed by the log's trusted key (`origin`), and
 * `entry` (the entry's canonical line, the leaf data) is at `index` in the checkpointed tree.
 */
export function verifyTlogProof(
  text: string,
  entry: Uint8Array | string,
  origin: string,
  verifiers: readonly NoteVerifier[],
): { index: number; checkpoint: Checkpoint & { note: OpenedNote } } {
  const p = parseTlogProof(text);
  const checkpoint = openCheckpoint(p.checkpoint, origin, verifiers);
  const data = typeof entry === 'string' ? new TextEncoder().encode(entry) : entry;
  verifyInclusion(leafHash(data), p.index, checkpoint.size, p.hashes, checkpoint.root);
  return { index: p.index, checkpoint };
}
