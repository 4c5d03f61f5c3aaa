// Passphrase key derivation: Argon2id (RFC 9106) via hash-wasm (WASM, runs in Node and browsers).
import { LimitError } from '../errors.js';
import { textEncoder } from './bytes.js';

/** Argon2id cost parameters, as stored in a passphrase slot. */
export interface KdfParams {
  /** Memory in KiB (default 65536 = 64 MiB). */
  memoryKiB: number;
  /** Passes over memory, Argon2's t (default 3). */
  passes: number;
  /** Lanes, Argon2's p (default 1: hash-wasm is single-threaded, more lanes buy no speed). */
  parallelism: number;
}

/**
 * 64 MiB, t=3, p=1: about 0.25 s here, a cost an attacker pays per guess; RFC 9106's second
 * recommended option (64 MiB, t=3) and within reach of a phone's browser.
 */
export const DEFAULT_KDF: Readonly<KdfParams> = Object.freeze({ memoryKiB: 64 * 1024, passes: 3, parallelism: 1 });

/** Upper bounds checked before any derivation, so a crafted file cannot exhaust memory or hang. */
export interface KdfLimits {
  maxMemoryKiB: number;
  maxPasses: number;
  maxParallelism: number;
  /** Bound on memoryKiB x passes summed over every passphrase slot (the work a wrong guess can cost). */
  maxWork: number;
}

export const DEFAULT_KDF_LIMITS: Readonly<KdfLimits> = Object.freeze({
  maxMemoryKiB: 4 * 1024 * 1024, // 4 GiB
  maxPasses: 64,
  maxParallelism: 16,
  maxWork: 16 * 1024 * 1024, // 16 GiB x pass: 85 times the default, about 20 s here
});

export const SALT_MIN = 16;
export const SALT_MAX = 64;
export const DEFAULT_SALT_LENGTH = 16;
export const DERIVED_KEY_LENGTH = 32;

/** Checks one parameter set (lower bounds from RFC 9106, upper bounds from `limits`). */
export function checkKdfParams(params: KdfParams, limits: KdfLimits = DEFAULT_KDF_LIMITS, hint?: string): void {
  const { memoryKiB, passes, parallelism } = params;
  for (const [field, value] of [['kdf.memoryKiB', memoryKiB], ['kdf.passes', passes], ['kdf.parallelism', parallelism]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new LimitError(field, value, 1, hint ?? 'must be a positive integer');
  }
  if (parallelism > limits.maxParallelism) throw new LimitError('kdf.parallelism', parallelism, limits.maxParallelism, hint);
  if (passes > limits.maxPasses) throw new LimitError('kdf.passes', passes, limits.maxPasses, hint);
  if (memoryKiB > limits.maxMemoryKiB) throw new LimitError('kdf.memoryKiB', memoryKiB, limits.maxMemoryKiB, hint);
  if (memoryKiB < 8 * parallelism) {
    throw new LimitError('kdf.memoryKiB', memoryKiB, 8 * parallelism, hint ?? 'Argon2 needs at least 8 KiB per lane');
  }
  if (memoryKiB * passes > limits.maxWork) throw new LimitError('kdf.memoryKiB*passes', memoryKiB * passes, limits.maxWork, hint);
}

/** The passphrase's bytes: UTF-8 of its NFC form, so the same text typed on any system gives the same key. */
export function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new TypeError('passphrase: expected a non-empty string');
  return textEncoder.encode(passphrase.normalize('NFC'));
}

// hash-wasm is loaded on the first derivation here: where derivations run on a worker thread
// (kdf-worker.node.ts, as bin/dbs.js and the Node entry set up), this thread never loads it
// (about 30 ms of every command's start-up, measured with DBS_TRACE=1).
// The import goes through argon2id.ts so that browser bundles keep only Argon2id of hash-wasm.
let hashWasm: Promise<typeof import('./argon2id.js')> | undefined;

/** Argon2id(passphrase bytes, salt) -> 32-byte key, computed by hash-wasm on the calling thread. */
export async function deriveKeyBytes(password: Uint8Array, salt: Uint8Array, params: KdfParams): Promise<Uint8Array> {
  const { argon2id } = await (hashWasm ??= import('./argon2id.js'));
  return argon2id({
    password,
    salt,
    iterations: params.passes,
    memorySize: params.memoryKiB,
    parallelism: params.parallelism,
    hashLength: DERIVED_KEY_LENGTH,
    outputType: 'binary',
  });
}

/** Computes deriveKeyBytes somewhere else (kdf-worker.node.ts: on a worker thread); same result. */
export type KdfRunner = (password: Uint8Array, salt: Uint8Array, params: KdfParams) => Promise<Uint8Array>;

let runner: KdfRunner | undefined;

/**
 * Makes `derive` compute every key derivation (kdf-worker.node.ts registers a worker thread, so
 * Argon2's ~0.25 s does not block the event loop); undefined goes back to the calling thread.
 */
export function setKdfRunner(derive: KdfRunner | undefined): void {
  runner = derive;
}

/** Argon2id(passphrase, salt) -> 32-byte key, on the registered runner if any. Callers check the parameters first. */
export async function deriveKey(passphrase: string, salt: Uint8Array, params: KdfParams, options: { inThread?: boolean } = {}): Promise<Uint8Array> {
  const password = passphraseBytes(passphrase);
  const derive = options.inThread ? deriveKeyBytes : (runner ?? deriveKeyBytes);
  return derive(password, salt, { memoryKiB: params.memoryKiB, passes: params.passes, parallelism: params.parallelism });
}
