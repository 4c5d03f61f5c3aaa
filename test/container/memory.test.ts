// Streaming memory stays flat: a generated payload (never held in memory) is written through a
// file spool into a file, validated and read back, and the process's peak RSS (VmHWM) grows by
// less than 64 MiB whatever the size. DBS_MEMORY_TEST_MIB sets the size (default 96).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, open } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBLAKE2b } from 'hash-wasm';
import { writeContainer, openContainer, protect } from '../../src/container/index.js';
import { memorySource } from '../../src/io/memory.js';
import { fileSource, fileSpool } from '../../src/io/file.node.js';
import { loadCodec } from '../../src/integrity/codec.js';

const MiB = 1 << 20;
const SIZE = Number(process.env.DBS_MEMORY_TEST_MIB ?? 96) * MiB;

function highWaterMiB(): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  return kb / 1024;
}

async function* generated(size: number) {
  let x = 0x2545f491;
  for (let at = 0; at < size; at += MiB) {
    const out = new Uint8Array(Math.min(MiB, size - at));
    const words = new Int32Array(out.buffer, 0, out.length >>> 2);
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      words[i] = x;
    }
    yield out;
  }
}

test(`a ${SIZE / MiB} MiB payload streams through files in flat memory`, async () => {
  if (process.platform !== 'linux') return;
  await loadCodec({ parity: 16 });
  const expect = await createBLAKE2b(256);
  const got = await createBLAKE2b(256);
  // Warm up (modules, WASM instances, JIT) on a small payload so the baseline is the steady state.
  const warm = await protect(new Uint8Array(3 * MiB), { meta: new Uint8Array(1) });
  await (await openContainer(memorySource(warm))).validate();
  const baseline = highWaterMiB();
  const dir = await mkdtemp(join(tmpdir(), 'dbs-memory-'));
  try {
    const path = join(dir, 'c.dbs');
    const file = await open(path, 'w');
    expect.init();
    const tee = async function* () {
      for await (const piece of generated(SIZE)) {
        expect.update(piece);
        yield piece;
      }
    };
    for await (const piece of writeContainer(tee(), { meta: new Uint8Array(200), spool: () => fileSpool(dir) })) await file.write(piece);
    await file.close();
    const source = await fileSource(path);
    const report = await (await openContainer(source)).validate();
    assert.ok(report.ok && !report.healed, report.summary());
    got.init();
    let n = 0;
    for await (const piece of (await openContainer(source)).payload()) {
      got.update(piece);
      n += piece.length;
    }
    await source.close?.();
    assert.is(n, SIZE);
    assert.is(got.digest('hex'), expect.digest('hex'), 'payload read back byte for byte');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const grew = highWaterMiB() - baseline;
  console.log(`NOTICE: streaming ${SIZE / MiB} MiB through files: peak RSS grew ${grew.toFixed(0)} MiB`);
  assert.ok(grew < 64, `peak RSS grew by ${grew.toFixed(0)} MiB`);
});

test.run();
