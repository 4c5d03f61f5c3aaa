// Validate hashes copy 0 of two blocks at once (Codec.hashPair, one message per SIMD lane). The pair
// digest only stands for the one hash healBlock takes first: when a copy is damaged, the per-copy
// logic must decide exactly as the single-hash path does (same outcomes, copy states, reasons).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protect, openContainer } from '../../src/container/index.js';
import { computeLayout, blockLength, HEAD_SIZE } from '../../src/container/format.js';
import { loadHashers } from '../../src/container/hash.js';
import { healBlock, type BlockBody } from '../../src/container/heal.js';
import { IntegrityReport } from '../../src/container/report.js';
import { workerEngine } from '../../src/container/pool.node.js';
import { blockLayout, loadCodec, type Codec } from '../../src/integrity/codec.js';
import { loadBlake2b } from '../../src/integrity/blake2b.js';
import { memorySource } from '../../src/io/memory.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const BLOCK = 65536;
const PAYLOAD = seededBytes(40 * BLOCK + 12_345, 51);
const META = seededBytes(300, 52);
const fixed = { meta: META, id: seededBytes(16, 53), createdAt: new Date(1_770_000_000_000), blockSize: BLOCK };
const codec = await loadCodec({ parity: 16 });
const hashers = await loadHashers();

test('hashPair gives each message the digest BLAKE2b gives it alone (lengths 0 to 150 KB, digests 16/32/64)', async () => {
  const blake2b = await loadBlake2b();
  for (const length of [0, 1, 127, 128, 129, 255, 256, 1000, 65536, 150_001]) {
    for (const size of [16, 32, 64]) {
      const a = seededBytes(length, length + 1);
      const b = seededBytes(length, length + 2);
      const [ha, hb] = [new Uint8Array(size), new Uint8Array(size)];
      codec.hashPair(a, b, ha, hb);
      assert.equal(Array.from(ha), Array.from(blake2b.digest(a, size)), `a, ${length} bytes, ${size}-byte digest`);
      assert.equal(Array.from(hb), Array.from(blake2b.digest(b, size)), `b, ${length} bytes, ${size}-byte digest`);
    }
  }
  assert.throws(() => codec.hashPair(new Uint8Array(10), new Uint8Array(11), new Uint8Array(32), new Uint8Array(32)), /two messages of one length/);
  assert.throws(() => codec.hashPair(new Uint8Array(10), new Uint8Array(10), new Uint8Array(32), new Uint8Array(16)), /one length/);
  assert.throws(() => codec.hashPair(new Uint8Array(10), new Uint8Array(10), new Uint8Array(65), new Uint8Array(65)), /1 to 64 bytes/);
});

// One block and its two copies, for healBlock directly.
const data = seededBytes(BLOCK, 54);
const parity = codec.encode(data);
const hash = hashers.hash(data);
const body = (): BlockBody => ({ data: data.slice(), parity: parity.slice() });
function damage(b: BlockBody, from: number, to: number, seed: number): BlockBody {
  const rnd = seededRandom(seed);
  for (let i = from; i < to; i++) {
    if (i < BLOCK) b.data[i] ^= 1 + rnd.int(255);
    else b.parity[i - BLOCK] ^= 1 + rnd.int(255);
  }
  return b;
}

test('healBlock with copy 0 digest given decides as with copy 0 hashed by itself', () => {
  const total = BLOCK + parity.length;
  const cases: [string, BlockBody | undefined, BlockBody | undefined][] = [
    ['both intact', body(), body()],
    ['copy 0 data damaged, copy 1 intact', damage(body(), 100, 20_000, 1), body()],
    ['copy 0 parity damaged, copy 1 intact', damage(body(), BLOCK + 10, BLOCK + 900, 2), body()],
    ['copy 0 intact, copy 1 damaged', body(), damage(body(), 5, 40_000, 3)],
    ['both damaged within Reed-Solomon', damage(body(), 1000, 1003, 4), damage(body(), 9000, 9004, 5)],
    ['both damaged, not overlapping', damage(body(), 0, 30_000, 6), damage(body(), 30_000, total, 7)],
    ['both damaged, overlapping beyond the budget', damage(body(), 0, 40_000, 8), damage(body(), 20_000, 60_000, 9)],
    ['copy 0 missing', undefined, body()],
  ];
  for (const [what, c0, c1] of cases) {
    const alone = healBlock(codec, hashers, [hash], [c0, c1]);
    const digest0 = c0 ? hashers.hash(c0.data) : undefined;
    const paired = healBlock(codec, hashers, [hash], [c0, c1], { digest0 });
    assert.equal({ ...paired, data: paired.data && Array.from(paired.data) }, { ...alone, data: alone.data && Array.from(alone.data) }, what);
    assert.is(paired.data === c0?.data, alone.data === c0?.data, `${what}: the same copy handed out`);
  }
});

/** Counts hashPair and single hashes on the shared codec and hashers while `fn` runs on this thread. */
async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; pairs: number; singles: number }> {
  const c = codec as Codec & { hashPair: Codec['hashPair'] };
  const h = hashers as { hash: typeof hashers.hash };
  const [pair, single] = [c.hashPair, h.hash];
  let pairs = 0;
  let singles = 0;
  c.hashPair = (...args) => (pairs++, pair.apply(codec, args));
  h.hash = (d) => (singles++, single(d));
  try {
    return { result: await fn(), pairs, singles };
  } finally {
    delete (c as Partial<Codec>).hashPair;
    h.hash = single;
  }
}

/** An engine that runs scanBatch and healBatch on this thread (so the counts above see them). */
async function hereEngine() {
  const { scanBatch, healBatch, localEngine } = await import('../../src/container/blocks.js');
  const { loadTools } = await import('../../src/container/frames.js');
  const tools = await loadTools([16]);
  return async () => ({
    ...(await localEngine(16)),
    parallelism: 2,
    workers: 1,
    scanBatch: async (job: Parameters<typeof scanBatch>[1]) => scanBatch(tools, job, healBlock),
    healBatch: async (job: Parameters<typeof healBatch>[1]) => ({ buffer: job.buffer, results: healBatch(tools, job, healBlock) }),
  });
}

const container = await protect(PAYLOAD, fixed);
const layout = computeLayout({ blockSize: BLOCK, parity: 16, metaLength: META.length, blockCount: 41, payloadLength: PAYLOAD.length });
const blocks = layout.blockCount;

test('a clean validate hashes copy 0 of the blocks two at a time (one thread, and scanned runs)', async () => {
  for (const [what, engine] of [['one thread', undefined], ['scanned runs', await hereEngine()]] as const) {
    const { result: report, pairs, singles } = await counting(async () => (await openContainer(memorySource(container), { engine })).validate());
    assert.ok(report.ok && !report.healed, report.summary());
    // Blocks stay unpaired only at the ends of read windows or runs, and the short last block.
    assert.ok(pairs >= 0.4 * blocks, `${what}: ${pairs} pair hashes for ${blocks} blocks`);
    assert.ok(singles <= blocks - 2 * pairs + 2, `${what}: ${singles} blocks hashed alone (${pairs} pairs)`);
  }
});

/** The report the single-hash path gives: healBlock on each block's two stored bodies, no digest passed in. */
function singleHashReport(file: Uint8Array): IntegrityReport {
  const report = new IntegrityReport(blocks);
  for (let i = 0; i < blocks; i++) {
    const length = blockLength(layout, i);
    const p = blockLayout(length, 16).parityLength;
    const bodyOf = (c: number): BlockBody => {
      const at = layout.blocks[c] + i * layout.fullFrame + HEAD_SIZE;
      return { data: file.subarray(at, at + length), parity: file.subarray(at + length, at + length + p) };
    };
    const expected = hashers.hash(PAYLOAD.subarray(i * BLOCK, i * BLOCK + length));
    const r = healBlock(codec, hashers, [expected], [bodyOf(0), bodyOf(1)]);
    report.add(i, r.outcome, r.copies, [i * BLOCK, i * BLOCK + length], r.reason);
  }
  return report;
}

const blockPart = (r: IntegrityReport) => {
  const { totalBlocks, clean, repairedByRS, fromSecondCopy, combined, failed, blockCopies, outcomeRuns } = JSON.parse(JSON.stringify(r));
  return { totalBlocks, clean, repairedByRS, fromSecondCopy, combined, failed, blockCopies, outcomeRuns };
};

test('one copy damaged, the other intact, and both damaged: the same report as the single-hash path', async () => {
  const bodyAt = (c: number, i: number) => layout.blocks[c] + i * layout.fullFrame + HEAD_SIZE;
  const total = BLOCK + blockLayout(BLOCK, 16).parityLength;
  const hit = (file: Uint8Array, c: number, i: number, from: number, to: number, seed: number) => {
    const rnd = seededRandom(seed);
    for (let j = bodyAt(c, i) + from; j < bodyAt(c, i) + to; j++) file[j] ^= 1 + rnd.int(255);
  };
  const cases: [string, (f: Uint8Array) => void, Partial<Record<'fromSecondCopy' | 'repairedByRS' | 'combined' | 'failed', number>>][] = [
    ['copy 0 damaged in one block of each pair, copy 1 intact', (f) => {
      for (let i = 0; i < blocks - 1; i += 2) hit(f, 0, i, 500, 9000, i);
    }, { fromSecondCopy: 20 }],
    ['copy 0 damaged in the second block of each pair, and in the short last block', (f) => {
      for (let i = 1; i < blocks; i += 2) hit(f, 0, i, 40_000, 40_050, i);
      hit(f, 0, blocks - 1, 0, 12_000, 99);
    }, { fromSecondCopy: 21 }],
    ['copy 1 damaged, copy 0 intact', (f) => {
      for (const i of [3, 4, 17]) hit(f, 1, i, 0, 30_000, i);
    }, {}],
    ['both damaged: within Reed-Solomon, not overlapping, and overlapping beyond the budget', (f) => {
      hit(f, 0, 6, 100, 103, 1);
      hit(f, 1, 6, 7000, 7004, 2);
      hit(f, 0, 9, 0, 30_000, 3);
      hit(f, 1, 9, 30_000, total, 4);
      hit(f, 0, 10, 0, 40_000, 5);
      hit(f, 1, 10, 20_000, 60_000, 6);
      hit(f, 0, 11, 200, 20_000, 7);
    }, { repairedByRS: 1, combined: 1, failed: 1, fromSecondCopy: 1 }],
  ];
  const workers = workerEngine({ workers: 2 });
  const engines = [['one thread', undefined], ['scanned runs', await hereEngine()], ['worker threads', workers]] as const;
  for (const [what, damageIt, counts] of cases) {
    const file = container.slice();
    damageIt(file);
    const expected = blockPart(singleHashReport(file));
    for (const [key, n] of Object.entries(counts)) {
      const got = key === 'failed' ? expected.failed.length : expected[key as keyof typeof expected];
      assert.is(got, n, `${what}: the damage gives ${n} ${key} on the single-hash path`);
    }
    for (const [path, engine] of engines) {
      const report = await (await openContainer(memorySource(file), { engine })).validate();
      assert.equal(blockPart(report), expected, `${what} (${path})`);
    }
  }
});

test.run();
