// Shared by the crypto tests: small KDF parameters, header surgery (with the checksum recomputed,
// as a deliberate forger would), and typed-rejection assertions.
import * as assert from 'uvu/assert';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../../src/crypto/bytes.js';

/** Cheap Argon2 parameters for tests (the defaults are tested once, in kdf.test.ts and envelope.test.ts). */
export const FAST_KDF = { memoryKiB: 64, passes: 1, parallelism: 1 };

/** Recomputes the header's trailing SHA-256 checksum, as someone altering it on purpose would. */
export function redigest(header: Uint8Array): Uint8Array {
  const body = header.subarray(0, header.length - 32);
  return concatBytes(body, sha256(body));
}

export function flipBit(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  out[offset] ^= 1 << bit;
  return out;
}

/** Asserts that `work` rejects with an instance of `type` (and not of a more specific unexpected kind). */
export async function rejects(work: Promise<unknown> | (() => Promise<unknown>), type: abstract new (...args: any[]) => Error, what: string, message?: RegExp): Promise<Error> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (!(error instanceof type)) assert.unreachable(`${what}: expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
    if (message) assert.match((error as Error).message, message, what);
    return error as Error;
  }
  assert.unreachable(`${what}: expected ${type.name}, but it succeeded`);
  throw new Error('unreachable');
}

/** Field offsets in a header whose slots are [passphrase (16-byte salt), X25519]. */
export function fieldsOfPassphraseAndKeyHeader(length: number) {
  const s0 = 27;
  const s1 = s0 + 3 + 1 + 16 + 9 + 12 + 48;
  return {
    magic: [0, 4], version: [4, 5], suite: [5, 6], segmentSize: [6, 10], streamId: [10, 26], slotCount: [26, 27],
    slot0Type: [s0, s0 + 1], slot0Length: [s0 + 1, s0 + 3], slot0SaltLength: [s0 + 3, s0 + 4], slot0Salt: [s0 + 4, s0 + 20],
    slot0Memory: [s0 + 20, s0 + 24], slot0Passes: [s0 + 24, s0 + 28], slot0Parallelism: [s0 + 28, s0 + 29],
    slot0Nonce: [s0 + 29, s0 + 41], slot0Wrapped: [s0 + 41, s0 + 89],
    slot1Type: [s1, s1 + 1], slot1Length: [s1 + 1, s1 + 3], slot1Share: [s1 + 3, s1 + 35], slot1Wrapped: [s1 + 35, s1 + 83],
    mac: [length - 64, length - 32], digest: [length - 32, length],
  } as Record<string, [number, number]>;
}
