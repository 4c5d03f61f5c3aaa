// ByteSource.readInto (the reader reuses its run buffers) reads the same bytes as `read`, and the
// reader gives the same reports and payloads through it as through a source that only has `read`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContainer, protect } from '../../src/container/index.js';
import { workerEngine } from '../../src/container/pool.node.js';
import { memorySource, collect } from '../../src/io/memory.js';
import { fileSource } from '../../src/io/file.node.js';
import type { ByteSource } from '../../src/io/types.js';
import { UnrecoverableBlocksError } from '../../src/errors.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const engine = workerEngine({ workers: 2 });
const PAYLOAD = seededBytes(6 * (1 << 20) + 4321, 51);
const fixed = { meta: seededBytes(300, 52), id: seededBytes(16, 53), createdAt: new Date(1_770_000_000_000) };
let dir = '';

/** The same bytes behind `read` only (the path every source without readInto takes). */
function readOnly(bytes: Uint8Array): ByteSource {
  const inner = memorySource(bytes);
  return { size: inner.size, read: (offset, length) => inner.read(offset, length) };
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbs-readinto-'));
});
test.after(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

test('readInto reads what read reads (memory and file sources, at the edges too)', async () => {
  const bytes = seededBytes(100_003, 54);
  const path = join(dir, 'edges.bin');
  await writeFile(path, bytes);
  const file = await fileSource(path);
  try {
    for (const source of [memorySource(bytes), file]) {
      assert.ok(source.readInto, 'readInto offered');
      for (const [offset, length] of [[0, 10], [5, 65536], [99_990, 100], [100_003, 7], [200_000, 5], [0, 0], [0, 100_003], [1, 200_000]]) {
        const expected = await source.read(offset, length);
        const target = new Uint8Array(length).fill(0xee);
        const got = await source.readInto!(offset, target);
        assert.is(got, expected.length, `count at ${offset}+${length}`);
        assert.ok(Buffer.from(target.subarray(0, got)).equals(Buffer.from(expected)), `bytes at ${offset}+${length}`);
        assert.ok(target.subarray(got).every((b) => b === 0xee), `nothing written past the end at ${offset}+${length}`);
      }
    }
  } finally {
    await file.close!();
  }
});

test('damaged files: readInto (memory, file) and read give the same reports and payloads', async () => {
  const container = await protect(PAYLOAD, { ...fixed, blockSize: 65536 });
  const { computeLayout } = await import('../../src/container/format.js');
  const layout = computeLayout({ blockSize: 65536, parity: 16, metaLength: fixed.meta.length, blockCount: Math.ceil(PAYLOAD.length / 65536), payloadLength: PAYLOAD.length });
  const head = (c: number, i: number) => layout.blocks[c] + i * layout.fullFrame;
  const cases: [string, (b: Uint8Array) => Uint8Array][] = [
    ['clean', (b) => b],
    ['random bytes at 1e-3 and a 100 kB burst', (b) => {
      const d = b.slice();
      const rnd = seededRandom(55);
      for (let i = 0; i < d.length / 1000; i++) d[rnd.int(d.length)] ^= 1 + rnd.int(255);
      d.fill(0, 3_000_000, 3_100_000);
      return d;
    }],
    ['bytes inserted in copy 0 (runs refused and walked again)', (b) => {
      const at = head(0, 30) + 5000;
      const d = new Uint8Array(b.length + 999);
      d.set(b.subarray(0, at));
      d.fill(7, at, at + 999);
      d.set(b.subarray(at), at + 999);
      return d;
    }],
    ['cut inside copy 1', (b) => b.slice(0, head(1, 70) + 1234)],
    ['both copies of block 40 destroyed (unrecoverable)', (b) => {
      const d = b.slice();
      for (const c of [0, 1]) d.fill(9, head(c, 40) + 100, head(c, 40) + 60_000);
      return d;
    }],
  ];
  for (const [what, damage] of cases) {
    const damaged = damage(container);
    const path = join(dir, 'damaged.dbs');
    await writeFile(path, damaged);
    const file = await fileSource(path);
    try {
      const outcomes = [];
      for (const source of [readOnly(damaged), memorySource(damaged), file]) {
        const reader = await openContainer(source, { engine });
        const report = JSON.parse(JSON.stringify(await reader.validate()));
        let payload: Uint8Array | undefined;
        let failed: number[] | undefined;
        try {
          payload = await collect(reader.payload());
        } catch (error) {
          assert.instance(error, UnrecoverableBlocksError, what);
          failed = (error as UnrecoverableBlocksError).blocks;
        }
        outcomes.push({ report, payload, failed });
      }
      const [a, ...others] = outcomes;
      for (const [n, b] of others.entries()) {
        const name = `${what} (${n === 0 ? 'memory' : 'file'} readInto)`;
        assert.equal(b.report, a.report, name);
        assert.equal(b.failed, a.failed, name);
        assert.is(!!b.payload, !!a.payload, name);
        if (a.payload) assert.ok(Buffer.from(b.payload!).equals(Buffer.from(a.payload)), `${name}: payload`);
      }
      if (what.includes('unrecoverable')) assert.equal(a.failed, [40], what);
      else assert.ok(a.payload && Buffer.from(a.payload).equals(Buffer.from(PAYLOAD)), `${what}: payload recovered`);
    } finally {
      await file.close!();
    }
  }
});

test.run();
