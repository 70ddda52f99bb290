/**
 * Ed25519 for notes and checkpoints: node:crypto where it exists (several times faster), else
 * @noble/curves (the portable reference; both give the same bytes — Ed25519 signatures are
 * deterministic — and the tests check every vector through both). Verification is RFC 8032
 * strict on both paths (noble with zip215: false, as Go's crypto/ed25519).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { getNodeCrypto } from './platform.js';

const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

const join = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

/** A signing function for a 32-byte seed (the key object is made once). */
export function ed25519Signer(seed: Uint8Array): (message: Uint8Array) => Uint8Array {
  const c = getNodeCrypto();
  if (c) {
    try {
      const key = c.createPrivateKey({ key: Buffer.from(join(PKCS8_PREFIX, seed)), format: 'der', type: 'pkcs8' });
      return (message) => new Uint8Array(c.sign(null, message, key));
    } catch {
      // an OpenSSL without Ed25519: the portable path
    }
  }
  const copy = seed.slice();
  return (message) => ed25519.sign(message, copy);
}

/** node:crypto key objects by public key (hex): a verifier checks many notes by few keys. */
const publicKeys = new Map<string, ReturnType<NonNullable<ReturnType<typeof getNodeCrypto>>['createPublicKey']>>();

export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const c = getNodeCrypto();
  if (c) {
    try {
      const id = Buffer.from(publicKey).toString('hex');
      let key = publicKeys.get(id);
      if (key === undefined) {
        key = c.createPublicKey({ key: Buffer.from(join(SPKI_PREFIX, publicKey)), format: 'der', type: 'spki' });
        if (publicKeys.size > 1000) publicKeys.clear();
        publicKeys.set(id, key);
      }
      return c.verify(null, message, key, signature);
    } catch {
      return false;
    }
  }
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
