// The report's per-block outcome record: one BlockOutcome code per block, agreeing with the counts,
// the failed list and summary(), the same with the worker engine as on one thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openContainer, protect, BlockOutcome, IntegrityReport } from '../../src/container/index.js';
import { computeLayout, HEAD_SIZE } from '../../src/container/format.js';
import { workerEngine } from '../../src/container/pool.node.js';
import { memorySource } from '../../src/io/memory.js';
import { seededBytes } from '../helpers/env.js';

const BLOCK = 65536;
const PAYLOAD = seededBytes(12 * BLOCK + 1000, 71);
const META = seededBytes(300, 72);
const fixed = { meta: META, id: seededBytes(16, 73), createdAt: new Date(1_770_000_000_000), blockSize: BLOCK };
const layout = computeLayout({ blockSize: BLOCK, parity: 16, metaLength: META.length, blockCount: 13, payloadLength: PAYLOAD.length });
/** File offset of byte `at` of block `i`'s body in copy `c`. */
const body = (c: number, i: number, at: number) => layout.blocks[c] + i * layout.fullFrame + HEAD_SIZE + at;

const container = await protect(PAYLOAD, fixed);
const damaged = container.slice();
// Block 2: copy 0 burst, copy 1 intact → second copy.
damaged.fill(7, body(0, 2, 100), body(0, 2, 30_100));
// Block 4: a few byte errors in each copy → Reed-Solomon.
for (const [c, at] of [[0, 10], [0, 5000], [1, 20], [1, 40_000]]) damaged[body(c, 4, at)] ^= 0x5a;
// Block 6: large non-overlapping bursts, first half in copy 0, second half in copy 1 → combined.
damaged.fill(1, body(0, 6, 0), body(0, 6, 30_000));
damaged.fill(2, body(1, 6, 30_000), body(1, 6, 60_000));
// Block 8: the same large burst in both copies → failed.
for (const c of [0, 1]) damaged.fill(3, body(c, 8, 1000), body(c, 8, 40_000));

const expected = new Uint8Array(13);
expected[2] = BlockOutcome.SECOND_COPY;
expected[4] = BlockOutcome.REPAIRED_BY_RS;
expected[6] = BlockOutcome.COMBINED;
expected[8] = BlockOutcome.FAILED;

function check(report: IntegrityReport, what: string) {
  assert.is(report.outcomes.length, report.totalBlocks, `${what}: one outcome per block`);
  assert.equal(Array.from(report.outcomes), Array.from(expected), `${what}: each block's outcome`);
  const count = (code: number) => report.outcomes.filter((o) => o === code).length;
  assert.is(count(BlockOutcome.CLEAN), report.clean);
  assert.is(count(BlockOutcome.REPAIRED_BY_RS), report.repairedByRS);
  assert.is(count(BlockOutcome.SECOND_COPY), report.fromSecondCopy);
  assert.is(count(BlockOutcome.COMBINED), report.combined);
  assert.equal(report.failed.map((f) => f.index), [8]);
  assert.match(report.summary(), /repaired blocks: 2 from the second copy; 4 repaired by Reed-Solomon; 6 combined from both copies/);
  assert.equal(report.toJSON().outcomeRuns, [[0, 0, 2], [2, 2, 1], [0, 3, 1], [1, 4, 1], [0, 5, 1], [3, 6, 1], [0, 7, 1], [4, 8, 1], [0, 9, 4]]);
}

test('a clean file: every block CLEAN, no repaired line', async () => {
  const report = await (await openContainer(memorySource(container))).validate();
  assert.equal(Array.from(report.outcomes), new Array(13).fill(BlockOutcome.CLEAN));
  assert.not.match(report.summary(), /repaired blocks/);
});

test('a damaged file: each block outcome recorded, one thread and workers alike', async () => {
  check(await (await openContainer(memorySource(damaged))).validate(), 'one thread');
  const engine = workerEngine({ workers: 2 });
  try {
    check(await (await openContainer(memorySource(damaged), { engine })).validate(), 'workers');
  } finally {
    await engine.close();
  }
});

test('outcomes grow past the expected count, one byte per block, in block order only', () => {
  const report = new IntegrityReport(2);
  for (let i = 0; i < 3000; i++) report.add(i, i % 7 === 3 ? 'rs' : 'clean', ['intact', 'intact'], [i, i + 1]);
  assert.is(report.outcomes.length, 3000);
  assert.is(report.outcomes[3], BlockOutcome.REPAIRED_BY_RS);
  assert.is(report.outcomes[2998], BlockOutcome.CLEAN);
  assert.throws(() => report.add(5, 'clean', ['intact', 'intact'], [0, 1]), /out of order/);
});

test.run();
