// Streaming and whole-buffer paths give identical bytes; the file spool works; validate, heal,
// replaceMeta and the report behave; memory stays flat while streaming.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeContainer, openContainer, healContainer, replaceMeta, protect, recover } from '../../src/container/index.js';
import { memorySource, memorySpool, collect, chunked } from '../../src/io/memory.js';
import { fileSource, fileSpool } from '../../src/io/file.node.js';
import { UnrecoverableBlocksError } from '../../src/errors.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const PAYLOAD = seededBytes(2 * (1 << 20) + 999, 21);
const META = seededBytes(1234, 22);
const ID = seededBytes(16, 23);
const createdAt = new Date(1_750_000_000_000);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** The payload in irregular chunk sizes (1 byte to 200 KiB). */
async function* ragged(bytes: Uint8Array, seed: number) {
  const rnd = seededRandom(seed);
  for (let at = 0; at < bytes.length; ) {
    const n = rnd.int(4) === 0 ? 1 + rnd.int(16) : 1 + rnd.int(200_000);
    yield bytes.slice(at, at + n);
    at += n;
  }
}

test('streaming (ragged chunks, file spool) and whole-buffer writes give identical bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dbs-container-'));
  try {
    const whole = await protect(PAYLOAD, { meta: META, id: ID, createdAt });
    const streamed = await collect(writeContainer(ragged(PAYLOAD, 1), { meta: META, id: ID, createdAt, spool: () => fileSpool(dir) }));
    const inMemory = await collect(writeContainer(ragged(PAYLOAD, 2), { meta: META, id: ID, createdAt, spool: memorySpool }));
    assert.ok(same(whole, streamed), 'file spool');
    assert.ok(same(whole, inMemory), 'memory spool');
    // Reading: whole-buffer recover vs streaming payload() from a file.
    const path = join(dir, 'c.dbs');
    await writeFile(path, whole);
    const source = await fileSource(path);
    const reader = await openContainer(source);
    assert.is(reader.info.payloadLength, PAYLOAD.length);
    assert.is(reader.info.createdAt?.getTime(), createdAt.getTime());
    assert.is(reader.info.metaCopies, 3);
    assert.ok(same(reader.meta, META));
    const parts: Uint8Array[] = [];
    for await (const part of reader.payload()) parts.push(part);
    assert.ok(parts.length > 1, 'the payload streams in pieces');
    const streamedBack = await collect(parts);
    await source.close?.();
    assert.ok(same(streamedBack, PAYLOAD));
    assert.ok(same((await recover(whole)).payload, PAYLOAD));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('parameters: block size and parity are honoured and reported', async () => {
  for (const [blockSize, parity] of [[1024, 2], [4096, 32], [1 << 20, 64], [65536, 16]]) {
    const c = await protect(PAYLOAD.subarray(0, 300_000), { meta: META, blockSize, parity });
    const reader = await openContainer(memorySource(c));
    assert.is(reader.info.blockSize, blockSize);
    assert.is(reader.info.parity, parity);
    assert.is(reader.info.blockCount, Math.ceil(300_000 / blockSize));
    assert.ok(same(await collect(reader.payload()), PAYLOAD.subarray(0, 300_000)));
  }
});

test('healContainer writes a fresh clean container with the same payload and meta', async () => {
  const c = await protect(PAYLOAD, { meta: META });
  const damaged = c.slice();
  const rnd = seededRandom(5);
  for (let i = 0; i < 3000; i++) damaged[rnd.int(damaged.length)] ^= 0xa5;
  damaged.fill(0, 0, 100_000);
  const before = await (await openContainer(memorySource(damaged))).validate();
  assert.ok(before.ok && before.healed, before.summary());
  const healed = await collect(healContainer(memorySource(damaged)));
  const after = await (await openContainer(memorySource(healed))).validate();
  assert.ok(after.ok && !after.healed, after.summary());
  const back = await recover(healed);
  assert.ok(same(back.payload, PAYLOAD));
  assert.ok(same(back.meta, META));
});

test('replaceMeta keeps the payload and the id, changes the meta', async () => {
  const c = await protect(PAYLOAD, { meta: META, id: ID, createdAt });
  const next = seededBytes(3000, 99);
  const replaced = await collect(replaceMeta(memorySource(c), next));
  const reader = await openContainer(memorySource(replaced));
  assert.ok(same(reader.meta, next));
  assert.is(reader.info.id, Buffer.from(ID).toString('hex'));
  assert.is(reader.info.createdAt?.getTime(), createdAt.getTime());
  assert.ok(same(await collect(reader.payload()), PAYLOAD));
  // Same bytes as writing it fresh with that meta.
  assert.ok(same(replaced, await protect(PAYLOAD, { meta: next, id: ID, createdAt })));
});

test('payload() yields every good block, then throws UnrecoverableBlocksError naming the failed ones', async () => {
  const c = await protect(PAYLOAD, { meta: META, blockSize: 65536 });
  const reader = await openContainer(memorySource(c));
  const layoutReader = reader.info;
  const damaged = c.slice();
  // Destroy block 5 and block 20 in both copies (same bytes).
  const { computeLayout, HEAD_SIZE } = await import('../../src/container/format.js');
  const layout = computeLayout({ ...layoutReader, metaLength: META.length });
  for (const i of [5, 20]) for (const copy of [0, 1]) {
    const at = layout.blocks[copy] + i * layout.fullFrame + HEAD_SIZE;
    damaged.fill(7, at, at + 40_000);
  }
  const r2 = await openContainer(memorySource(damaged));
  let got = 0;
  try {
    for await (const part of r2.payload()) got += part.length;
    assert.unreachable('must throw');
  } catch (error) {
    assert.instance(error, UnrecoverableBlocksError);
    assert.equal((error as UnrecoverableBlocksError).blocks, [5, 20]);
    assert.is(got, 5 * 65536, 'everything before the first failed block was handed out, nothing after');
    const report = (error as UnrecoverableBlocksError).report as { summary(): string; failed: unknown[] };
    assert.match(report.summary(), /UNRECOVERABLE/);
    assert.is(report.failed.length, 2);
  }
  const v = await r2.validate();
  assert.is(v.ok, false);
  assert.equal(v.failed.map((f) => f.index), [5, 20]);
  assert.equal(JSON.parse(JSON.stringify(v)).failed.length, 2);
});

test('progress is reported while writing', async () => {
  const events: number[] = [];
  await collect(writeContainer(chunked(PAYLOAD), { meta: META, onProgress: (p) => events.push(p.payloadBytes) }));
  assert.ok(events.length >= 2);
  assert.is(events[events.length - 1], PAYLOAD.length);
});



test('more than one manifest chunk (3000 blocks of 1 KiB); a chunk lost in both copies falls back to frame heads; meta combined from damaged copies', async () => {
  const payload = seededBytes(3000 * 1024 - 5, 77);
  const c = await protect(payload, { meta: META, blockSize: 1024 });
  const reader = await openContainer(memorySource(c));
  assert.is(reader.info.blockCount, 3000);
  const report = await reader.validate();
  assert.is(report.manifests.intact, 2);
  assert.ok(same(await collect(reader.payload()), payload));
  const { computeLayout, HEAD_SIZE } = await import('../../src/container/format.js');
  const layout = computeLayout({ blockSize: 1024, parity: 16, metaLength: META.length, blockCount: 3000, payloadLength: payload.length });
  assert.is(layout.manifestChunks, 2);
  const damaged = c.slice();
  // Second manifest chunk wiped in both copies.
  for (const copy of [0, 1]) {
    const at = layout.manifest[copy] + layout.manifestFrame(0);
    damaged.fill(0, at, at + layout.manifestFrame(1));
  }
  // Every meta copy damaged beyond its own parity, at different places: only combining helps.
  const metaBody = (n: number) => layout.meta[n] + HEAD_SIZE;
  damaged.fill(0xaa, metaBody(0), metaBody(0) + 400);
  damaged.fill(0xbb, metaBody(1) + 400, metaBody(1) + 800);
  damaged.fill(0xcc, metaBody(2) + 800, metaBody(2) + 1234);
  const back = await recover(damaged);
  assert.ok(same(back.payload, payload));
  assert.ok(same(back.meta, META), 'meta recovered by combining damaged copies');
  assert.match(back.report.notes.join('\n'), /manifest chunk/);
});
test.run();
