// The validator's engine (what its Web Worker runs), driven directly in Node over real containers
// made by the container and security layers: verdicts, block states, the envelope summary, the
// passphrase outcomes (right, wrong, tampered), the contents summary from the payload header,
// healing, and that the file is read in bounded slices, never whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openContainer, writeContainer } from '../../src/container/index.js';
import { encryptStream, sealEnvelope } from '../../src/crypto/index.js';
import { chunked, collect, memorySource } from '../../src/io/memory.js';
import type { ByteSource } from '../../src/io/types.js';
import { compressStream } from '../../src/pipeline/compress.js';
import { RecordType, RecordWriter, jsonBody } from '../../src/data/format.js';
import { checkPassphrase, healToBlob, inspect, kdfText } from '../../web/src/engine.js';
import { BlockState } from '../../web/src/protocol.js';
import { formatBytes, healedName } from '../../web/src/format.js';
import { seededBytes } from '../helpers/env.js';
import { damageBeyondRepair, damageBothCopies, smash } from './damage.js';

const PASSPHRASE = 'engine test passphrase';
const KDF = { memoryKiB: 8192, passes: 1, parallelism: 1 };

/** A payload shaped like the pipeline's: compressed frames of a data payload with a Header record. */
async function plaintext(extraBytes: number): Promise<Uint8Array> {
  const writer = new RecordWriter();
  const header = { format: 'dbs-data', app: { name: 'Shop <admin>' }, dialect: 'postgres', databaseVersion: '15.20', sequelizeVersion: '6.37.8', models: [{ name: 'Author' }, { name: 'Book' }] };
  const raw = [writer.preamble(), writer.record(RecordType.Header, jsonBody(header)), writer.record(RecordType.TableBegin, seededBytes(extraBytes, 5))];
  return collect(compressStream(chunked(await collect(raw), 1 << 16), { chunkSize: 1 << 20 }));
}

async function container(payload: Uint8Array, options: { blockSize?: number; tamper?: number } = {}): Promise<Uint8Array> {
  const sealed = await sealEnvelope([{ passphrase: PASSPHRASE, kdf: KDF }]);
  let cipher = await collect(encryptStream(chunked(payload, 1 << 16), sealed));
  if (options.tamper !== undefined) {
    cipher = cipher.slice();
    cipher[options.tamper] ^= 0x20;
  }
  return collect(writeContainer(chunked(cipher, 1 << 16), { meta: sealed.header, blockSize: options.blockSize ?? 4096 }));
}

let payload: Uint8Array;
let clean: Uint8Array;

test.before(async () => {
  payload = await plaintext(60_000);
  clean = await container(payload);
});

test('a clean file: verdict clean, every block clean, container and envelope facts', async () => {
  const { view } = await inspect(memorySource(clean), 'x.dbs');
  const info = (await openContainer(memorySource(clean))).info;
  assert.is(view.verdict, 'clean');
  assert.is(view.counts.total, info.blockCount);
  assert.is(view.counts.clean, info.blockCount);
  assert.is(view.blocks.length, info.blockCount);
  assert.ok(view.blocks.every((s) => s === BlockState.CLEAN));
  assert.is(view.container.blockSize, 4096);
  assert.is(view.container.payloadLength, info.payloadLength);
  assert.ok(view.container.createdAt && Math.abs(Date.parse(view.container.createdAt) - Date.now()) < 60_000);
  assert.is(view.envelope?.kdf, 'Argon2id, 8 MiB, 1 pass, 1 lane');
  assert.is(view.envelope?.slots, '1 passphrase');
  assert.is(view.envelope?.passphraseSlots, 1);
  assert.is(view.fatal, undefined);
});

test('damage in both copies: verdict repaired, each damaged block marked where it is', async () => {
  const { file, hit } = damageBothCopies(clean);
  const { view } = await inspect(memorySource(file), 'x.dbs');
  const report = await (await openContainer(memorySource(file))).validate();
  assert.is(view.verdict, 'repaired');
  const marked = [...view.blocks.keys()].filter((i) => view.blocks[i] !== BlockState.CLEAN);
  assert.equal(marked, hit);
  assert.is(view.blocks[3], BlockState.SECOND_COPY);
  assert.is(view.blocks[7], BlockState.COMBINED);
  assert.equal(
    [view.counts.clean, view.counts.repaired, view.counts.secondCopy, view.counts.combined, view.counts.failed],
    [report.clean, report.repairedByRS, report.fromSecondCopy, report.combined, report.failed.length],
  );
  assert.match(view.headline, '4 damaged blocks');
});

test('damage only in a file header copy: repaired, every block clean, the note says where', async () => {
  const file = clean.slice();
  smash(file, 0, 120, 9); // the first header frame
  const { view } = await inspect(memorySource(file), 'x.dbs');
  assert.is(view.verdict, 'repaired');
  assert.is(view.counts.clean, view.counts.total);
  assert.match(view.headline, "the file's own structures were repaired");
  assert.ok(view.notes.some((n) => n.startsWith('File header: 1 of 2 copies intact')), view.notes.join(' | '));
});

test('damage beyond repair: verdict unrecoverable, the failed block marked', async () => {
  const { view } = await inspect(memorySource(damageBeyondRepair(clean, 2)), 'x.dbs');
  assert.is(view.verdict, 'unrecoverable');
  assert.is(view.counts.failed, 1);
  assert.is(view.blocks[2], BlockState.FAILED);
});

test('not a backup: a fatal view with the reader’s message, no throw', async () => {
  const { view, reader } = await inspect(memorySource(new TextEncoder().encode('hello '.repeat(500))), 'notes.txt');
  assert.is(reader, undefined);
  assert.ok(view.fatal);
  assert.match(view.headline, 'not a readable DBS backup');
});

test('passphrase: wrong is distinct; right decrypts everything and reads the contents summary', async () => {
  const inspected = await inspect(memorySource(clean), 'x.dbs');
  const wrong = await checkPassphrase(inspected, 'nope');
  assert.is(wrong.kind, 'wrong');
  const right = await checkPassphrase(inspected, PASSPHRASE);
  assert.is(right.kind, 'ok');
  if (right.kind !== 'ok') return;
  assert.is(right.bytes, payload.length);
  assert.is(right.contents?.app, 'Shop <admin>');
  assert.equal(right.contents?.models, ['Author', 'Book']);
  assert.is(right.contents?.dialect, 'postgres');
});

test('a real backup (createBackup with app): the page shows "name version" after decryption, nothing before', async () => {
  const { Sequelize, DataTypes } = await import('sequelize');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createBackup } = await import('../../src/pipeline/api.js');
  const dir = await mkdtemp(join(tmpdir(), 'dbs-web-app-'));
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: join(dir, 'shop.sqlite'), logging: false });
  try {
    const Order = sequelize.define('Order', { total: DataTypes.DECIMAL(10, 2) });
    await sequelize.sync();
    await Order.bulkCreate([{ total: '9.99' }, { total: '120.00' }]);
    const app = { name: 'Shop', version: '2.1.0' };
    const { bytes } = await createBackup(PASSPHRASE, { sequelize, kdf: KDF, blockSize: 4096, app });
    const inspected = await inspect(memorySource(bytes!), 'shop.dbs');
    assert.is(inspected.view.verdict, 'clean');
    const right = await checkPassphrase(inspected, PASSPHRASE);
    assert.is(right.kind, 'ok');
    if (right.kind !== 'ok') return;
    assert.is(right.contents?.app, 'Shop 2.1.0');
    assert.equal(right.contents?.models, ['Order']);
    assert.is(right.contents?.dialect, 'sqlite');
    const { bytes: unnamed } = await createBackup(PASSPHRASE, { sequelize, kdf: KDF, blockSize: 4096 });
    const without = await checkPassphrase(await inspect(memorySource(unnamed!), 'x.dbs'), PASSPHRASE);
    assert.is(without.kind === 'ok' ? without.contents?.app : 'not ok', undefined, 'no app recorded: the page says so');
  } finally {
    await sequelize.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('passphrase on a repaired file still decrypts (healing happens underneath)', async () => {
  const inspected = await inspect(memorySource(damageBothCopies(clean).file), 'x.dbs');
  const right = await checkPassphrase(inspected, PASSPHRASE);
  assert.is(right.kind, 'ok');
});

test('passphrase on an unrecoverable file: the slot opens, the failure is named', async () => {
  const inspected = await inspect(memorySource(damageBeyondRepair(clean, 2)), 'x.dbs');
  const outcome = await checkPassphrase(inspected, PASSPHRASE);
  assert.is(outcome.kind, 'error');
  if (outcome.kind !== 'error') return;
  assert.is(outcome.code, 'UNRECOVERABLE');
  assert.match(outcome.message, 'the passphrase is correct');
  assert.is((await checkPassphrase(inspected, 'wrong one')).kind, 'wrong');
});

test('tampered ciphertext that passes the integrity layer is reported as tampering', async () => {
  const tampered = await container(payload, { tamper: 5000 });
  const inspected = await inspect(memorySource(tampered), 'x.dbs');
  assert.is(inspected.view.verdict, 'clean', 'the container is intact: the damage was done before it was written');
  const outcome = await checkPassphrase(inspected, PASSPHRASE);
  assert.is(outcome.kind, 'tampered');
});

test('heal: the rebuilt file validates clean and carries the same payload', async () => {
  const damaged = damageBothCopies(clean).file;
  const blob = await healToBlob(await inspect(memorySource(damaged), 'x.dbs'));
  const healed = new Uint8Array(await blob.arrayBuffer());
  const reader = await openContainer(memorySource(healed));
  const report = await reader.validate();
  assert.ok(report.ok && !report.healed, report.summary());
  const original = await openContainer(memorySource(clean));
  assert.equal(await collect(reader.payload()), await collect(original.payload()));
  assert.equal(reader.meta, original.meta);
});

/** A source that records the size of every read. */
function recording(bytes: Uint8Array): { source: ByteSource; reads: number[] } {
  const inner = memorySource(bytes);
  const reads: number[] = [];
  return {
    reads,
    source: {
      size: inner.size,
      read: (offset, length) => {
        reads.push(length);
        return inner.read(offset, length);
      },
    },
  };
}

test('a large file is read in bounded slices, never whole (validate, passphrase, heal)', async () => {
  const big = await container(await plaintext(24 << 20), { blockSize: 64 * 1024 });
  const { source, reads } = recording(big);
  const inspected = await inspect(source, 'big.dbs');
  assert.is(inspected.view.verdict, 'clean');
  assert.is((await checkPassphrase(inspected, PASSPHRASE)).kind, 'ok');
  await healToBlob(inspected);
  const largest = Math.max(...reads);
  assert.ok(largest <= 4 << 20, `largest single read ${formatBytes(largest)} for a ${formatBytes(big.length)} file`);
  assert.ok(big.length > 6 * largest, 'the file is several times the largest read');
});

test('format helpers', () => {
  assert.is(kdfText({ memoryKiB: 65536, passes: 3, parallelism: 1 }), 'Argon2id, 64 MiB, 3 passes, 1 lane');
  assert.is(healedName('shop-20261126-063000Z.dbs'), 'shop-20261126-063000Z.healed.dbs');
  assert.is(healedName('x.healed.dbs'), 'x.healed.dbs');
  assert.is(formatBytes(1536), '1.50 KiB');
  assert.is(formatBytes(64 * 1024), '64 KiB');
});

test.run();
