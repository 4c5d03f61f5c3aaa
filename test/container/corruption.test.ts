// The corruption matrix of issue 3 on a container of a few MiB: every case asserts its outcome
// (recovered byte for byte, or refused with a typed error naming the failed blocks), never wrong data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protect, recover } from '../../src/container/index.js';
import { computeLayout, HEAD_SIZE } from '../../src/container/format.js';
import { TruncatedError, UnrecoverableBlocksError, DbsError } from '../../src/errors.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const PAYLOAD = seededBytes(3 * (1 << 20) + 12345, 7);
const META = seededBytes(700, 8);
const container = await protect(PAYLOAD, { meta: META, createdAt: new Date(1_700_000_000_000) });
const layout = computeLayout({ blockSize: 65536, parity: 16, metaLength: META.length, blockCount: Math.ceil(PAYLOAD.length / 65536), payloadLength: PAYLOAD.length });
const KiB = 1024;
const MiB = 1 << 20;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Recovers and asserts the exact payload and meta; returns the report. */
async function mustRecover(bytes: Uint8Array, what: string) {
  let result;
  try {
    result = await recover(bytes);
  } catch (error) {
    throw new Error(`${what}: expected recovery, got ${(error as Error).stack}\n${(error as { report?: { summary(): string } }).report?.summary() ?? ''}`);
  }
  assert.ok(equal(result.payload, PAYLOAD), `${what}: payload recovered byte for byte`);
  assert.ok(equal(result.meta, META), `${what}: meta recovered`);
  assert.ok(result.report.ok, `${what}: report ok`);
  return result.report;
}

function corruptRandom(bytes: Uint8Array, rate: number, seed: number): Uint8Array {
  const out = bytes.slice();
  const rnd = seededRandom(seed);
  const n = Math.round(out.length * rate);
  for (let i = 0; i < n; i++) out[rnd.int(out.length)] ^= 1 + rnd.int(255);
  return out;
}

test('the layout arithmetic matches what the writer produced', () => {
  assert.is(container.length, layout.fileSize);
  assert.ok(container.length > 2 * PAYLOAD.length);
});

test('a clean container reads back clean', async () => {
  const report = await mustRecover(container, 'clean');
  assert.is(report.healed, false);
  assert.is(report.clean, layout.blockCount);
  assert.is(report.summary().split('\n')[0].startsWith('clean'), true);
});

for (const rate of [1e-4, 1e-3, 1e-2]) {
  test(`random byte corruption at ${rate} of all bytes (headers, manifests, meta, both copies)`, async () => {
    const report = await mustRecover(corruptRandom(container, rate, Math.round(rate * 1e6)), `random ${rate}`);
    assert.ok(report.healed);
    assert.ok(report.repairedByRS + report.combined + report.fromSecondCopy > 0);
  });
}

for (const [size, label] of [[KiB, '1 KiB'], [64 * KiB, '64 KiB'], [MiB, '1 MiB']] as const) {
  test(`a burst of ${label} anywhere (8 positions, one at a time)`, async () => {
    const rnd = seededRandom(size);
    for (let k = 0; k < 8; k++) {
      const at = rnd.int(container.length - size);
      const damaged = container.slice();
      for (let i = at; i < at + size; i++) damaged[i] = rnd.int(256);
      const report = await mustRecover(damaged, `${label} burst at ${at}`);
      assert.ok(report.healed);
    }
  });
}

test('zeroed 4 KiB sectors: 24 sectors across the file', async () => {
  const rnd = seededRandom(4096);
  const damaged = container.slice();
  const sectors = Math.floor(container.length / 4096);
  for (let k = 0; k < 24; k++) {
    const s = rnd.int(sectors) * 4096;
    damaged.fill(0, s, s + 4096);
  }
  const report = await mustRecover(damaged, 'zeroed sectors');
  assert.ok(report.healed);
});

test('either header destroyed', async () => {
  const a = container.slice();
  a.fill(0, 0, layout.headerFrame);
  const ra = await mustRecover(a, 'start header zeroed');
  assert.is(ra.headers.lost, 1);
  const b = container.slice();
  b.fill(0xff, b.length - layout.headerFrame);
  const rb = await mustRecover(b, 'trailer destroyed');
  assert.is(rb.headers.lost, 1);
});

test('both ends zeroed (1 MiB each): meta comes from the middle copy', async () => {
  const d = container.slice();
  d.fill(0, 0, MiB);
  d.fill(0, d.length - MiB);
  const report = await mustRecover(d, 'both ends zeroed');
  assert.ok(report.meta.lost >= 2);
  assert.ok(report.fromSecondCopy > 0, 'blocks whose first copy was at the zeroed start came from the second copy');
});

test('both manifest copies damaged: bit flips are repaired, total loss falls back to the frame heads', async () => {
  const flips = container.slice();
  const rnd = seededRandom(99);
  for (const at of layout.manifest) for (let k = 0; k < 12; k++) flips[at + HEAD_SIZE + rnd.int(layout.manifestFrame(0) - HEAD_SIZE)] ^= 0x40;
  const r1 = await mustRecover(flips, 'manifest bit flips');
  assert.is(r1.manifests.repaired, 2);
  const wiped = container.slice();
  for (const at of layout.manifest) wiped.fill(0, at, at + layout.manifestFrame(0));
  const r2 = await mustRecover(wiped, 'manifests wiped');
  assert.is(r2.manifests.lost, 2);
});

test('truncation after the first full copy of the blocks loses nothing', async () => {
  const firstCopyEnd = layout.manifest[0];
  const rnd = seededRandom(5);
  const cuts = [firstCopyEnd, firstCopyEnd + 1, layout.meta[1], layout.blocks[1] + 100, layout.manifest[1], layout.trailer, container.length - 1];
  for (let k = 0; k < 8; k++) cuts.push(firstCopyEnd + rnd.int(container.length - firstCopyEnd));
  for (const cut of cuts) await mustRecover(container.subarray(0, cut), `cut at ${cut}`);
});

test('truncation into the first copy is a TruncatedError, never a crash or partial data', async () => {
  const rnd = seededRandom(6);
  const cuts = [1, 10, HEAD_SIZE - 1, layout.headerFrame, layout.blocks[0] + 10, layout.manifest[0] - 1];
  for (let k = 0; k < 6; k++) cuts.push(1 + rnd.int(layout.manifest[0] - 1));
  for (const cut of cuts) {
    try {
      await recover(container.subarray(0, cut));
      assert.unreachable(`cut at ${cut} must not recover`);
    } catch (error) {
      assert.instance(error, DbsError, `cut at ${cut}: ${(error as Error).message}`);
      if (cut >= layout.blocks[0]) assert.instance(error, TruncatedError, `cut at ${cut}: ${(error as Error).message}`);
    }
  }
});

test('bytes inserted or deleted anywhere re-synchronise', async () => {
  const rnd = seededRandom(11);
  const places = [layout.blocks[0] + 5 * layout.fullFrame + 77, layout.blocks[1] + 9 * layout.fullFrame + 1000, layout.meta[0] + 3,
    layout.blocks[0] + 100, layout.manifest[0] + 50, 1 + rnd.int(container.length - 2)];
  for (const count of [1, 7, 1000, 70000]) {
    for (const at of places) {
      const inserted = new Uint8Array(container.length + count);
      inserted.set(container.subarray(0, at));
      inserted.set(seededBytes(count, at), at);
      inserted.set(container.subarray(at), at + count);
      const ri = await mustRecover(inserted, `${count} bytes inserted at ${at}`);
      assert.ok(ri.healed);
      const deleted = new Uint8Array(container.length - count);
      deleted.set(container.subarray(0, at));
      deleted.set(container.subarray(at + count), at);
      await mustRecover(deleted, `${count} bytes deleted at ${at}`);
    }
  }
});

test('the same block destroyed in both copies is refused, naming it, never returning wrong data', async () => {
  const d = container.slice();
  const i = 17;
  for (const c of [0, 1]) {
    const at = layout.blocks[c] + i * layout.fullFrame + HEAD_SIZE;
    d.fill(0x55, at + 1000, at + 30000);
  }
  try {
    await recover(d);
    assert.unreachable('must refuse');
  } catch (error) {
    assert.instance(error, UnrecoverableBlocksError);
    const e = error as UnrecoverableBlocksError;
    assert.equal(e.blocks, [i]);
    const report = e.report as { failed: { index: number; start: number; end: number }[]; ok: boolean };
    assert.is(report.ok, false);
    assert.equal(report.failed.map((f) => [f.index, f.start, f.end]), [[i, i * 65536, (i + 1) * 65536]]);
  }
});

test.run();
