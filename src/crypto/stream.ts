// The payload as a STREAM of AES-256-GCM segments (Hoang, Reyhanitabar, Rogaway, Vizár 2015):
// segment i is seal(payloadKey, nonce = prefix(7) | i (u32 BE) | last (1), aad = header's fixed
// fields, plaintext[i*S .. (i+1)*S]). Reordering, dropping, duplicating or truncating segments
// breaks a tag. Memory: about one segment, whatever the payload size.
import { AuthenticationError, LimitError } from '../errors.js';
import type { ByteStream } from '../io/types.js';
import { GCM_TAG_LENGTH, resolveAesGcm, type AesGcmBackend } from './aes.js';
import { ChunkQueue } from './bytes.js';
import { streamKeysOf, type Opened, type Sealed, type StreamKeys } from './envelope.js';

export interface StreamOptions {
  /** AES-GCM backend: an object or 'node' | 'webcrypto' | 'noble' (default: the fastest available). */
  aes?: AesGcmBackend | string;
}

const MAX_SEGMENTS = 2 ** 32; // the counter is 32 bits

function segmentNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(prefix, 0);
  new DataView(nonce.buffer).setUint32(7, index, false);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Keeps up to `window` segment operations in flight and hands their results on in order.
 * Rejections are observed at once (no unhandled-rejection noise) and rethrown in order.
 */
class InOrder {
  private pending: Promise<Uint8Array[]>[] = [];
  constructor(private readonly window: number) {}
  add(work: Promise<Uint8Array[]>): void {
    work.catch(() => {});
    this.pending.push(work);
  }
  get full(): boolean {
    return this.pending.length >= this.window;
  }
  async next(): Promise<Uint8Array[]> {
    return this.pending.shift()!;
  }
  get size(): number {
    return this.pending.length;
  }
}

function tooLong(index: number): LimitError {
  return new LimitError('segment count', index, MAX_SEGMENTS - 1, 'the payload is too long for this segment size; use larger segments');
}

const used = new WeakSet<Sealed>();

/**
 * Encrypts a plaintext stream for a sealed envelope; the output is the container's payload.
 * A Sealed encrypts one stream only (its nonces must never cover two plaintexts): seal again for
 * another.
 */
export function encryptStream(plain: ByteStream, sealed: Sealed, options: StreamOptions = {}): ByteStream {
  const keys = streamKeysOf(sealed);
  if (used.has(sealed)) throw new TypeError('this sealed envelope already encrypted a stream: call sealEnvelope again for another');
  used.add(sealed);
  return encryptSegments(plain, keys, options);
}

/**
 * The segment encryption itself, without the single-use guard. Internal (not exported from the
 * package): the tests use it to encrypt one plaintext with each backend and compare the bytes.
 */
export async function* encryptSegments(plain: ByteStream, keys: StreamKeys, options: StreamOptions = {}): ByteStream {
  const aes = resolveAesGcm(options.aes);
  const key = await aes.importKey(keys.payloadKey);
  const size = keys.segmentSize;
  const queue = new ChunkQueue();
  const inFlight = new InOrder(aes.concurrency);
  let index = 0;
  for await (const chunk of plain) {
    queue.push(chunk);
    // A segment is sealed only once a byte beyond it is known to exist: then it is not the last.
    while (queue.length > size) {
      if (index >= MAX_SEGMENTS - 1) throw tooLong(index);
      inFlight.add(key.seal(segmentNonce(keys.noncePrefix, index, false), keys.aad, queue.take(size)));
      index++;
      if (inFlight.full) yield* await inFlight.next();
    }
  }
  inFlight.add(key.seal(segmentNonce(keys.noncePrefix, index, true), keys.aad, queue.take(queue.length)));
  while (inFlight.size) yield* await inFlight.next();
}

/**
 * Decrypts and authenticates a stream, for an opened envelope (or the Sealed that wrote it, to
 * verify a fresh backup without deriving the key again). Each segment is released only after its tag verifies;
 * any failure throws AuthenticationError (so a consumer must treat output already received from a
 * failed stream as incomplete: restore into a transaction, or to a temporary file).
 */
export async function* decryptStream(cipher: ByteStream, opened: Opened | Sealed, options: StreamOptions = {}): ByteStream {
  const keys = streamKeysOf(opened);
  const aes = resolveAesGcm(options.aes);
  const key = await aes.importKey(keys.payloadKey);
  const whole = keys.segmentSize + GCM_TAG_LENGTH;
  const queue = new ChunkQueue();
  const inFlight = new InOrder(aes.concurrency);
  let index = 0;

  const openSegment = async (parts: Uint8Array[], segment: number, last: boolean) => {
    const plain = await key.open(segmentNonce(keys.noncePrefix, segment, last), keys.aad, parts);
    if (plain) return plain;
    // Tell the likely cause apart (only on the failure path, so it costs nothing normally).
    const other = await key.open(segmentNonce(keys.noncePrefix, segment, !last), keys.aad, parts);
    const at = `segment ${segment} (stream offset ${segment * whole})`;
    if (other && last) throw new AuthenticationError(`encrypted stream is truncated: it ends after ${at}, which is not the final segment`);
    if (other && !last) throw new AuthenticationError(`encrypted stream has data after its final segment, ${at}`);
    throw new AuthenticationError(`${at} failed authentication: altered, reordered, or from another file`);
  };

  for await (const chunk of cipher) {
    queue.push(chunk);
    while (queue.length > whole) {
      if (index >= MAX_SEGMENTS - 1) throw tooLong(index);
      inFlight.add(openSegment(queue.take(whole), index, false));
      index++;
      if (inFlight.full) yield* await inFlight.next();
    }
  }
  while (inFlight.size) yield* await inFlight.next();
  if (queue.length < GCM_TAG_LENGTH) {
    throw new AuthenticationError(
      index === 0 && queue.length === 0
        ? 'encrypted stream is empty: its final segment is missing'
        : `encrypted stream is truncated inside segment ${index} (${queue.length} bytes, less than a tag)`,
    );
  }
  yield* await openSegment(queue.take(queue.length), index, true);
}
