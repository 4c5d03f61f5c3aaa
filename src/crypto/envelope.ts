// Envelope encryption: a random 256-bit data key encrypts the payload; each key slot wraps it, for a
// passphrase (Argon2id) or an X25519 recipient (ephemeral share + HKDF, as in age). Any one slot opens
// the file; rekey writes new slots around the same data key, so the payload is not touched.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AuthenticationError, FormatError, LimitError, WrongPassphraseError } from '../errors.js';
import { resolveAesGcm, type AesGcmBackend } from './aes.js';
import { concatBytes, equalBytes, isAllZero, joinParts, randomBytes, textEncoder } from './bytes.js';
import {
  assembleHeader, checkSegmentSize, DEFAULT_SEGMENT_SIZE, encodeFixed, headerMac, MAX_SLOTS, parseHeader, passphraseSlotPrefix,
  SLOT_NONCE_LENGTH, STREAM_ID_LENGTH, x25519SlotPrefix, type EnvelopeInfo, type ParsedHeader,
} from './header.js';
import {
  checkKdfParams, DEFAULT_KDF, DEFAULT_KDF_LIMITS, DEFAULT_SALT_LENGTH, deriveKey, passphraseBytes, SALT_MAX, SALT_MIN,
  type KdfLimits, type KdfParams,
} from './kdf.js';
import { parsePrivateKey, parsePublicKey } from './key-text.js';

/** The curve, loaded with the first public-key slot: a passphrase-only backup (the CLI's usual case) never needs it. */
const curve = () => import('./x25519.js').then((m) => m.x25519);

export type Recipient =
  | { passphrase: string; kdf?: Partial<KdfParams>; saltLength?: number }
  | { publicKey: Uint8Array | string };
export type Identity = { passphrase: string } | { privateKey: Uint8Array | string };

export interface SealOptions {
  /** Plaintext bytes per segment (default 1 MiB; 64 B .. 16 MiB). */
  segmentSize?: number;
  /** AES-GCM backend for the key wraps (default: the fastest available). */
  aes?: AesGcmBackend | string;
}

export interface OpenOptions {
  /** Raise the bounds on Argon2 parameters read from the file (defaults: DEFAULT_KDF_LIMITS). */
  limits?: Partial<KdfLimits>;
  aes?: AesGcmBackend | string;
}

/** A new envelope: `header` goes to the container's meta; pass the object to encryptStream. */
export interface Sealed {
  readonly header: Uint8Array;
  readonly info: EnvelopeInfo;
}

/** An opened envelope: pass it to decryptStream. `slot` is the index of the key slot that opened it. */
export interface Opened {
  readonly info: EnvelopeInfo;
  readonly slot: number;
}

/** What the stream layer needs; held outside the returned objects so they never print or serialise a key. */
export interface StreamKeys {
  payloadKey: Uint8Array;
  noncePrefix: Uint8Array;
  aad: Uint8Array;
  segmentSize: number;
}

const secrets = new WeakMap<object, { dataKey: Uint8Array; stream: StreamKeys; parsed: ParsedHeader }>();

export function streamKeysOf(envelope: Sealed | Opened): StreamKeys {
  const found = secrets.get(envelope);
  if (!found) throw new TypeError('expected the result of sealEnvelope or openEnvelope');
  return found.stream;
}

const KEYS_INFO = textEncoder.encode('dbs/v1 keys');
const X25519_INFO = textEncoder.encode('dbs/v1 X25519');
const ZERO_NONCE = new Uint8Array(SLOT_NONCE_LENGTH);
const NONCE_PREFIX_LENGTH = 7;

/** payload key and header MAC key from the data key; the stream id makes both unique per file. */
function subkeys(dataKey: Uint8Array, streamId: Uint8Array): { payloadKey: Uint8Array; headerKey: Uint8Array } {
  const okm = hkdf(sha256, dataKey, streamId, KEYS_INFO, 64);
  return { payloadKey: okm.slice(0, 32), headerKey: okm.slice(32, 64) };
}

function x25519WrapKey(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Uint8Array {
  return hkdf(sha256, shared, concatBytes(share, recipient), X25519_INFO, 32);
}

function checkRecipients(recipients: readonly Recipient[]): void {
  if (!Array.isArray(recipients) || recipients.length === 0) throw new TypeError('recipients: expected at least one passphrase or public key');
  if (recipients.length > MAX_SLOTS) throw new LimitError('recipients', recipients.length, MAX_SLOTS, `a backup holds at most ${MAX_SLOTS} key slots`);
  const writeHint = 'choose parameters within the bounds every reader accepts';
  let work = 0;
  for (const r of recipients) {
    if (r && 'passphrase' in r) {
      passphraseBytes(r.passphrase);
      const kdf = { ...DEFAULT_KDF, ...r.kdf };
      checkKdfParams(kdf, DEFAULT_KDF_LIMITS, writeHint);
      work += kdf.memoryKiB * kdf.passes;
      const saltLength = r.saltLength ?? DEFAULT_SALT_LENGTH;
      if (!Number.isSafeInteger(saltLength) || saltLength < SALT_MIN || saltLength > SALT_MAX) {
        throw new LimitError('saltLength', saltLength, saltLength < SALT_MIN ? SALT_MIN : SALT_MAX, `a salt is ${SALT_MIN} to ${SALT_MAX} bytes`);
      }
    } else if (r && 'publicKey' in r) {
      parsePublicKey(r.publicKey);
    } else {
      throw new TypeError('recipient: expected { passphrase } or { publicKey }');
    }
  }
  if (work > DEFAULT_KDF_LIMITS.maxWork) throw new LimitError('kdf work summed over passphrase slots', work, DEFAULT_KDF_LIMITS.maxWork, writeHint);
}

async function makeSlots(recipients: readonly Recipient[], dataKey: Uint8Array, aes: AesGcmBackend) {
  const slots: { prefix: Uint8Array; wrapped: Uint8Array }[] = [];
  for (const r of recipients) {
    if ('passphrase' in r) {
      const kdf: KdfParams = { ...DEFAULT_KDF, ...r.kdf };
      const salt = randomBytes(r.saltLength ?? DEFAULT_SALT_LENGTH);
      const nonce = randomBytes(SLOT_NONCE_LENGTH);
      const prefix = passphraseSlotPrefix(salt, kdf, nonce);
      const kek = await aes.importKey(await deriveKey(r.passphrase, salt, kdf));
      slots.push({ prefix, wrapped: joinParts(await kek.seal(nonce, prefix, [dataKey])) });
    } else {
      const recipient = parsePublicKey(r.publicKey);
      const x25519 = await curve();
      const ephemeral = randomBytes(32);
      const share = x25519.getPublicKey(ephemeral);
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(ephemeral, recipient);
      } catch (cause) {
        throw new FormatError('X25519 public key is not usable (a low-order point)', { cause });
      }
      if (isAllZero(shared)) throw new FormatError('X25519 public key is not usable (a low-order point)');
      const prefix = x25519SlotPrefix(share);
      const kek = await aes.importKey(x25519WrapKey(shared, share, recipient));
      slots.push({ prefix, wrapped: joinParts(await kek.seal(ZERO_NONCE, prefix, [dataKey])) });
    }
  }
  return slots;
}

function remember<T extends object>(target: T, dataKey: Uint8Array, parsed: ParsedHeader): T {
  const { payloadKey } = subkeys(dataKey, parsed.streamId);
  secrets.set(target, {
    dataKey,
    parsed,
    stream: { payloadKey, noncePrefix: parsed.streamId.slice(0, NONCE_PREFIX_LENGTH), aad: parsed.fixed, segmentSize: parsed.segmentSize },
  });
  return Object.freeze(target);
}

/** Creates a new data key and a header with one key slot per recipient. */
export async function sealEnvelope(recipients: readonly Recipient[], options: SealOptions = {}): Promise<Sealed> {
  checkRecipients(recipients);
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  checkSegmentSize(segmentSize, `choose a segment size within the bounds every reader accepts`);
  const aes = resolveAesGcm(options.aes);
  const dataKey = randomBytes(32);
  const fixed = encodeFixed(segmentSize, randomBytes(STREAM_ID_LENGTH));
  const streamId = fixed.slice(10, 26);
  const header = assembleHeader(fixed, await makeSlots(recipients, dataKey, aes), subkeys(dataKey, streamId).headerKey);
  const parsed = parseHeader(header);
  return remember({ header, info: parsed.info }, dataKey, parsed);
}

async function unwrap(parsed: ParsedHeader, identity: Identity, aes: AesGcmBackend): Promise<{ dataKey: Uint8Array; slot: number }> {
  if (identity && 'passphrase' in identity) {
    passphraseBytes(identity.passphrase);
    let tried = 0;
    for (const [index, slot] of parsed.slots.entries()) {
      if (slot.type !== 'passphrase') continue;
      tried++;
      const kek = await aes.importKey(await deriveKey(identity.passphrase, slot.salt, slot.kdf));
      const opened = await kek.open(slot.nonce, slot.prefix, [slot.wrapped]);
      if (opened) return { dataKey: joinParts(opened), slot: index };
    }
    if (tried === 0) throw new WrongPassphraseError('this backup has no passphrase slot: open it with a private key');
    throw new WrongPassphraseError();
  }
  if (identity && 'privateKey' in identity) {
    const secret = parsePrivateKey(identity.privateKey);
    const x25519 = await curve();
    const own = x25519.getPublicKey(secret);
    let tried = 0;
    for (const [index, slot] of parsed.slots.entries()) {
      if (slot.type !== 'x25519') continue;
      tried++;
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(secret, slot.share);
      } catch {
        continue;
      }
      if (isAllZero(shared)) continue;
      const kek = await aes.importKey(x25519WrapKey(shared, slot.share, own));
      const opened = await kek.open(ZERO_NONCE, slot.prefix, [slot.wrapped]);
      if (opened) return { dataKey: joinParts(opened), slot: index };
    }
    if (tried === 0) throw new WrongPassphraseError('this backup has no public-key slot: open it with a passphrase');
    throw new WrongPassphraseError('wrong private key: no key slot of this backup opens with it');
  }
  throw new TypeError('identity: expected { passphrase } or { privateKey }');
}

async function openParsed(header: Uint8Array, identity: Identity, options: OpenOptions) {
  const parsed = parseHeader(header, { ...DEFAULT_KDF_LIMITS, ...options.limits });
  const { dataKey, slot } = await unwrap(parsed, identity, resolveAesGcm(options.aes));
  const { headerKey } = subkeys(dataKey, parsed.streamId);
  if (!equalBytes(headerMac(headerKey, parsed.authenticated), parsed.mac)) {
    throw new AuthenticationError('security header was altered: a key slot opened but the header MAC does not verify');
  }
  return { parsed, dataKey, slot, headerKey };
}

/**
 * Opens a header with a passphrase or private key. WrongPassphraseError when no slot opens;
 * AuthenticationError when the header was altered; FormatError/LimitError before any derivation.
 */
export async function openEnvelope(header: Uint8Array, identity: Identity, options: OpenOptions = {}): Promise<Opened> {
  const { parsed, dataKey, slot } = await openParsed(header, identity, options);
  return remember({ info: parsed.info, slot }, dataKey, parsed);
}

/**
 * A new header for the same data key and stream (so the payload is untouched) whose slots are
 * exactly `recipients`. Needs one identity that opens the old header.
 */
export async function rekeyEnvelope(header: Uint8Array, identity: Identity, recipients: readonly Recipient[], options: OpenOptions = {}): Promise<Uint8Array> {
  checkRecipients(recipients);
  const { parsed, dataKey, headerKey } = await openParsed(header, identity, options);
  const aes = resolveAesGcm(options.aes);
  return assembleHeader(parsed.fixed, await makeSlots(recipients, dataKey, aes), headerKey);
}

/** The header's public facts (segment size, slots, Argon2 parameters); no secret needed. */
export function describeEnvelope(header: Uint8Array, options: { limits?: Partial<KdfLimits> } = {}): EnvelopeInfo {
  return parseHeader(header, { ...DEFAULT_KDF_LIMITS, ...options.limits }).info;
}
