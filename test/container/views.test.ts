// The reader's read windows reuse one buffer per window (ByteSource.readInto): a view into a
// window is overwritten when the window moves on. These tests fail if any path keeps such a view
// past a later read (a block's data handed out, or held in a batch healed on this thread, would
// then hold another block's bytes). Bytes in memory are read without a copy (ByteSource.view):
// healing must never write into them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openContainer, protect } from '../../src/container/index.js';
import { healBatch, scanBatch, type BlockEngine } from '../../src/container/blocks.js';
import { loadTools } from '../../src/container/frames.js';
import { healBlock } from '../../src/container/heal.js';
import { computeLayout, HEAD_SIZE } from '../../src/container/format.js';
import { memorySource, collect } from '../../src/io/memory.js';
import type { ByteSource } from '../../src/io/types.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const BLOCK = 65536;
const PAYLOAD = seededBytes(3 * (1 << 20) + 777, 61);
const fixed = { meta: seededBytes(200, 62), id: seededBytes(16, 63), createdAt: new Date(1_770_000_000_000), blockSize: BLOCK };

/** readInto that scribbles over its target before filling it, and counts the reads. */
function scribbling(bytes: Uint8Array): ByteSource & { reads: number } {
  const inner = memorySource(bytes);
  const source = {
    size: inner.size,
    reads: 0,
    read: (offset: number, length: number) => inner.read(offset, length),
    async readInto(offset: number, target: Uint8Array) {
      source.reads++;
      target.fill(0x5a);
      return inner.readInto!(offset, target);
    },
  };
  return source;
}

/** An engine whose every heal batch runs on the calling thread (the reader's `here` batches). */
async function hereOnly(parity: number): Promise<BlockEngine> {
  const tools = await loadTools([parity]);
  return {
    parallelism: 4,
    hereEvery: 1,
    workers: 1,
    encodeBatch: () => Promise.reject(new Error('not used')),
    healBatch: async (job) => ({ buffer: job.buffer, results: healBatch(tools, job, healBlock) }),
    close: async () => {},
  };
}

/** An engine that checks runs of frames on the calling thread (scanBatch writes healed data into its windows). */
async function scanHere(parity: number): Promise<BlockEngine> {
  const tools = await loadTools([parity]);
  return { ...(await hereOnly(parity)), hereEvery: 0, scanBatch: async (job) => scanBatch(tools, job, healBlock) };
}

const layout = computeLayout({ blockSize: BLOCK, parity: 16, metaLength: 200, blockCount: Math.ceil(PAYLOAD.length / BLOCK), payloadLength: PAYLOAD.length });
const frameAt = (c: number, i: number) => layout.blocks[c] + i * layout.fullFrame;

const damages: [string, (b: Uint8Array) => Uint8Array][] = [
  ['clean', (b) => b],
  ['1e-3 of bytes in both copies', (b) => {
    const d = b.slice();
    const rnd = seededRandom(64);
    for (let n = 0; n < d.length / 1000; n++) d[rnd.int(d.length)] ^= 1 + rnd.int(255);
    return d;
  }],
  ['copy 0 of blocks 5..9 zeroed, copy 1 of block 20 zeroed', (b) => {
    const d = b.slice();
    d.fill(0, frameAt(0, 5), frameAt(0, 10));
    d.fill(0, frameAt(1, 20), frameAt(1, 21));
    return d;
  }],
  ['block 15: the start of copy 0 and the end of copy 1 destroyed (combining both copies)', (b) => {
    const d = b.slice();
    const body = (c: number) => frameAt(c, 15) + HEAD_SIZE;
    d.fill(0x33, body(0), body(0) + 20_000);
    d.fill(0x44, body(1) + 40_000, body(1) + 60_000);
    return d;
  }],
  ['bytes deleted in copy 0 (frames searched for)', (b) => {
    const at = frameAt(0, 12) + 3000;
    const d = new Uint8Array(b.length - 500);
    d.set(b.subarray(0, at));
    d.set(b.subarray(at + 500), at);
    return d;
  }],
];

test('payload through reused read windows: every block is its own (single thread and batches healed here)', async () => {
  const container = await protect(PAYLOAD, fixed);
  for (const [what, damage] of damages) {
    const damaged = damage(container);
    for (const [how, engine] of [['single thread', undefined], ['batches healed here', hereOnly]] as const) {
      const source = scribbling(damaged);
      const reader = await openContainer(source, { engine });
      const payload = await collect(reader.payload());
      assert.ok(source.reads > 0, `${what}, ${how}: the windows read through readInto`);
      assert.is(payload.length, PAYLOAD.length, `${what}, ${how}: length`);
      if (what.includes('combining')) assert.is(reader.report?.combined, 1, `${what}, ${how}: healed by combining`);
      const first = payload.findIndex((b, i) => b !== PAYLOAD[i]);
      assert.is(first, -1, `${what}, ${how}: payload differs first at byte ${first} (block ${Math.floor(first / BLOCK)})`);
    }
  }
});

test('reading through view (bytes in memory, not copied) never writes into the caller\'s bytes', async () => {
  const container = await protect(PAYLOAD, fixed);
  for (const [what, damage] of damages) {
    const damaged = damage(container);
    const before = damaged.slice();
    for (const engine of [undefined, hereOnly, scanHere]) {
      const reader = await openContainer(memorySource(damaged), { engine });
      await reader.validate();
      const payload = await collect(reader.payload());
      assert.ok(Buffer.from(payload).equals(Buffer.from(PAYLOAD)), `${what}: payload`);
    }
    assert.ok(Buffer.from(damaged).equals(Buffer.from(before)), `${what}: the source bytes are unchanged`);
  }
});

test.run();
