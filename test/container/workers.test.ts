// The block engine on worker threads gives the same bytes, reports and payloads as the
// single-threaded path (writing, validating, healing a damaged file).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeContainer, openContainer, protect } from '../../src/container/index.js';
import { workerEngine } from '../../src/container/pool.node.js';
import { memorySource, collect, chunked, concatBytes } from '../../src/io/memory.js';
import { UnrecoverableBlocksError } from '../../src/errors.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const engine = workerEngine({ workers: 2 });
const PAYLOAD = seededBytes(5 * (1 << 20) + 777, 41);
const META = seededBytes(500, 42);
const fixed = { meta: META, id: seededBytes(16, 43), createdAt: new Date(1_770_000_000_000) };

test('writing with workers gives the same bytes', async () => {
  const local = await protect(PAYLOAD, fixed);
  const parallel = await collect(writeContainer(chunked(PAYLOAD, 300_001), { ...fixed, engine }));
  assert.ok(Buffer.from(local).equals(Buffer.from(parallel)));
});

/**
 * An engine of one "worker" that runs each batch here but replies a macrotask later, as a real
 * worker's message does; `sent` counts the batches it was given.
 */
async function replyingLater() {
  const { encodeBatch, scanBatch, healBatch, localEngine } = await import('../../src/container/blocks.js');
  const { loadTools } = await import('../../src/container/frames.js');
  const { healBlock } = await import('../../src/container/heal.js');
  const tools = await loadTools([16]);
  const later = <T>(work: () => T) => new Promise<T>((resolve) => setImmediate(() => resolve(work())));
  const counter = { sent: 0 };
  const engine = async () => ({
    ...(await localEngine(16)),
    parallelism: 4,
    workers: 1,
    encodeBatch: (job: Parameters<typeof encodeBatch>[1]) => (counter.sent++, later(() => encodeBatch(tools, job))),
    scanBatch: (job: Parameters<typeof scanBatch>[1]) => (counter.sent++, later(() => scanBatch(tools, job, healBlock))),
    healBatch: async (job: Parameters<typeof healBatch>[1]) => ({ buffer: job.buffer, results: healBatch(tools, job, healBlock) }),
  });
  return { engine, counter };
}

// A worker's reply arrives as a macrotask. Before Balance.hereAfterTurn the writer fed from memory
// (and the reader of a memory source) never saw replies in time, counted the worker as behind and
// ran a third to a half of the batches itself while the worker sat idle.
const batches = Math.ceil(PAYLOAD.length / 65536 / 14);

test('the writer hands batches to idle workers even when the payload never leaves the microtask queue', async () => {
  const { engine, counter } = await replyingLater();
  const parallel = await collect(writeContainer(chunked(PAYLOAD, 1 << 20), { ...fixed, engine }));
  assert.ok(Buffer.from(parallel).equals(Buffer.from(await protect(PAYLOAD, fixed))), 'same bytes');
  assert.ok(counter.sent >= batches - 1, `${counter.sent} of ${batches} batches went to the idle worker`);
});

test('the reader hands batches to idle workers even when the source never leaves the microtask queue', async () => {
  const { engine, counter } = await replyingLater();
  const report = await (await openContainer(memorySource(await protect(PAYLOAD, fixed)), { engine })).validate();
  assert.ok(report.ok && !report.healed, report.summary());
  assert.ok(counter.sent >= batches - 1, `${counter.sent} of ${batches} batches went to the idle worker`);
});

test('validating and healing with workers gives the same report and payload', async () => {
  const container = await protect(PAYLOAD, fixed);
  const damaged = container.slice();
  const rnd = seededRandom(7);
  for (let i = 0; i < damaged.length / 1000; i++) damaged[rnd.int(damaged.length)] ^= 1 + rnd.int(255);
  damaged.fill(0, 3_000_000, 3_100_000);
  const local = await openContainer(memorySource(damaged));
  const parallel = await openContainer(memorySource(damaged), { engine });
  const a = await local.validate();
  const b = await parallel.validate();
  assert.equal(JSON.parse(JSON.stringify(b)), JSON.parse(JSON.stringify(a)));
  assert.ok(a.ok && a.healed);
  const back = await collect(parallel.payload());
  assert.ok(Buffer.from(back).equals(Buffer.from(PAYLOAD)));
});

test('failed blocks are named the same way with workers', async () => {
  const container = await protect(PAYLOAD, { ...fixed, blockSize: 65536 });
  const { computeLayout, HEAD_SIZE } = await import('../../src/container/format.js');
  const layout = computeLayout({ blockSize: 65536, parity: 16, metaLength: META.length, blockCount: 81, payloadLength: PAYLOAD.length });
  const damaged = container.slice();
  for (const c of [0, 1]) damaged.fill(9, layout.blocks[c] + 33 * layout.fullFrame + HEAD_SIZE, layout.blocks[c] + 33 * layout.fullFrame + HEAD_SIZE + 50_000);
  const reader = await openContainer(memorySource(damaged), { engine });
  try {
    await collect(reader.payload());
    assert.unreachable('must throw');
  } catch (error) {
    assert.instance(error, UnrecoverableBlocksError);
    assert.equal((error as UnrecoverableBlocksError).blocks, [33]);
  }
});

test('moved, lost and cut frames: workers walk them as the single thread does (same report, same payload)', async () => {
  const container = await protect(PAYLOAD, { ...fixed, blockSize: 65536 });
  const { computeLayout, HEAD_SIZE } = await import('../../src/container/format.js');
  const layout = computeLayout({ blockSize: 65536, parity: 16, metaLength: META.length, blockCount: 81, payloadLength: PAYLOAD.length });
  const head = (c: number, i: number) => layout.blocks[c] + i * layout.fullFrame;
  const cases: [string, (b: Uint8Array) => Uint8Array][] = [
    ['bytes inserted in copy 0', (b) => concatBytes(b.subarray(0, head(0, 20) + 5000), new Uint8Array(777).fill(3), b.subarray(head(0, 20) + 5000))],
    ['bytes deleted in copy 1', (b) => concatBytes(b.subarray(0, head(1, 50) + 100), b.subarray(head(1, 50) + 100 + 4321))],
    ['heads of both copies zeroed here and there', (b) => {
      const d = b.slice();
      for (const [c, i] of [[0, 3], [1, 3], [0, 40], [1, 41], [0, 79]]) d.fill(0, head(c, i), head(c, i) + HEAD_SIZE);
      return d;
    }],
    ['cut inside copy 1', (b) => b.slice(0, head(1, 60) + 1234)],
    ['first copy wiped from block 10 on', (b) => {
      const d = b.slice();
      d.fill(0, head(0, 10), layout.blocks[1] - 10);
      return d;
    }],
  ];
  for (const [what, damage] of cases) {
    const damaged = damage(container);
    const a = await (await openContainer(memorySource(damaged))).validate();
    const parallel = await openContainer(memorySource(damaged), { engine });
    const b = await parallel.validate();
    assert.equal(JSON.parse(JSON.stringify(b)), JSON.parse(JSON.stringify(a)), what);
    assert.ok(a.ok && a.healed, `${what}: ${a.summary()}`);
    const back = await collect(parallel.payload());
    assert.ok(Buffer.from(back).equals(Buffer.from(PAYLOAD)), `${what}: payload`);
  }
});

test('Balance: the calling thread takes a batch only while every worker holds two', async () => {
  const { Balance } = await import('../../src/container/blocks.js');
  assert.is(new Balance().here, false, 'no workers: never (the engine runs everything here)');
  const b = new Balance(1);
  const release: (() => void)[] = [];
  const hold = () => b.sent(new Promise<void>((resolve) => release.push(resolve)));
  assert.is(b.here, false);
  const first = hold();
  assert.is(b.here, false);
  const second = hold();
  assert.is(b.here, true, 'both slots of the one worker are taken');
  release.shift()!();
  await first;
  assert.is(b.here, false, 'a slot came free');
  release.shift()!();
  await second;
});

test('warm() starts every worker and loads its codec before any batch; the first batch then finds them ready', async () => {
  const warmed = workerEngine({ workers: 2 });
  let started = 0;
  const count = () => started++;
  process.on('worker', count);
  try {
    warmed.warm(16);
    await new Promise((resolve) => setImmediate(resolve)); // Node emits 'worker' a tick after the start
    assert.is(started, 2, 'both workers start at once');
    const bytes = await collect(writeContainer(chunked(PAYLOAD, 65536), { ...fixed, engine: warmed }));
    assert.is(started, 2, 'no other workers were started');
    assert.ok(warmed.batches > 0, 'the warmed workers were handed the batches');
    assert.equal(bytes, await collect(writeContainer(chunked(PAYLOAD, 65536), fixed)));
  } finally {
    process.off('worker', count);
    await warmed.close();
  }
});

test.after(() => engine.close());
test.run();
