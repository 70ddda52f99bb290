/**
 * C2SP checkpoints (c2sp.org/tlog-checkpoint): the body `<origin>\n<size>\n<base64 root>\n` plus
 * optional non-empty extension lines, signed as a note by the log's key (key name = origin).
 * Parsing follows the spec where Go's log.ParseCheckpoint is more lenient: no leading zero in the
 * size, a 32-byte root in padded base64, no empty extension line, the empty tree's root at size 0.
 */
import { toBase64 as b64, fromBase64 } from './base64.js';
import { AuditProofError } from './errors.js';
import { EMPTY_ROOT, type Hash } from './merkle.js';
import { type NoteSigner, type NoteVerifier, type OpenedNote, openNote, signNote } from './note.js';

/** The first line of a checkpoint key rotation statement: `<header>\n<origin>\n<new verifier key>\n`, signed by the old key. */
export const ROTATION_HEADER = 'auditready.dev/checkpoint-key-rotation@v1';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
  /** Extension lines (without their newlines). */
  extensions: string[];
}

const malformed = (why: string): never => {
  throw new AuditProofError('malformed_checkpoint', `malformed checkpoint: ${why}`);
};

/** The checkpoint's note text. */
export function formatCheckpoint(c: Checkpoint): string {
  if (typeof c.origin !== 'string' || c.origin === '' || /[\n\r]/.test(c.origin)) malformed('the origin is one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) malformed('the size is a non-negative integer');
  if (!(c.root instanceof Uint8Array) || c.root.length !== 32) malformed('the root is 32 bytes');
  for (const e of c.extensions) if (e === '' || /[\n\r]/.test(e)) malformed('an extension line is one non-empty line');
  return `${c.origin}\n${c.size}\n${b64(c.root)}\n${c.extensions.map((e) => `${e}\n`).join('')}`;
}

/** Parses a checkpoint body (a note's text). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) malformed('the body ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) malformed('origin, size and root hash lines are required');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') malformed('empty origin');
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    malformed('the size is a decimal without leading zeros');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(rootText)) malformed('the root hash is 32 bytes in padded base64');
  const root = fromBase64(rootText) ?? malformed('the root hash is not base64');
  if (extensions.some((e) => e === '')) malformed('an empty extension line');
  const size = Number(sizeText);
  if (size === 0 && b64(root) !== b64(EMPTY_ROOT)) malformed("a size-0 checkpoint has the empty tree's root");
  return { origin, size, root, extensions };
}

/** Signs a checkpoint: its note. */
export function signCheckpoint(c: Checkpoint, signers: readonly NoteSigner[]): Promise<string> {
  return signNote(formatCheckpoint(c), signers);
}

/**
 * Opens a signed checkpoint of `origin`: the note must carry a verified signature by one of
 * `verifiers`, the log's trusted keys (as Go's log.ParseCheckpoint: the key name need not be the
 * origin; C2SP only recommends it); other signatures are reported, unverified.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  origin: string,
  verifiers: readonly NoteVerifier[],
): Checkpoint & { note: OpenedNote } {
  const opened = openNote(note, verifiers);
  const c = parseCheckpoint(opened.text);
  if (c.origin !== origin) throw new AuditProofError('malformed_checkpoint', `checkpoint of origin "${c.origin}", expected "${origin}"`);
  // A witness's cosignature is not the log's signature: a note key (type 0x01) must have signed.
  if (!opened.verified.some((x) => x.timestamp === undefined))
    throw new AuditProofError('unverified_note', `no trusted signature on the checkpoint of "${origin}"`);
  return { ...c, note: opened };
}
