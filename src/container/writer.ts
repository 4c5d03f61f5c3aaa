// The streaming writer. Memory holds one block, its parity and the block hashes (32 bytes per
// block); the second copy of the blocks is parked in a Spool until the first copy and its manifest
// are out, so the file reads: header, meta 0, blocks copy 0, manifest 0, meta 1, blocks copy 1,
// manifest 1, meta 2, trailer.
import { UsageError } from '../errors.js';
import { memorySpool } from '../io/memory.js';
import type { ByteStream, SpoolFactory } from '../io/types.js';
import {
  DEFAULT_BLOCK_SIZE, DEFAULT_PARITY, FLAG_LAST, ID_LENGTH, KIND, LIMITS, MANIFEST_CHUNK_BLOCKS, MANIFEST_FIXED,
  HASH_LENGTH, HEAD_SIZE, computeLayout, encodeParams, frameSize, type Params,
} from './format.js';
import { encodeFrame, loadTools, type Tools } from './frames.js';
import { Balance, encodeBatch, localEngine, swapHeads, type BlockEngine, type EncodeJob, type EncodeResult } from './blocks.js';

export interface WriteProgress {
  payloadBytes: number;
  blocks: number;
  /** Container bytes handed on so far. */
  written: number;
}

export interface WriteOptions {
  /** The upper layer's header (opaque), at most 64 KiB. */
  meta: Uint8Array;
  /** Payload bytes per block (default 64 KiB; 1 KiB to 16 MiB). */
  blockSize?: number;
  /** Reed-Solomon parity symbols per codeword in blocks (default 16; even, 2 to 64). */
  parity?: number;
  /** Where the second copy waits (default memorySpool; the Node pipeline passes fileSpool). */
  spool?: SpoolFactory;
  createdAt?: Date;
  onProgress?: (progress: WriteProgress) => void;
  /** Runs the block work (hash, parity, heads); default: this thread. `workerEngine` (Node) uses every core. */
  engine?: (parity: number) => Promise<BlockEngine>;
  /** The container id (16 bytes) that ties frames to this file. Random by default; fixed by test vectors and replaceMeta. */
  id?: Uint8Array;
}

export interface ResolvedWriteOptions {
  meta: Uint8Array;
  blockSize: number;
  parity: number;
  createdAt: number;
  id: Uint8Array;
}

export function resolveWriteOptions(options: WriteOptions): ResolvedWriteOptions {
  if (!options || !(options.meta instanceof Uint8Array)) throw new UsageError('writeContainer needs options.meta (a Uint8Array, may be empty)');
  if (options.meta.length > LIMITS.metaLength) {
    throw new UsageError(`meta is ${options.meta.length} bytes, above the limit of ${LIMITS.metaLength}`);
  }
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < LIMITS.minBlockSize || blockSize > LIMITS.maxBlockSize) {
    throw new UsageError(`blockSize must be an integer from ${LIMITS.minBlockSize} to ${LIMITS.maxBlockSize}, got ${blockSize}`);
  }
  const parity = options.parity ?? DEFAULT_PARITY;
  if (!Number.isInteger(parity) || parity < 2 || parity > 64 || parity % 2 !== 0) {
    throw new UsageError(`parity must be an even integer from 2 to 64, got ${parity}`);
  }
  const createdAt = (options.createdAt ?? new Date()).getTime();
  if (!Number.isSafeInteger(createdAt) || createdAt < 0) throw new UsageError('createdAt must be a valid date after 1970');
  let id = options.id;
  if (id === undefined) id = crypto.getRandomValues(new Uint8Array(ID_LENGTH));
  else if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) throw new UsageError(`id must be ${ID_LENGTH} bytes`);
  return { meta: options.meta.slice(), blockSize, parity, createdAt, id: id.slice() };
}

/** Writes a container around `payload`. Options are checked before the first byte is read. */
export function writeContainer(payload: ByteStream, options: WriteOptions): ByteStream {
  const resolved = resolveWriteOptions(options);
  return generate(payload, resolved, options.spool ?? memorySpool, options.onProgress, options.engine);
}

/** Payload bytes per batch of block frames handed to the block engine. */
const BATCH_BYTES = 1 << 20;

async function* generate(
  payload: ByteStream, o: ResolvedWriteOptions, spoolFactory: SpoolFactory, onProgress?: (p: WriteProgress) => void,
  engineFactory?: (parity: number) => Promise<BlockEngine>,
): ByteStream {
  const tools = await loadTools([o.parity]);
  const engine = await (engineFactory ?? localEngine)(o.parity);
  const params: Params = {
    blockSize: o.blockSize, parity: o.parity, createdAt: o.createdAt, metaLength: o.meta.length,
    final: false, blockCount: 0, payloadLength: 0,
  };
  const small = (kind: number, copy: number, index: number, flags: number, data: Uint8Array) =>
    encodeFrame(tools, { kind, copy, index, flags, id: o.id }, data);

  let written = 0;
  const emit = (bytes: Uint8Array) => {
    written += bytes.length;
    return bytes;
  };
  yield emit(small(KIND.HEADER, 0, 0, 0, encodeParams(params)));
  yield emit(small(KIND.META, 0, 0, 0, o.meta));

  const spool = await spoolFactory();
  try {
    let hashes = new Uint8Array(HASH_LENGTH * 64);
    let blocks = 0;
    let payloadLength = 0;
    const fullFrame = frameSize(o.blockSize, o.parity);
    // Payload bytes are gathered straight into frames, about 1 MiB of them per batch; a batch is
    // encoded (here or in a worker) while the next one fills. Output keeps block order.
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / fullFrame));
    const inFlight: { lengths: number[]; done: Promise<EncodeResult> }[] = [];
    let batch = new Uint8Array(perBatch * fullFrame);
    let lengths: number[] = [];
    let fill = 0; // bytes in the current (last) block of the batch
    let nextIndex = 0;
    const balance = new Balance(engine.workers);
    const submit = async (endsPayload: boolean) => {
      const job: EncodeJob = { buffer: batch, lengths, firstIndex: nextIndex, endsPayload, id: o.id, parity: o.parity };
      nextIndex += lengths.length;
      // With workers, this thread takes a batch itself only when the workers are behind (Balance).
      const here = engine.workers ? await balance.hereAfterTurn() : false;
      const done = here ? Promise.resolve(encodeBatch(tools, job)) : balance.sent(engine.encodeBatch(job));
      inFlight.push({ lengths, done });
      batch = new Uint8Array(perBatch * fullFrame);
      lengths = [];
    };
    const drainOne = async function* (): AsyncGenerator<Uint8Array> {
      const { lengths: sent, done } = inFlight.shift()!;
      const result = await done;
      const n = result.hashes.length / HASH_LENGTH;
      while ((blocks + n) * HASH_LENGTH > hashes.length) {
        const grown = new Uint8Array(hashes.length * 2);
        grown.set(hashes);
        hashes = grown;
      }
      hashes.set(result.hashes, blocks * HASH_LENGTH);
      blocks += n;
      // Copy 1 is the same frames under copy-1 heads: one spool write per batch, from the batch
      // itself (a spool copies or persists a chunk before write() resolves), then copy 0's heads
      // go back and the batch is handed on.
      swapHeads(result.frames, result.heads1, sent, o.parity);
      await spool.write(result.frames);
      swapHeads(result.frames, result.heads1, sent, o.parity);
      onProgress?.({ payloadBytes: payloadLength, blocks, written: written + result.frames.length });
      yield emit(result.frames);
    };

    lengths.push(0);
    for await (const chunk of payload) {
      if (!(chunk instanceof Uint8Array)) throw new UsageError('the payload stream must yield Uint8Array chunks');
      let at = 0;
      while (at < chunk.length) {
        if (fill === o.blockSize) {
          // More data follows, so the full block is not the last one.
          if (lengths.length === perBatch) {
            await submit(false);
            while (inFlight.length >= engine.parallelism) yield* drainOne();
          }
          lengths.push(0);
          fill = 0;
        }
        const take = Math.min(o.blockSize - fill, chunk.length - at);
        batch.set(chunk.subarray(at, at + take), (lengths.length - 1) * fullFrame + HEAD_SIZE + fill);
        fill += take;
        at += take;
        lengths[lengths.length - 1] = fill;
        payloadLength += take;
      }
    }
    await submit(true);
    while (inFlight.length) yield* drainOne();

    const final: Params = { ...params, final: true, blockCount: blocks, payloadLength };
    const manifest = (copy: number) => {
      const frames: Uint8Array[] = [];
      const chunks = Math.ceil(blocks / MANIFEST_CHUNK_BLOCKS);
      for (let c = 0; c < chunks; c++) {
        const first = c * MANIFEST_CHUNK_BLOCKS;
        const count = Math.min(MANIFEST_CHUNK_BLOCKS, blocks - first);
        frames.push(small(KIND.MANIFEST, copy, c, c === chunks - 1 ? FLAG_LAST : 0,
          encodeManifestChunk(final, first, count, hashes.subarray(first * HASH_LENGTH, (first + count) * HASH_LENGTH))));
      }
      return frames;
    };
    for (const frame of manifest(0)) yield emit(frame);
    yield emit(small(KIND.META, 1, 1, 0, o.meta));
    for await (const piece of spool.readBack()) yield emit(piece);
    for (const frame of manifest(1)) yield emit(frame);
    yield emit(small(KIND.META, 2, 2, 0, o.meta));
    yield emit(small(KIND.TRAILER, 0, 0, 0, encodeParams(final)));
    onProgress?.({ payloadBytes: payloadLength, blocks, written });

    const expected = computeLayout({ ...final }).fileSize;
    if (expected !== written) throw new Error(`internal: wrote ${written} bytes, the layout says ${expected}`);
  } finally {
    await spool.dispose();
    await engine.close();
  }
}

/**
 * Manifest chunk body: 0 firstBlock u32 | 4 count u32 | 8 blockCount u32 | 12 blockSize u32
 * 16 payloadLength u64 | 24 parity u8 | 25..31 zero | 32 hashes (count x 32 bytes)
 */
export function encodeManifestChunk(p: Params, first: number, count: number, hashes: Uint8Array): Uint8Array {
  const out = new Uint8Array(MANIFEST_FIXED + count * HASH_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint32(0, first, true);
  view.setUint32(4, count, true);
  view.setUint32(8, p.blockCount, true);
  view.setUint32(12, p.blockSize, true);
  view.setBigUint64(16, BigInt(p.payloadLength), true);
  out[24] = p.parity;
  out.set(hashes, MANIFEST_FIXED);
  return out;
}

export function decodeManifestChunk(body: Uint8Array) {
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const payloadLength = view.getBigUint64(16, true);
  return {
    first: view.getUint32(0, true),
    count: view.getUint32(4, true),
    blockCount: view.getUint32(8, true),
    blockSize: view.getUint32(12, true),
    payloadLength: payloadLength > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(payloadLength),
    parity: body[24],
    hashes: body.subarray(MANIFEST_FIXED),
  };
}

export type { Tools };
