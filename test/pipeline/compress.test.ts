import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collect, chunked } from '../../src/io/memory.js';
import { compressStream, decompressStream, checkCompressed, prefetch, FRAME_STORED, FRAME_DEFLATE, type CompressionStats } from '../../src/pipeline/compress.js';
import { FormatError, TruncatedError, LimitError } from '../../src/errors.js';
import { seededBytes, seededRandom } from '../helpers/env.js';
import { rejects } from '../helpers/assert.js';

function sqlLike(rows: number, seed = 1): Uint8Array {
  const r = seededRandom(seed);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    lines.push(`${i}\tuser${r.int(5000)}@example.com\t2024-0${1 + r.int(9)}-1${r.int(10)} 12:${10 + r.int(50)}:00.${r.int(999999)}+00\t${(r.next() * 1000).toFixed(2)}\t{"k":${r.int(100)}}\n`);
  }
  return new TextEncoder().encode(lines.join(''));
}

async function roundTrip(input: Uint8Array, options = {}, pieces = 65536) {
  const stats: CompressionStats = { rawBytes: 0, compressedBytes: 0, frames: 0, storedFrames: 0 };
  const packed = await collect(compressStream(chunked(input, pieces), options, stats));
  const back = await collect(decompressStream(chunked(packed, 7777)));
  return { packed, back, stats };
}

test('round trip of text compresses and restores byte for byte', async () => {
  const input = sqlLike(60000);
  const { packed, back, stats } = await roundTrip(input, { chunkSize: 256 * 1024 });
  assert.equal(back, input);
  assert.equal(stats.rawBytes, input.length);
  assert.equal(stats.compressedBytes, packed.length);
  assert.ok(packed.length * 2.5 < input.length, `ratio ${input.length / packed.length}`);
  assert.is(stats.frames, Math.ceil(input.length / (256 * 1024)));
});

test('incompressible data is stored, never larger than input plus framing', async () => {
  const input = seededBytes(3 * 65536 + 17, 9);
  const { packed, back, stats } = await roundTrip(input, { chunkSize: 65536 });
  assert.equal(back, input);
  assert.is(stats.storedFrames, 4);
  assert.is(packed.length, input.length + 12 + 4 * 12 + 24);
  assert.is(packed[12], FRAME_STORED);
});

test('empty input gives header and end frame only', async () => {
  const { packed, back } = await roundTrip(new Uint8Array(0));
  assert.is(packed.length, 12 + 24);
  assert.is(back.length, 0);
});

test('input chunking does not change the output bytes', async () => {
  const input = sqlLike(20000, 3);
  const a = await collect(compressStream(chunked(input, 1), { chunkSize: 65536 }));
  const b = await collect(compressStream(chunked(input, 1 << 20), { chunkSize: 65536, parallel: 1 }));
  assert.equal(a, b);
});

test('every truncation is refused with a typed error', async () => {
  const input = sqlLike(3000, 4);
  const packed = await collect(compressStream(chunked(input), { chunkSize: 16384 }));
  assert.is(packed[12], FRAME_DEFLATE);
  const r = seededRandom(5);
  const cuts = [0, 5, 12, 13, 24, packed.length - 1, packed.length - 12, packed.length - 24];
  for (let i = 0; i < 40; i++) cuts.push(r.int(packed.length));
  for (const cut of cuts) {
    try {
      await checkCompressed(chunked(packed.subarray(0, cut), 1000));
      assert.unreachable(`cut at ${cut} accepted`);
    } catch (error) {
      assert.ok(error instanceof FormatError, `cut at ${cut}: ${error}`);
    }
  }
});

test('trailing bytes, bad magic, absurd lengths and corrupt frames are refused', async () => {
  const input = sqlLike(3000, 6);
  const packed = await collect(compressStream(chunked(input), { chunkSize: 16384 }));
  const withTail = new Uint8Array(packed.length + 1);
  withTail.set(packed);
  await rejects(() => checkCompressed(chunked(withTail)), (e: unknown) => e instanceof FormatError && /follow/.test(String(e)));
  const badMagic = packed.slice();
  badMagic[0] ^= 1;
  await rejects(() => checkCompressed(chunked(badMagic)), (e: unknown) => e instanceof FormatError && /magic/.test(String(e)));
  const huge = packed.slice();
  new DataView(huge.buffer).setUint32(12 + 4, 0xffffffff, true);
  await rejects(() => checkCompressed(chunked(huge)), (e: unknown) => e instanceof LimitError);
  const bigChunk = packed.slice();
  new DataView(bigChunk.buffer).setUint32(8, 1 << 30, true);
  await rejects(() => checkCompressed(chunked(bigChunk)), (e: unknown) => e instanceof LimitError);
  // Flip bytes inside compressed bodies: the reader must fail with a typed error, never return other bytes silently.
  const r = seededRandom(7);
  for (let i = 0; i < 30; i++) {
    const bad = packed.slice();
    const at = 24 + r.int(packed.length - 60);
    bad[at] ^= 1 + r.int(255);
    try {
      const out = await collect(decompressStream(chunked(bad)));
      // DEFLATE has no checksum of its own: a flip may inflate to other bytes of the right length.
      // That is why the pipeline decompresses only after AES-GCM authenticated the frames.
      assert.is(out.length, input.length);
    } catch (error) {
      assert.ok(error instanceof FormatError || error instanceof TruncatedError, String(error));
    }
  }
});

test('memory stays bounded: 64 MiB streamed through with few chunks in flight', async () => {
  const piece = sqlLike(4000, 8);
  const total = 64 << 20;
  async function* source() {
    for (let sent = 0; sent < total; sent += piece.length) yield piece;
  }
  const before = process.memoryUsage().rss;
  let raw = 0;
  for await (const part of decompressStream(compressStream(source()))) raw += part.length;
  assert.is(raw, Math.ceil(total / piece.length) * piece.length);
  const grown = (process.memoryUsage().rss - before) / (1 << 20);
  assert.ok(grown < 48, `rss grew ${grown.toFixed(1)} MiB`);
});

test('prefetch: same bytes in order, reads ahead while the consumer waits, bounded, errors and early stops propagate', async () => {
  const input = seededBytes(1 << 20, 12);
  let pulled = 0;
  async function* source(failAt = -1) {
    for (let at = 0; at < input.length; at += 4096) {
      if (at === failAt) throw new Error('source failed');
      pulled = at + 4096;
      await new Promise((r) => setImmediate(r));
      yield input.subarray(at, at + 4096);
    }
  }
  assert.equal(await collect(prefetch(source(), 64 * 1024)), input);
  // A slow consumer: while it waits, the source is pulled ahead, but never beyond the bound.
  pulled = 0;
  const it = prefetch(source(), 64 * 1024)[Symbol.asyncIterator]();
  await it.next();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(pulled >= 64 * 1024 && pulled <= 64 * 1024 + 2 * 4096, `pulled ${pulled}`);
  let closed = false;
  async function* closing() {
    try {
      yield* source();
    } finally {
      closed = true;
    }
  }
  const stop = prefetch(closing(), 64 * 1024)[Symbol.asyncIterator]();
  await stop.next();
  await stop.return!();
  assert.ok(closed, 'the source is closed when the consumer stops early');
  await rejects(() => collect(prefetch(source(8192 * 4))), (e) => (e as Error).message === 'source failed');
});

test('frames are worked on ahead of a slow consumer (bounded); input errors and early stops propagate', async () => {
  const input = sqlLike(40000, 9);
  const chunkSize = 16 * 1024;
  const packed = await collect(compressStream(chunked(input, 4096), { chunkSize }));
  // A consumer that holds on to its first part: the next frames are inflated meanwhile, but only
  // as many as run in parallel.
  let pulled = 0;
  async function* counted(bytes: Uint8Array, failAt = -1) {
    for (let at = 0; at < bytes.length; at += 1000) {
      if (failAt >= 0 && at >= failAt) throw new Error('source failed');
      pulled = at + 1000;
      yield bytes.subarray(at, at + 1000);
    }
  }
  const it = decompressStream(counted(packed), { parallel: 2 })[Symbol.asyncIterator]();
  await it.next();
  const early = pulled;
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(pulled > early, 'input read on while the consumer waits');
  assert.ok(pulled < packed.length / 2, `bounded: read ${pulled} of ${packed.length}`);
  let closed = false;
  async function* closing() {
    try {
      yield* counted(packed);
    } finally {
      closed = true;
    }
  }
  const stop = decompressStream(closing())[Symbol.asyncIterator]();
  await stop.next();
  await stop.return!();
  assert.ok(closed, 'the input is closed when the consumer stops early');
  // An input error comes after the output of the frames read before it.
  let out = 0;
  await rejects(
    async () => {
      for await (const part of decompressStream(counted(packed, packed.length >> 1))) out += part.length;
    },
    (e) => (e as Error).message === 'source failed',
  );
  assert.ok(out > 0 && out < input.length, `output before the error: ${out}`);
  await rejects(() => collect(compressStream(counted(input, 50000), { chunkSize })), (e) => (e as Error).message === 'source failed');
  // Reused input buffers never leak into the output: incompressible and compressible chunks interleaved.
  const mixed = new Uint8Array(12 * chunkSize);
  for (let i = 0; i < 12; i++) mixed.set(i % 3 === 0 ? seededBytes(chunkSize, 20 + i) : input.subarray(i * chunkSize, (i + 1) * chunkSize), i * chunkSize);
  const back = await collect(decompressStream(compressStream(chunked(mixed, 5000), { chunkSize, parallel: 3 })));
  assert.equal(back, mixed);
});

test.run();
