// AES-256-GCM backends behind one small interface, so the stream code does not care which runs:
// node:crypto (registered by aes.node.ts; fastest in Node), WebCrypto (browsers in secure contexts,
// and Node), @noble/ciphers (pure JS; pages opened from file: or plain http have no WebCrypto).
// All three produce identical bytes (test/crypto/aes.test.ts checks it).
import { gcm } from '@noble/ciphers/aes.js';
import { joinParts } from './bytes.js';

export const AES_KEY_LENGTH = 32;
export const GCM_NONCE_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

/** An imported AES-256-GCM key. Inputs are given as lists of parts that are read as one message. */
export interface AesGcmKey {
  /** Encrypts the concatenated parts; returns ciphertext followed by the 16-byte tag, as one or more chunks. */
  seal(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /** Decrypts ciphertext||tag (given as parts); undefined when the tag does not verify. No plaintext is released before that. */
  open(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[]): Promise<Uint8Array[] | undefined>;
}

export interface AesGcmBackend {
  readonly name: 'node' | 'webcrypto' | 'noble' | (string & {});
  /**
   * Segments worth keeping in flight: WebCrypto works off the calling thread (libuv pool in Node,
   * a crypto thread in browsers), so overlapping calls gains speed; synchronous backends say 1.
   */
  readonly concurrency: number;
  importKey(key: Uint8Array): Promise<AesGcmKey>;
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== AES_KEY_LENGTH) {
    throw new TypeError(`AES-256-GCM key: expected a Uint8Array of length ${AES_KEY_LENGTH}, got length ${key?.length}`);
  }
}

/** Whether WebCrypto's AES-GCM can be used here (absent in insecure browser contexts). */
export function hasWebCrypto(): boolean {
  return typeof globalThis.crypto?.subtle?.encrypt === 'function';
}

// WebCrypto wants an ArrayBuffer-backed view; a SharedArrayBuffer view is copied.
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return (bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice()) as Uint8Array<ArrayBuffer>;
}

export const webCryptoAesGcm: AesGcmBackend = {
  name: 'webcrypto',
  concurrency: 4,
  async importKey(raw) {
    checkKey(raw);
    if (!hasWebCrypto()) throw new Error('WebCrypto (crypto.subtle) is not available here: a browser page must be a secure context (https or localhost)');
    const subtle = globalThis.crypto.subtle;
    const key = await subtle.importKey('raw', bufferSource(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return {
      async seal(nonce, aad, parts) {
        const params = { name: 'AES-GCM', iv: bufferSource(nonce), additionalData: bufferSource(aad), tagLength: 128 };
        return [new Uint8Array(await subtle.encrypt(params, key, bufferSource(joinParts(parts))))];
      },
      async open(nonce, aad, parts) {
        const params = { name: 'AES-GCM', iv: bufferSource(nonce), additionalData: bufferSource(aad), tagLength: 128 };
        try {
          return [new Uint8Array(await subtle.decrypt(params, key, bufferSource(joinParts(parts))))];
        } catch (error) {
          if (error instanceof Error && error.name === 'OperationError') return undefined;
          throw error;
        }
      },
    };
  },
};

export const nobleAesGcm: AesGcmBackend = {
  name: 'noble',
  concurrency: 1,
  async importKey(raw) {
    checkKey(raw);
    const key = raw.slice();
    return {
      async seal(nonce, aad, parts) {
        return [gcm(key, nonce, aad).encrypt(joinParts(parts))];
      },
      async open(nonce, aad, parts) {
        try {
          return [gcm(key, nonce, aad).decrypt(joinParts(parts))];
        } catch {
          return undefined;
        }
      },
    };
  },
};

let preferred: AesGcmBackend | undefined;
const named = new Map<string, AesGcmBackend>([
  ['webcrypto', webCryptoAesGcm],
  ['noble', nobleAesGcm],
]);

/** Adds a backend that names can resolve to, and makes it the default (aes.node.ts does this for node:crypto). */
export function registerAesGcm(backend: AesGcmBackend): void {
  named.set(backend.name, backend);
  preferred = backend;
}

/** Makes `backend` the default; undefined goes back to the automatic choice. */
export function setDefaultAesGcm(backend: AesGcmBackend | undefined): void {
  preferred = backend;
}

/** The backend used when none is given: the registered one, else WebCrypto, else @noble/ciphers. */
export function defaultAesGcm(): AesGcmBackend {
  return preferred ?? (hasWebCrypto() ? webCryptoAesGcm : nobleAesGcm);
}

/** Resolves a backend option: a backend object, or the name of a known one. */
export function resolveAesGcm(choice?: AesGcmBackend | string): AesGcmBackend {
  if (choice === undefined) return defaultAesGcm();
  if (typeof choice !== 'string') return choice;
  const found = named.get(choice);
  if (!found) throw new TypeError(`unknown or unavailable AES-GCM backend "${choice}" (node needs the Node entry or src/crypto/aes.node.ts)`);
  return found;
}
