// Bad input: not a container, unknown version, absurd lengths or counts, truncated into the first
// copy, bad options. Each is a clear typed error, never a crash, a hang or a huge allocation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protect, recover, openContainer, writeContainer } from '../../src/container/index.js';
import { KIND, encodeParams, computeLayout, PARAMS_LENGTH, SMALL_PARITY, frameSize } from '../../src/container/format.js';
import { encodeFrame, loadTools } from '../../src/container/frames.js';
import { memorySource, chunked, collect } from '../../src/io/memory.js';
import { FormatError, LimitError, TruncatedError, UnsupportedVersionError, UsageError, DbsError } from '../../src/errors.js';
import { seededBytes } from '../helpers/env.js';

const PAYLOAD = seededBytes(50_000, 1);
const ID = seededBytes(16, 2);
const CREATED = new Date(1_700_000_000_000);
const container = await protect(PAYLOAD, { meta: seededBytes(64, 3), blockSize: 4096, id: ID, createdAt: CREATED });
const tools = await loadTools([16]);
const headerFrame = frameSize(PARAMS_LENGTH, SMALL_PARITY);

async function rejects(bytes: Uint8Array, type: new (...a: any[]) => Error, what: string, match?: RegExp) {
  try {
    await recover(bytes);
  } catch (error) {
    assert.instance(error, type, `${what}: got ${(error as Error).name}: ${(error as Error).message}`);
    if (match) assert.match((error as Error).message, match, what);
    return error as Error;
  }
  assert.unreachable(`${what}: must be refused`);
}

test('not a container: empty, text, random bytes, a zeroed file', async () => {
  await rejects(new Uint8Array(0), FormatError, 'empty', /empty/);
  await rejects(new TextEncoder().encode('hello, this is not a backup\n'.repeat(100)), FormatError, 'text', /not a DBS container/);
  await rejects(seededBytes(3 << 20, 9), FormatError, 'random', /not a DBS container/);
  await rejects(new Uint8Array(1 << 20), FormatError, 'zeros', /not a DBS container/);
  await rejects(new Uint8Array([0x89]), FormatError, 'one byte');
});

test('an unknown version is refused with UnsupportedVersionError', async () => {
  // A future writer: same magic, version byte 2 in every head (the v1 check no longer matches).
  const v2 = container.slice();
  for (let i = 0; i + 4 < v2.length; i++) if (v2[i] === 0x89 && v2[i + 1] === 0x44 && v2[i + 2] === 0x42 && v2[i + 3] === 0x53) v2[i + 4] = 2;
  const error = (await rejects(v2, UnsupportedVersionError, 'version 2')) as UnsupportedVersionError;
  assert.is(error.version, 2);
});

/** A container whose trailer is replaced by a well-formed one carrying `params`. */
function withTrailer(params: Parameters<typeof encodeParams>[0]): Uint8Array {
  const frame = encodeFrame(tools, { kind: KIND.TRAILER, copy: 0, index: 0, flags: 0, id: ID }, encodeParams(params));
  const out = container.slice();
  out.set(frame, out.length - headerFrame);
  // The header too, so nothing contradicts the crafted values.
  out.set(encodeFrame(tools, { kind: KIND.HEADER, copy: 0, index: 0, flags: 0, id: ID }, encodeParams({ ...params, final: false })), 0);
  return out;
}

test('absurd lengths and counts in a well-formed header/trailer are refused before any allocation', async () => {
  const base = { blockSize: 4096, parity: 16, createdAt: CREATED.getTime(), metaLength: 64, final: true, blockCount: 13, payloadLength: 50_000 };
  await rejects(withTrailer({ ...base, blockSize: 1 << 30 }), LimitError, 'block size 1 GiB', /block size/);
  await rejects(withTrailer({ ...base, blockSize: 10 }), LimitError, 'block size 10', /block size/);
  await rejects(withTrailer({ ...base, metaLength: 1 << 30 }), LimitError, 'meta 1 GiB', /meta length/);
  await rejects(withTrailer({ ...base, blockCount: 0xffff_ffff, payloadLength: 0xffff_ffff * 4096 }), LimitError, 'block count 2^32', /block count/);
  await rejects(withTrailer({ ...base, blockCount: 1 << 24, payloadLength: 4096 * (1 << 24) }), LimitError, '16M blocks in 100 KiB', /block count/);
  await rejects(withTrailer({ ...base, blockCount: 999 }), FormatError, 'count and length disagree', /does not match/);
  await rejects(withTrailer({ ...base, parity: 7 }), FormatError, 'odd parity', /parity/);
});

test('truncated into the first copy: TruncatedError', async () => {
  const layout = computeLayout({ blockSize: 4096, parity: 16, metaLength: 64, blockCount: 13, payloadLength: 50_000 });
  for (const cut of [layout.blocks[0] + 1, layout.blocks[0] + 5 * layout.fullFrame, layout.manifest[0] - 1]) {
    const error = await rejects(container.subarray(0, cut), TruncatedError, `cut at ${cut}`);
    assert.ok((error as DbsError).hint, 'carries a hint');
  }
  await rejects(container.subarray(0, 100), TruncatedError, 'cut inside the header');
});

test('bad writer options are UsageErrors, raised before reading the payload', async () => {
  const stream = chunked(PAYLOAD);
  assert.throws(() => writeContainer(stream, { meta: new Uint8Array(70_000) }), (e: unknown) => e instanceof UsageError);
  assert.throws(() => writeContainer(stream, { meta: new Uint8Array(0), blockSize: 100 }), (e: unknown) => e instanceof UsageError);
  assert.throws(() => writeContainer(stream, { meta: new Uint8Array(0), parity: 3 }), (e: unknown) => e instanceof UsageError);
  assert.throws(() => writeContainer(stream, { meta: new Uint8Array(0), id: new Uint8Array(3) }), (e: unknown) => e instanceof UsageError);
  assert.throws(() => writeContainer(stream, {} as never), (e: unknown) => e instanceof UsageError);
});

test('an empty payload and a payload of exactly one block round-trip', async () => {
  for (const payload of [new Uint8Array(0), seededBytes(4096, 4), seededBytes(8192, 5)]) {
    const c = await collect(writeContainer(chunked(payload), { meta: new Uint8Array(0), blockSize: 4096 }));
    const reader = await openContainer(memorySource(c));
    assert.is(reader.info.payloadLength, payload.length);
    assert.ok(Buffer.from(await collect(reader.payload())).equals(Buffer.from(payload)));
  }
});

test.run();
