/**
 * C2SP tlog-cosignature (cosignature/v1, signature type 0x04): a witness's timestamped Ed25519
 * signature of a checkpoint. Signed message: `cosignature/v1\ntime <POSIX seconds>\n` followed by
 * the whole checkpoint body; the note signature line carries key id (4 bytes) || timestamp (8
 * bytes, big-endian) || Ed25519 signature (64 bytes). Key id = SHA-256(name || 0x0A || 0x04 ||
 * public key)[:4]; verifier key `name+id+base64(0x04 || public key)`. Timestamps above 2^63-1 are
 * rejected (the spec's bound; Go's formats library accepts them). Isomorphic.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64 } from './base64.js';
import { ed25519PublicKey, ed25519Signer, ed25519Verify } from './ed25519.js';
import { AuditProofError } from './errors.js';
import type { NoteSigner } from './note.js';

export const COSIGNATURE_V1 = 0x04;
const MAX_TIME = 2n ** 63n - 1n;
const enc = new TextEncoder();

const hex8 = (bytes: Uint8Array) => [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** Key id of a key of signature type `type`: SHA-256(name || 0x0A || type || public key)[:4], hex. */
export function typedKeyId(name: string, type: number, publicKey: Uint8Array): string {
  const n = enc.encode(name);
  const input = new Uint8Array(n.length + 2 + publicKey.length);
  input.set(n);
  input[n.length] = 0x0a;
  input[n.length + 1] = type;
  input.set(publicKey, n.length + 2);
  return hex8(sha256(input));
}

/** The bytes a cosignature signs for a checkpoint body (the note's text) at `time`. */
export function cosignedMessage(text: string, time: bigint | number): Uint8Array {
  return enc.encode(`cosignature/v1\ntime ${BigInt(time)}\n${text}`);
}

/**
 * Checks a cosignature line's payload after its key id (timestamp || signature) over `text`.
 * Returns the timestamp (seconds) when it verifies, undefined when it does not.
 */
export function verifyCosignature(payload: Uint8Array, text: string, publicKey: Uint8Array): number | undefined {
  if (payload.length !== 72) return undefined;
  let t = 0n;
  for (const b of payload.subarray(0, 8)) t = (t << 8n) | BigInt(b);
  if (t > MAX_TIME) return undefined;
  return ed25519Verify(payload.subarray(8), cosignedMessage(text, t), publicKey) ? Number(t) : undefined;
}

/**
 * A cosigner (a witness's key) as a NoteSigner: sign(text) gives timestamp || signature, stamped
 * with `now()` (seconds; default the clock). For witnesses and tests; the verifier key is given.
 */
export function cosignatureSigner(
  name: string,
  seed: Uint8Array,
  now: () => number = () => Math.floor(Date.now() / 1000),
): NoteSigner & { verifierKey: string } {
  if (seed.length !== 32) throw new AuditProofError('invalid_key', 'a cosigner seed has 32 bytes');
  const publicKey = ed25519PublicKey(seed);
  const keyId = typedKeyId(name, COSIGNATURE_V1, publicKey);
  const sign = ed25519Signer(seed);
  return {
    name,
    keyId,
    verifierKey: `${name}+${keyId}+${toBase64(Uint8Array.of(COSIGNATURE_V1, ...publicKey))}`,
    sign: (text) => {
      const t = BigInt(now());
      const out = new Uint8Array(72);
      for (let i = 7, v = t; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
      out.set(sign(cosignedMessage(new TextDecoder().decode(text), t)), 8);
      return out;
    },
  };
}
