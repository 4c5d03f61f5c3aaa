// The security header's bytes (docs/FORMAT.md, "Security header and encrypted stream"): parsing with
// every bound checked before any key derivation, and encoding. No secrets are handled here.
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { AuthenticationError, FormatError, LimitError, TruncatedError, UnsupportedVersionError } from '../errors.js';
import { concatBytes, equalBytes } from './bytes.js';
import { checkKdfParams, DEFAULT_KDF_LIMITS, SALT_MAX, SALT_MIN, type KdfLimits, type KdfParams } from './kdf.js';

export const HEADER_MAGIC = Uint8Array.of(0x44, 0x42, 0x53, 0x45); // "DBSE": DBS envelope
export const HEADER_VERSION = 1;
export const SUPPORTED_VERSIONS = [1] as const;
/** Suite 1: AES-256-GCM STREAM segments, HKDF-SHA256 subkeys, HMAC-SHA256 header MAC, Argon2id, X25519. */
export const SUITE_AES256GCM_STREAM = 1;
export const FIXED_LENGTH = 26; // magic .. stream id: the segments' associated data
export const STREAM_ID_LENGTH = 16;
export const MAC_LENGTH = 32;
export const DIGEST_LENGTH = 32;
export const WRAPPED_KEY_LENGTH = 48; // 32-byte data key + 16-byte GCM tag
export const SLOT_NONCE_LENGTH = 12;
export const X25519_SHARE_LENGTH = 32;
export const SEGMENT_MIN = 64;
export const SEGMENT_MAX = 16 * 1024 * 1024;
// 512 KiB: Chromium's WebCrypto runs AES-GCM on segments below 1 MiB about twice as fast
// (bench/crypto.bench.ts), and Node stays above 2 GB/s; memory per reader is about one segment.
export const DEFAULT_SEGMENT_SIZE = 512 * 1024;
export const MAX_SLOTS = 16;
export const MAX_HEADER_LENGTH = 64 * 1024;

export const SLOT_PASSPHRASE = 1;
export const SLOT_X25519 = 2;

export type SlotInfo =
  | { type: 'passphrase'; kdf: KdfParams; saltLength: number }
  | { type: 'x25519' }
  | { type: 'unknown'; code: number };

/** What a header says, readable without any secret. */
export interface EnvelopeInfo {
  version: number;
  suite: 'AES-256-GCM STREAM';
  segmentSize: number;
  headerLength: number;
  slots: SlotInfo[];
}

export interface PassphraseSlot {
  type: 'passphrase';
  salt: Uint8Array;
  kdf: KdfParams;
  nonce: Uint8Array;
  wrapped: Uint8Array;
  /** The slot's bytes before the wrapped key: the wrap's associated data. */
  prefix: Uint8Array;
}

export interface X25519Slot {
  type: 'x25519';
  share: Uint8Array;
  wrapped: Uint8Array;
  prefix: Uint8Array;
}

export type Slot = PassphraseSlot | X25519Slot | { type: 'unknown'; code: number };

export interface ParsedHeader {
  info: EnvelopeInfo;
  segmentSize: number;
  streamId: Uint8Array;
  fixed: Uint8Array;
  slots: Slot[];
  /** Bytes covered by the MAC (everything before it). */
  authenticated: Uint8Array;
  mac: Uint8Array;
}

export function checkSegmentSize(size: number, hint?: string): void {
  if (!Number.isSafeInteger(size) || size < SEGMENT_MIN) throw new LimitError('segmentSize', size, SEGMENT_MIN, hint ?? `must be an integer of at least ${SEGMENT_MIN}`);
  if (size > SEGMENT_MAX) throw new LimitError('segmentSize', size, SEGMENT_MAX, hint);
}

export function encodeFixed(segmentSize: number, streamId: Uint8Array): Uint8Array {
  const out = new Uint8Array(FIXED_LENGTH);
  out.set(HEADER_MAGIC, 0);
  out[4] = HEADER_VERSION;
  out[5] = SUITE_AES256GCM_STREAM;
  new DataView(out.buffer).setUint32(6, segmentSize, true);
  out.set(streamId, 10);
  return out;
}

function slotHead(type: number, bodyLength: number): Uint8Array {
  const out = new Uint8Array(3);
  out[0] = type;
  new DataView(out.buffer).setUint16(1, bodyLength, true);
  return out;
}

/** The bytes of a passphrase slot before its wrapped key (type, length, salt, parameters, nonce). */
export function passphraseSlotPrefix(salt: Uint8Array, kdf: KdfParams, nonce: Uint8Array): Uint8Array {
  const body = 1 + salt.length + 4 + 4 + 1 + SLOT_NONCE_LENGTH + WRAPPED_KEY_LENGTH;
  const params = new Uint8Array(9);
  const view = new DataView(params.buffer);
  view.setUint32(0, kdf.memoryKiB, true);
  view.setUint32(4, kdf.passes, true);
  params[8] = kdf.parallelism;
  return concatBytes(slotHead(SLOT_PASSPHRASE, body), Uint8Array.of(salt.length), salt, params, nonce);
}

export function x25519SlotPrefix(share: Uint8Array): Uint8Array {
  return concatBytes(slotHead(SLOT_X25519, X25519_SHARE_LENGTH + WRAPPED_KEY_LENGTH), share);
}

/** fixed | slot count | slots, then HMAC-SHA256(headerKey, all before), then SHA-256(all before). */
export function assembleHeader(fixed: Uint8Array, slots: readonly { prefix: Uint8Array; wrapped: Uint8Array }[], headerKey: Uint8Array): Uint8Array {
  const authenticated = concatBytes(fixed, Uint8Array.of(slots.length), ...slots.flatMap((s) => [s.prefix, s.wrapped]));
  const withMac = concatBytes(authenticated, hmac(sha256, headerKey, authenticated));
  return concatBytes(withMac, sha256(withMac));
}

export function headerMac(headerKey: Uint8Array, authenticated: Uint8Array): Uint8Array {
  return hmac(sha256, headerKey, authenticated);
}

/**
 * Parses and bounds-checks a header. Checks, in order: magic, version, length bound, checksum
 * (accidental damage is told apart from a wrong passphrase), suite, segment size, slots and their
 * Argon2 parameters (LimitError before any derivation). The MAC needs the data key: see envelope.ts.
 */
export function parseHeader(bytes: Uint8Array, limits: KdfLimits = DEFAULT_KDF_LIMITS): ParsedHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('security header: expected a Uint8Array');
  if (bytes.length < 4 || !equalBytes(bytes.subarray(0, 4), HEADER_MAGIC)) {
    throw new FormatError('not a DBS security header (bad magic)', { offset: 0, hint: 'this is not the header of a DBS backup, or it is badly damaged' });
  }
  if (bytes.length < 5) throw new TruncatedError('security header ends after its magic', { offset: 4 });
  if (bytes[4] !== HEADER_VERSION) throw new UnsupportedVersionError('security header', bytes[4], SUPPORTED_VERSIONS);
  if (bytes.length > MAX_HEADER_LENGTH) throw new LimitError('security header length', bytes.length, MAX_HEADER_LENGTH);
  const minimum = FIXED_LENGTH + 1 + MAC_LENGTH + DIGEST_LENGTH;
  if (bytes.length < minimum) throw new TruncatedError(`security header is ${bytes.length} bytes, shorter than the ${minimum} of an empty one`, { offset: bytes.length });
  const end = bytes.length - DIGEST_LENGTH;
  if (!equalBytes(sha256(bytes.subarray(0, end)), bytes.subarray(end))) {
    throw new AuthenticationError('security header is damaged or altered: its checksum does not match', {
      hint: 'the header was changed after it was written; if the container reported no damage, do not trust this file',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (bytes[5] !== SUITE_AES256GCM_STREAM) throw new UnsupportedVersionError('security header cipher suite', bytes[5], [SUITE_AES256GCM_STREAM]);
  const segmentSize = view.getUint32(6, true);
  checkSegmentSize(segmentSize, 'the header is damaged or was crafted; it is refused before any work is done');
  const streamId = bytes.slice(10, 26);
  const count = bytes[FIXED_LENGTH];
  if (count === 0) throw new FormatError('security header has no key slot', { offset: FIXED_LENGTH });
  if (count > MAX_SLOTS) throw new LimitError('key slot count', count, MAX_SLOTS);
  const macAt = end - MAC_LENGTH;
  const slots: Slot[] = [];
  const infos: SlotInfo[] = [];
  let work = 0;
  let at = FIXED_LENGTH + 1;
  for (let i = 0; i < count; i++) {
    if (at + 3 > macAt) throw new TruncatedError(`key slot ${i} is cut short`, { offset: at });
    const type = bytes[at];
    const length = view.getUint16(at + 1, true);
    const bodyAt = at + 3;
    if (bodyAt + length > macAt) throw new TruncatedError(`key slot ${i} (${length} bytes) runs past the end of the header`, { offset: at });
    const body = bytes.subarray(bodyAt, bodyAt + length);
    if (type === SLOT_PASSPHRASE) {
      const saltLength = body[0] ?? 0;
      if (saltLength < SALT_MIN) throw new LimitError(`slot ${i} salt length`, saltLength, SALT_MIN, 'a salt shorter than 16 bytes is refused');
      if (saltLength > SALT_MAX) throw new LimitError(`slot ${i} salt length`, saltLength, SALT_MAX);
      const expected = 1 + saltLength + 9 + SLOT_NONCE_LENGTH + WRAPPED_KEY_LENGTH;
      if (length !== expected) throw new FormatError(`passphrase slot ${i} is ${length} bytes, expected ${expected}`, { offset: at });
      const p = bodyAt + 1 + saltLength;
      const kdf: KdfParams = { memoryKiB: view.getUint32(p, true), passes: view.getUint32(p + 4, true), parallelism: bytes[p + 8] };
      checkKdfParams(kdf, limits, 'the header is damaged or was crafted; it is refused before any work is done');
      work += kdf.memoryKiB * kdf.passes;
      if (work > limits.maxWork) throw new LimitError('kdf work summed over passphrase slots', work, limits.maxWork);
      const nonceAt = p + 9;
      slots.push({
        type: 'passphrase',
        salt: bytes.slice(bodyAt + 1, bodyAt + 1 + saltLength),
        kdf,
        nonce: bytes.slice(nonceAt, nonceAt + SLOT_NONCE_LENGTH),
        wrapped: bytes.slice(nonceAt + SLOT_NONCE_LENGTH, nonceAt + SLOT_NONCE_LENGTH + WRAPPED_KEY_LENGTH),
        prefix: bytes.slice(at, nonceAt + SLOT_NONCE_LENGTH),
      });
      infos.push({ type: 'passphrase', kdf: { ...kdf }, saltLength });
    } else if (type === SLOT_X25519) {
      const expected = X25519_SHARE_LENGTH + WRAPPED_KEY_LENGTH;
      if (length !== expected) throw new FormatError(`X25519 slot ${i} is ${length} bytes, expected ${expected}`, { offset: at });
      slots.push({
        type: 'x25519',
        share: bytes.slice(bodyAt, bodyAt + X25519_SHARE_LENGTH),
        wrapped: bytes.slice(bodyAt + X25519_SHARE_LENGTH, bodyAt + expected),
        prefix: bytes.slice(at, bodyAt + X25519_SHARE_LENGTH),
      });
      infos.push({ type: 'x25519' });
    } else {
      // A slot kind from a later release: skipped when opening, still covered by the MAC.
      slots.push({ type: 'unknown', code: type });
      infos.push({ type: 'unknown', code: type });
    }
    at = bodyAt + length;
  }
  if (at !== macAt) throw new FormatError(`security header has ${macAt - at} unexpected byte(s) after its key slots`, { offset: at });
  return {
    info: { version: HEADER_VERSION, suite: 'AES-256-GCM STREAM', segmentSize, headerLength: bytes.length, slots: infos },
    segmentSize,
    streamId,
    fixed: bytes.slice(0, FIXED_LENGTH),
    slots,
    authenticated: bytes.slice(0, macAt),
    mac: bytes.slice(macAt, end),
  };
}
