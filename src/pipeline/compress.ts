// The compression stage: the plaintext payload is cut into independent chunks (1 MiB by default),
// each deflated (raw DEFLATE, level 1) and framed with its algorithm and lengths. Chunks are
// independent, so several are compressed at once on libuv's thread pool (node:zlib's async calls
// run there, off the main thread): compression keeps pace with capture and is never the
// bottleneck. Output order equals input order; memory is bounded by the number of chunks in
// flight. The format is in docs/FORMAT.md, section "Compression".
import { availableParallelism } from 'node:os';
import { constants as zc, deflateRaw, inflateRaw } from 'node:zlib';
import { FormatError, LimitError, TruncatedError, UnsupportedVersionError } from '../errors.js';
import type { ByteStream } from '../io/types.js';

/** "DBSZ": the compressed payload's magic. */
export const COMPRESSION_MAGIC = new Uint8Array([0x44, 0x42, 0x53, 0x5a]);
export const COMPRESSION_VERSION = 1;
export const STREAM_HEADER_LENGTH = 12;
export const FRAME_HEADER_LENGTH = 12;
/** Frame kinds. */
export const FRAME_STORED = 0;
export const FRAME_DEFLATE = 1;
export const FRAME_END = 0xff;
/** Stream algorithm ids (the header says which codec its DEFLATE frames use). */
export const ALGORITHM_DEFLATE_RAW = 1;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
/** Upper bound a reader accepts for a chunk: a crafted header cannot make it allocate more. */
export const MAX_CHUNK_SIZE = 16 << 20;

export interface CompressOptions {
  /** zlib level 0-9; default 1 (about 200 MB/s per core on SQL-like text, ratio about 5). */
  level?: number;
  /** Raw bytes per frame; default 1 MiB. */
  chunkSize?: number;
  /** Chunks compressed at once; default max(2, cores). */
  parallel?: number;
}

export interface CompressionStats {
  rawBytes: number;
  compressedBytes: number;
  frames: number;
  storedFrames: number;
}

/**
 * zlib's window at level 1: 8 KiB. Node's zlib at level 1 with the full 32 KiB window compresses
 * row text (COPY lines, JSON) worse and slower: on the 1M-row bench payload 4.37x in 0.48 s of CPU
 * against 4.02x in 0.61 s, and its output inflates faster (0.16 s against 0.18 s). Source-like
 * text loses a little (4.09x -> 3.76x). Other levels keep the 32 KiB window. Readers always
 * inflate with 32 KiB, which decodes any window.
 */
function windowBits(level: number): number {
  return level === 1 ? 13 : 15;
}

/**
 * Deflates one chunk. zlib's output buffer is `outSize` bytes: large enough for the whole output
 * (one return from the thread pool per frame, not one per 16 KiB), but not the full input size,
 * which would allocate 1 MiB per frame for ~250 KiB of output; a larger output comes in pieces.
 */
function deflateChunk(chunk: Uint8Array, level: number, outSize: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    deflateRaw(chunk, { level, memLevel: 9, windowBits: windowBits(level), strategy: zc.Z_DEFAULT_STRATEGY, chunkSize: outSize }, (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );
}

function inflateChunk(chunk: Uint8Array, rawLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    inflateRaw(chunk, { maxOutputLength: Math.max(1, rawLength), chunkSize: Math.max(64 * 1024, rawLength) }, (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );
}

function u32(view: DataView, at: number): number {
  return view.getUint32(at, true);
}

function streamHeader(chunkSize: number, level: number): Uint8Array {
  const out = new Uint8Array(STREAM_HEADER_LENGTH);
  out.set(COMPRESSION_MAGIC, 0);
  out[4] = COMPRESSION_VERSION;
  out[5] = ALGORITHM_DEFLATE_RAW;
  out[6] = level;
  out[7] = 0;
  new DataView(out.buffer).setUint32(8, chunkSize, true);
  return out;
}

function frame(kind: number, rawLength: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH + body.length);
  const view = new DataView(out.buffer);
  out[0] = kind;
  view.setUint32(4, rawLength, true);
  view.setUint32(8, body.length, true);
  out.set(body, FRAME_HEADER_LENGTH);
  return out;
}

function endFrame(totalRaw: number, frames: number): Uint8Array {
  const body = new Uint8Array(12);
  const view = new DataView(body.buffer);
  view.setBigUint64(0, BigInt(totalRaw), true);
  view.setUint32(8, frames, true);
  return frame(FRAME_END, 0, body);
}

/**
 * Re-cuts a stream into chunks of exactly `size` bytes (the last one shorter). Each chunk is a
 * buffer from `spare` when one was given back (the caller is done with it), else a new one: fewer
 * fresh allocations, so fewer garbage collections and page faults.
 */
async function* rechunk(input: ByteStream, size: number, spare: Uint8Array[] = []): AsyncGenerator<Uint8Array> {
  const fresh = () => spare.pop() ?? new Uint8Array(size);
  let buffer = fresh();
  let filled = 0;
  for await (const part of input) {
    let at = 0;
    while (at < part.length) {
      const take = Math.min(size - filled, part.length - at);
      buffer.set(part.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === size) {
        yield buffer;
        buffer = fresh();
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

/**
 * Runs `work` on up to `parallel` items at once and yields results in input order. Jobs are
 * started as soon as a slot frees, also while the consumer is busy with a result (so the thread
 * pool never idles waiting for the consumer to ask). An input error is thrown after the results
 * of the items read before it.
 */
async function* ordered<T, R>(items: AsyncIterable<T>, parallel: number, work: (item: T) => Promise<R>): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  const iterator = items[Symbol.asyncIterator]();
  let exhausted = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let filling: Promise<void> | undefined;
  // Pulls items and starts their jobs until `parallel` are pending; one fill runs at a time.
  const fill = (): Promise<void> =>
    (filling ??= (async () => {
      try {
        while (!exhausted && !stopped && !failure && pending.length < parallel) {
          const next = await iterator.next();
          if (next.done) exhausted = true;
          else {
            const job = work(next.value);
            job.catch(() => {}); // surfaced when awaited in order; never an unhandled rejection
            pending.push(job);
          }
        }
      } catch (error) {
        failure = { error };
      } finally {
        filling = undefined;
      }
    })());
  try {
    for (;;) {
      if (pending.length === 0) {
        await fill();
        if (pending.length === 0) {
          if (failure) throw failure.error;
          return;
        }
      }
      const result = await pending[0];
      pending.shift();
      void fill();
      yield result;
    }
  } finally {
    stopped = true;
    await filling;
    if (!exhausted && !failure) await iterator.return?.();
  }
}

function defaultParallel(): number {
  return Math.max(2, Math.min(8, availableParallelism()));
}

/**
 * Compresses a stream into the framed format. `stats`, when given, is filled in as frames go out
 * (final when the stream has been consumed).
 */
export async function* compressStream(input: ByteStream, options: CompressOptions = {}, stats?: CompressionStats): ByteStream {
  const level = options.level ?? 1;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError(`compression level must be 0-9, got ${level}`);
  if (!Number.isInteger(chunkSize) || chunkSize < 1024 || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`compression chunk size must be 1 KiB-16 MiB, got ${chunkSize}`);
  }
  const s = stats ?? { rawBytes: 0, compressedBytes: 0, frames: 0, storedFrames: 0 };
  const header = streamHeader(chunkSize, level);
  s.compressedBytes += header.length;
  yield header;
  // Input chunks whose bytes were deflated (not stored) are free again once deflated.
  const spare: Uint8Array[] = [];
  // zlib's output buffer: a little above the last frame's output (a frame's compressibility
  // resembles the previous one's); half the chunk for the first.
  let outSize = chunkSize >> 1;
  // A frame goes out as two chunks, its header and its body, so the body is never copied.
  const work = async (chunk: Uint8Array): Promise<[Uint8Array, Uint8Array]> => {
    const packed = level === 0 ? undefined : await deflateChunk(chunk, level, outSize);
    // Incompressible data (already-compressed files) is stored as is: never larger than the input.
    const body = packed && packed.length < chunk.length ? new Uint8Array(packed.buffer, packed.byteOffset, packed.length) : chunk;
    if (packed) outSize = Math.min(chunkSize, Math.max(64 * 1024, packed.length + (packed.length >> 3) + 4096));
    if (body !== chunk && chunk.length === chunkSize && spare.length < 4) spare.push(chunk);
    const head = frame(body === chunk ? FRAME_STORED : FRAME_DEFLATE, chunk.length, new Uint8Array(0));
    new DataView(head.buffer).setUint32(8, body.length, true);
    return [head, body];
  };
  for await (const [head, body] of ordered(rechunk(input, chunkSize, spare), options.parallel ?? defaultParallel(), work)) {
    s.rawBytes += new DataView(head.buffer, head.byteOffset).getUint32(4, true);
    s.compressedBytes += head.length + body.length;
    s.frames++;
    if (head[0] === FRAME_STORED) s.storedFrames++;
    yield head;
    yield body;
  }
  const end = endFrame(s.rawBytes, s.frames);
  s.compressedBytes += end.length;
  yield end;
}

/** Reads exactly `n` bytes from a byte-stream iterator, keeping leftovers. */
class Reader {
  private parts: Uint8Array[] = [];
  private have = 0;
  private done = false;
  offset = 0;
  constructor(private readonly iterator: AsyncIterator<Uint8Array>) {}

  /** Up to n bytes (fewer only at the end of the stream). */
  async take(n: number): Promise<Uint8Array> {
    while (this.have < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else if (next.value.length) {
        this.parts.push(next.value);
        this.have += next.value.length;
      }
    }
    const want = Math.min(n, this.have);
    const out = new Uint8Array(want);
    let filled = 0;
    while (filled < want) {
      const head = this.parts[0];
      const use = Math.min(head.length, want - filled);
      out.set(head.subarray(0, use), filled);
      filled += use;
      if (use === head.length) this.parts.shift();
      else this.parts[0] = head.subarray(use);
    }
    this.have -= want;
    this.offset += want;
    return out;
  }

  async atEnd(): Promise<boolean> {
    if (this.have > 0) return false;
    while (!this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else if (next.value.length) {
        this.parts.push(next.value);
        this.have += next.value.length;
        return false;
      }
    }
    return true;
  }
}

interface ParsedFrame {
  kind: number;
  rawLength: number;
  body: Uint8Array;
  offset: number;
}

/** Parses and checks the framing (no inflation). Yields data frames; checks the end frame. */
async function* frames(input: ByteStream): AsyncGenerator<ParsedFrame> {
  const iterator = input[Symbol.asyncIterator]();
  const reader = new Reader(iterator);
  try {
    const header = await reader.take(STREAM_HEADER_LENGTH);
    if (header.length < STREAM_HEADER_LENGTH) throw new TruncatedError('compressed payload ends inside its header', { offset: 0 });
    if (!COMPRESSION_MAGIC.every((b, i) => header[i] === b)) {
      throw new FormatError('the decrypted payload is not a DBS compressed stream (bad magic)', { offset: 0 });
    }
    if (header[4] !== COMPRESSION_VERSION) throw new UnsupportedVersionError('compressed payload', header[4], [COMPRESSION_VERSION]);
    if (header[5] !== ALGORITHM_DEFLATE_RAW) throw new FormatError(`unknown compression algorithm ${header[5]}`, { offset: 5 });
    const chunkSize = u32(new DataView(header.buffer), 8);
    if (chunkSize > MAX_CHUNK_SIZE) throw new LimitError('compression chunk size', chunkSize, MAX_CHUNK_SIZE);
    let total = 0;
    let count = 0;
    for (;;) {
      const at = reader.offset;
      const head = await reader.take(FRAME_HEADER_LENGTH);
      if (head.length < FRAME_HEADER_LENGTH) throw new TruncatedError('compressed payload ends without its end frame', { offset: at });
      const view = new DataView(head.buffer);
      const kind = head[0];
      const rawLength = u32(view, 4);
      const storedLength = u32(view, 8);
      if (head[1] | head[2] | head[3]) throw new FormatError('reserved bytes of a compression frame are not zero', { offset: at });
      if (kind === FRAME_END) {
        if (rawLength !== 0 || storedLength !== 12) throw new FormatError('malformed compression end frame', { offset: at });
        const body = await reader.take(12);
        if (body.length < 12) throw new TruncatedError('compressed payload ends inside its end frame', { offset: at });
        const bv = new DataView(body.buffer);
        const declared = Number(bv.getBigUint64(0, true));
        const declaredFrames = bv.getUint32(8, true);
        if (declared !== total || declaredFrames !== count) {
          throw new FormatError(`compression end frame says ${declared} bytes in ${declaredFrames} frames, found ${total} in ${count}`, {
            offset: at,
          });
        }
        if (!(await reader.atEnd())) throw new FormatError('bytes follow the compression end frame', { offset: reader.offset });
        return;
      }
      if (kind !== FRAME_STORED && kind !== FRAME_DEFLATE) throw new FormatError(`unknown compression frame kind ${kind}`, { offset: at });
      if (rawLength === 0 || rawLength > chunkSize) throw new LimitError('compression frame length', rawLength, chunkSize);
      if (kind === FRAME_STORED ? storedLength !== rawLength : storedLength >= rawLength) {
        throw new FormatError(`compression frame stores ${storedLength} bytes for ${rawLength}`, { offset: at });
      }
      const body = await reader.take(storedLength);
      if (body.length < storedLength) throw new TruncatedError('compressed payload ends inside a frame', { offset: at });
      total += rawLength;
      count++;
      yield { kind, rawLength, body, offset: at };
    }
  } finally {
    await iterator.return?.();
  }
}

/** Decompresses the framed format; inflation runs on the thread pool, several frames ahead. */
export async function* decompressStream(input: ByteStream, options: { parallel?: number } = {}): ByteStream {
  const work = async (f: ParsedFrame): Promise<Uint8Array> => {
    if (f.kind === FRAME_STORED) return f.body;
    let out: Buffer;
    try {
      out = await inflateChunk(f.body, f.rawLength);
    } catch (error) {
      throw new FormatError(`compression frame at offset ${f.offset} does not inflate: ${(error as Error).message}`, {
        offset: f.offset,
        cause: error,
      });
    }
    if (out.length !== f.rawLength) {
      throw new FormatError(`compression frame at offset ${f.offset} inflates to ${out.length} bytes, not ${f.rawLength}`, { offset: f.offset });
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  };
  yield* ordered(frames(input), options.parallel ?? defaultParallel(), work);
}

/** Consumes a compressed stream and checks it completely (framing and every frame inflates). */
export async function checkCompressed(input: ByteStream): Promise<{ rawBytes: number }> {
  let rawBytes = 0;
  for await (const part of decompressStream(input)) rawBytes += part.length;
  return { rawBytes };
}

/**
 * Reads ahead of the consumer: pulls `input` concurrently into a queue of at most `maxBytes`, so
 * a source waiting on I/O (rows arriving from the database) keeps arriving while the consumer
 * works (encryption, hashing, parity, disk writes all run on this thread).
 */
export async function* prefetch(input: ByteStream, maxBytes = 8 << 20): ByteStream {
  const ahead = readAhead(input, maxBytes);
  try {
    yield* ahead.stream;
  } finally {
    await ahead.cancel();
  }
}

/** A read-ahead already running: `stream` hands out what was read, `cancel` stops it and closes the input. */
export interface ReadAhead {
  /** The input's chunks in order; iterate it once. An error of the input is thrown here, after the chunks read before it. */
  stream: ByteStream;
  /** Stops reading (after the pull in progress), closes the input and drops what was queued. Safe to call twice. */
  cancel(): Promise<void>;
  /** Changes the bound (e.g. smaller once the consumer runs); reading resumes when the queue is under it. */
  setLimit(maxBytes: number): void;
}

/**
 * Starts pulling `input` now, before anyone consumes it, into a queue of at most `maxBytes`
 * (one chunk may cross the bound). Used to start the database read while the envelope's key is
 * still being derived. The input's errors are kept and thrown to the consumer, never unhandled.
 */
export function readAhead(input: ByteStream, maxBytes: number): ReadAhead {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  let stopped = false;
  let exhausted = false;
  let closed: Promise<void> | undefined;
  const iterator = input[Symbol.asyncIterator]();
  const pump = (async () => {
    try {
      for (;;) {
        while (queued >= maxBytes && !stopped) await new Promise<void>((r) => (wakeProducer = r));
        if (stopped) break;
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        queue.push(next.value);
        queued += next.value.length;
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      wakeConsumer?.();
    }
  })();
  const cancel = (): Promise<void> =>
    (closed ??= (async () => {
      stopped = true;
      wakeProducer?.();
      await pump;
      queue.length = 0;
      queued = 0;
      if (!exhausted && !failure) await iterator.return?.()?.catch(() => {});
    })());
  async function* stream(): ByteStream {
    try {
      for (;;) {
        if (queue.length) {
          const chunk = queue.shift()!;
          queued -= chunk.length;
          wakeProducer?.();
          yield chunk;
          continue;
        }
        if (failure) throw failure.error;
        if (done) return;
        await new Promise<void>((r) => (wakeConsumer = r));
        wakeConsumer = undefined;
      }
    } finally {
      await cancel();
    }
  }
  const setLimit = (bytes: number): void => {
    maxBytes = bytes;
    wakeProducer?.();
  };
  return { stream: stream(), cancel, setLimit };
}
