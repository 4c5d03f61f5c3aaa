// BLAKE2b for containers: 256-bit digests of bodies and 128-bit head checks, both from the codec's
// own WebAssembly module (src/integrity/blake2b.ts), which also hashes a block while it holds it
// for parity (no second copy into another module).
import { loadBlake2b } from '../integrity/blake2b.js';
import { HASH_LENGTH, CHECK_LENGTH } from './format.js';

export interface Hashers {
  /** BLAKE2b-256 of `data` (a fresh array). */
  hash(data: Uint8Array): Uint8Array;
  /** BLAKE2b-128 of `data` (a fresh array): the head check. */
  check(data: Uint8Array): Uint8Array;
  /** Whether BLAKE2b-256 of `data` equals `expected`. */
  verify(data: Uint8Array, expected: Uint8Array): boolean;
}

let pending: Promise<Hashers> | undefined;

/** Shared hashers; JS is single-threaded and every call is synchronous, so sharing is safe. */
export function loadHashers(): Promise<Hashers> {
  pending ??= create().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function create(): Promise<Hashers> {
  const blake2b = await loadBlake2b();
  const hash = (data: Uint8Array) => blake2b.digest(data, HASH_LENGTH);
  return {
    hash,
    check: (data) => blake2b.digest(data, CHECK_LENGTH),
    verify: (data, expected) => equalBytes(hash(data), expected),
  };
}

// Node's Buffer compares with memcmp (many GB/s); browsers use the word-wise loop below.
// Buffer.prototype.equals accepts any Uint8Array as `this` and argument: no Buffer wrappers needed.
const nodeEquals = (globalThis as { Buffer?: { prototype: { equals(this: Uint8Array, o: Uint8Array): boolean } } }).Buffer?.prototype.equals;

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
  if (nodeEquals && n >= 256) return nodeEquals.call(a, b);
  let i = 0;
  // Word-wise when both views share their alignment (block bodies in read windows do).
  if (n >= 64 && (a.byteOffset & 3) === (b.byteOffset & 3)) {
    while ((a.byteOffset + i) & 3) {
      if (a[i] !== b[i]) return false;
      i++;
    }
    const words = (n - i) >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset + i, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset + i, words);
    for (let w = 0; w < words; w++) if (wa[w] !== wb[w]) return false;
    i += words << 2;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
