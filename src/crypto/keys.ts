// X25519 identities: new key pairs and the public key of a private key. Their text form (Bech32)
// is in key-text.ts, re-exported here.
import { x25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from './bytes.js';
import { bech32Encode, parsePrivateKey, PUBLIC_KEY_HRP, SECRET_KEY_HRP } from './key-text.js';

export * from './key-text.js';

/** A new X25519 key pair in text form. Keep the private key secret; give the public key to backup writers. */
export function generateIdentity(): { privateKey: string; publicKey: string } {
  const secret = randomBytes(32);
  return { privateKey: bech32Encode(SECRET_KEY_HRP, secret), publicKey: bech32Encode(PUBLIC_KEY_HRP, x25519.getPublicKey(secret)) };
}

/** The public key (text form) of a private key (text or 32 bytes). */
export function publicKeyOf(privateKey: string | Uint8Array): string {
  return bech32Encode(PUBLIC_KEY_HRP, x25519.getPublicKey(parsePrivateKey(privateKey)));
}
