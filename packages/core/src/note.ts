/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, as Go's golang.org/x/mod/sumdb/note
 * writes and reads them: a UTF-8 text ending in a newline, a blank line, then signature lines
 * `— <key name> <base64(key id || signature)>`. Key id = the first 4 bytes of
 * SHA-256(name || 0x0A || 0x01 || public key). Verifier key: `<name>+<key id hex>+<base64(0x01 ||
 * public key)>`; signer key: `PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>`. Where Go is
 * more lenient than the spec (an uppercase hex key id), this follows the spec. Isomorphic:
 * Ed25519 from ed25519.ts (node:crypto when present, else noble), SHA-256 from noble, randomness
 * from globalThis.crypto.
 */
import { toBase64 as b64, fromBase64 as unb64 } from './base64.js';
import { COSIGNATURE_V1, typedKeyId, verifyCosignature } from './cosignature.js';
import { ed25519PublicKey, ed25519Signer, ed25519Verify } from './ed25519.js';
import { AuditProofError } from './errors.js';

const ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
const MAX_NOTE_BYTES = 1_000_000;
const MAX_SIGNATURES = 100;

export interface NoteVerifier {
  readonly name: string;
  /** The key id, 8 lowercase hex digits. */
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  /** The verifier key string (`name+id+base64`). */
  readonly text: string;
  /** A witness's cosignature key (C2SP tlog-cosignature, type 0x04) rather than a note key (type 0x01). */
  readonly cosignature?: boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: string;
  /** Signs the note's text bytes (a KMS or HSM may stand behind it). */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface NoteSignature {
  name: string;
  keyId: string;
  /** The line's base64: key id and signature bytes. */
  signature: string;
  /** A verified cosignature's timestamp (POSIX seconds): when the witness signed. */
  timestamp?: number;
}

export interface OpenedNote {
  text: string;
  /** Signatures by keys the caller trusts, each verified. */
  verified: NoteSignature[];
  /** Signatures by keys the caller does not know (not checked). */
  unverified: NoteSignature[];
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

const hex8 = (bytes: Uint8Array) => [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** `<name>+<id>+<data>`: the name has no `+`, the data (base64) may. */
function splitKey(text: string): [string, string, string] | undefined {
  const a = text.indexOf('+');
  const b = a === -1 ? -1 : text.indexOf('+', a + 1);
  return b === -1 ? undefined : [text.slice(0, a), text.slice(a + 1, b), text.slice(b + 1)];
}

/** A key name: non-empty UTF-8 without `+` or whitespace (Unicode spaces included). */
function validName(name: string): boolean {
  return name.length > 0 && !/[+\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name) && name.isWellFormed();
}

/** The key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4], as hex. */
export function noteKeyId(name: string, publicKey: Uint8Array): string {
  return typedKeyId(name, ED25519, publicKey);
}

/** Parses a note verifier key (`name+id+base64(0x01 || key)`); throws AuditProofError('invalid_key') naming what is wrong. */
export function parseVerifierKey(text: string): NoteVerifier {
  return parseKey(text, ED25519, 'verifier key');
}

/** Parses a witness's cosignature verifier key (`name+id+base64(0x04 || key)`, C2SP tlog-cosignature). */
export function parseWitnessKey(text: string): NoteVerifier {
  return parseKey(text, COSIGNATURE_V1, 'witness key');
}

function parseKey(text: string, want: number, what: string): NoteVerifier {
  const bad = (why: string): never => {
    throw new AuditProofError('invalid_key', `${what}: ${why}`);
  };
  if (typeof text !== 'string') bad('must be a string');
  const parts = splitKey(text);
  if (parts === undefined) bad('expected <name>+<key id>+<key>');
  const [name, id, data] = parts as [string, string, string];
  if (!validName(name)) bad('invalid key name');
  if (!/^[0-9a-f]{8}$/.test(id)) bad('the key id must be 8 lowercase hex digits');
  const key = unb64(data);
  if (key === undefined) bad('the key is not valid base64');
  const type = (key as Uint8Array)[0] as number;
  if (type !== want) bad(want === ED25519 ? 'not an Ed25519 note key (type 0x01)' : 'not an Ed25519 cosignature/v1 key (type 0x04)');
  if ((key as Uint8Array).length !== 33) bad('an Ed25519 public key has 32 bytes');
  const publicKey = (key as Uint8Array).subarray(1);
  if (typedKeyId(name, type, publicKey) !== id) bad('the key id does not match the name and key');
  return { name, keyId: id, publicKey, text, ...(type === COSIGNATURE_V1 ? { cosignature: true } : {}) };
}

/** Parses a signer key (`PRIVATE+KEY+name+id+base64(0x01 || seed)`) into a signer. */
export function parseSignerKey(text: string): NoteSigner & { verifierKey: string } {
  const bad = (why: string): never => {
    throw new AuditProofError('invalid_key', `signer key: ${why}`);
  };
  if (typeof text !== 'string' || !text.startsWith('PRIVATE+KEY+')) bad('expected PRIVATE+KEY+<name>+<key id>+<key>');
  const parts = splitKey(text.slice('PRIVATE+KEY+'.length));
  if (parts === undefined) bad('expected PRIVATE+KEY+<name>+<key id>+<key>');
  const [name, id, data] = parts as [string, string, string];
  if (!validName(name)) bad('invalid key name');
  const key = unb64(data);
  if (key === undefined || key[0] !== ED25519 || key.length !== 33) bad('expected base64 of 0x01 and a 32-byte Ed25519 seed');
  const seed = (key as Uint8Array).slice(1);
  const publicKey = ed25519PublicKey(seed);
  if (noteKeyId(name, publicKey) !== id) bad('the key id does not match the name and key');
  return {
    name,
    keyId: id,
    verifierKey: `${name}+${id}+${b64(Uint8Array.of(ED25519, ...publicKey))}`,
    sign: ed25519Signer(seed),
  };
}

/** A new Ed25519 note key pair: the signer key (keep it secret) and the verifier key (publish it). */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  if (!validName(name)) throw new AuditProofError('invalid_key', 'invalid key name: non-empty, no "+" and no spaces');
  const seed = new Uint8Array(32);
  globalThis.crypto.getRandomValues(seed);
  const publicKey = ed25519PublicKey(seed);
  const id = noteKeyId(name, publicKey);
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${b64(Uint8Array.of(ED25519, ...seed))}`,
    verifierKey: `${name}+${id}+${b64(Uint8Array.of(ED25519, ...publicKey))}`,
  };
}

/** Note text: UTF-8, ends in a newline, no control characters but newlines. */
function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new AuditProofError('malformed_note', 'a note text must end with a newline');
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text) || !text.isWellFormed())
    throw new AuditProofError('malformed_note', 'a note text holds no control characters but newlines');
}

function signatureLine(s: NoteSigner, sig: Uint8Array): string {
  const id = Uint8Array.from(s.keyId.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  return `${SIG_PREFIX}${s.name} ${b64(Uint8Array.of(...id, ...sig))}\n`;
}

function signingInput(text: string, signers: readonly NoteSigner[]): Uint8Array {
  checkText(text);
  if (signers.length === 0) throw new AuditProofError('invalid_key', 'signNote needs at least one signer');
  return enc.encode(text);
}

/** Signs `text` (ending in a newline) with every signer: the signed note. */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  const message = signingInput(text, signers);
  let lines = '';
  for (const s of signers) lines += signatureLine(s, await s.sign(message));
  return `${text}\n${lines}`;
}

/**
 * signNote without a detour through the event loop when every signer answers synchronously (a key
 * in memory): the note itself, else a promise of it (a KMS or HSM signer).
 */
export function signNoteNow(text: string, signers: readonly NoteSigner[]): string | Promise<string> {
  const message = signingInput(text, signers);
  let lines = '';
  for (const [i, s] of signers.entries()) {
    const sig = s.sign(message);
    if (sig instanceof Promise) return finishSigning(text, message, signers.slice(i), lines, sig);
    lines += signatureLine(s, sig);
  }
  return `${text}\n${lines}`;
}

async function finishSigning(
  text: string,
  message: Uint8Array,
  rest: readonly NoteSigner[],
  done: string,
  first: Promise<Uint8Array>,
): Promise<string> {
  let lines = done + signatureLine(rest[0] as NoteSigner, await first);
  for (const s of rest.slice(1)) lines += signatureLine(s, await s.sign(message));
  return `${text}\n${lines}`;
}

/**
 * Opens a signed note: its text and signatures, each by a known key verified. Throws
 * AuditProofError: `malformed_note`, `invalid_signature` (a known key's signature does not
 * verify), or `unverified_note` (no signature by a known key).
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const malformed = (why: string): never => {
    throw new AuditProofError('malformed_note', `malformed note: ${why}`);
  };
  let s: string;
  if (typeof note === 'string') s = note;
  else {
    try {
      s = dec.decode(note);
    } catch {
      return malformed('not valid UTF-8');
    }
  }
  if (enc.encode(s).length > MAX_NOTE_BYTES) malformed('larger than 1 MB');
  if (!s.endsWith('\n')) malformed('it must end with a newline');
  const split = s.lastIndexOf('\n\n');
  if (split === -1) malformed('no blank line before the signatures');
  const text = s.slice(0, split + 1);
  try {
    checkText(text);
  } catch {
    malformed('the text holds control characters or is not UTF-8');
  }
  const lines = s.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines[0] === '') malformed('no signature lines');
  if (lines.length > MAX_SIGNATURES) malformed(`more than ${MAX_SIGNATURES} signatures`);
  const message = enc.encode(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) malformed('a signature line starts with "— "');
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = rest.slice(0, space);
    const raw = space > 0 ? unb64(rest.slice(space + 1)) : undefined;
    if (raw === undefined || !validName(name) || raw.length < 5) malformed('a signature line is "— <name> <base64>"');
    const keyId = hex8(raw as Uint8Array);
    const sig: NoteSignature = { name, keyId, signature: rest.slice(space + 1) };
    const id = `${name}+${keyId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const v = verifiers.find((x) => x.name === name && x.keyId === keyId);
    if (v === undefined) {
      unverified.push(sig);
      continue;
    }
    if (v.cosignature) {
      const t = verifyCosignature((raw as Uint8Array).subarray(4), text, v.publicKey);
      if (t === undefined) throw new AuditProofError('invalid_signature', `invalid cosignature for key ${v.name}+${v.keyId}`);
      verified.push({ ...sig, timestamp: t });
      continue;
    }
    if (!ed25519Verify((raw as Uint8Array).subarray(4), message, v.publicKey))
      throw new AuditProofError('invalid_signature', `invalid signature for key ${v.name}+${v.keyId}`);
    verified.push(sig);
  }
  if (verified.length === 0) throw new AuditProofError('unverified_note', 'note has no signature by a trusted key');
  return { text, verified, unverified };
}
