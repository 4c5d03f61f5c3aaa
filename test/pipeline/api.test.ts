// The Node API on the shared test app (SQLite): createBackup to bytes and to a file, validate,
// damage reported through the logger, heal (also in place), rekey, inspect (nothing leaks),
// restore with dryRun and into a fresh database, typed errors for the usual mistakes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequelize } from 'sequelize';
import { computeLayout } from '../../src/container/format.js';
import { OutputError, UnrecoverableBlocksError, UsageError, WrongPassphraseError } from '../../src/errors.js';
import { createBackup, healBackup, inspectBackup, rekeyBackup, restoreBackup, startSealing, validateBackup } from '../../src/pipeline/api.js';
import { deriveKeyBytes, setKdfRunner } from '../../src/crypto/kdf.js';
import { defineTestApp, seededSqliteApp, snapshotDatabase, syncTestApp, type testAppRegistry } from '../apps/app.js';
import { rejects } from '../helpers/assert.js';
import { threadsFor, WORKERS_FROM_BYTES } from '../../src/pipeline/threads.node.js';
import { availableParallelism } from 'node:os';

const dir = mkdtempSync(join(tmpdir(), 'dbs-api-'));
const filesDir = join(dir, 'files');
const kdf = { memoryKiB: 8192, passes: 1, parallelism: 1 };
const PASS = 'api test passphrase';
let source: Sequelize;
let registry: ReturnType<typeof testAppRegistry>;
let bytes: Uint8Array;

function collectingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (m: string) => warnings.push(m), info() {}, debug() {}, error() {} } };
}

test.before(async () => {
  ({ sequelize: source, registry } = await seededSqliteApp(dir, { rows: 300, filesDir }));
});

test.after(async () => {
  await source.close();
  rmSync(dir, { recursive: true, force: true });
});

test('createBackup to bytes: verified, compressed, and validates clean (with and without passphrase)', async () => {
  const { logger, warnings } = collectingLogger();
  const result = await createBackup(PASS, { sequelize: source, registry, kdf, logger, blockSize: 4096 });
  assert.ok(result.bytes instanceof Uint8Array);
  bytes = result.bytes!;
  assert.is(result.size, bytes.length);
  assert.is(result.verified, 'decryption');
  assert.ok(result.rows > 300);
  assert.ok(result.rawBytes > 2 * result.compressedBytes, `ratio ${result.rawBytes / result.compressedBytes}`);
  console.log(`NOTICE: compression on the test app (300 posts, no photos): ${result.rawBytes} -> ${result.compressedBytes} bytes, ratio ${(result.rawBytes / result.compressedBytes).toFixed(2)}`);
  assert.ok(warnings.some((w) => /missing\.png/.test(w)), 'the unreadable file is reported');
  const plain = await validateBackup(bytes);
  assert.ok(plain.ok && !plain.healed && !plain.decrypted);
  const full = await validateBackup(bytes, PASS);
  assert.ok(full.ok && full.decrypted);
  assert.is(full.payloadBytes, result.rawBytes);
});

test('startSealing: the early envelope is used once, only for the same passphrase, cost and recipients', async () => {
  let derivations = 0;
  setKdfRunner((password, salt, params) => {
    derivations++;
    return deriveKeyBytes(password, salt, params);
  });
  // Derivations made by createBackup itself (the early sealing's happen before it is called).
  const backup = async (sealing: ReturnType<typeof startSealing>) => {
    await new Promise((r) => setTimeout(r, 0));
    const before = derivations;
    const result = await createBackup(PASS, { sequelize: source, registry, kdf, sealing, blockSize: 4096 });
    return { bytes: result.bytes!, derived: derivations - before };
  };
  try {
    // Same passphrase and cost: createBackup derives nothing, and the file opens with the passphrase.
    const sealing = startSealing(PASS, { kdf });
    const first = await backup(sealing);
    assert.is(first.derived, 0);
    assert.ok((await validateBackup(first.bytes, PASS)).decrypted);
    // Used up: a second backup gets an envelope (and data key) of its own.
    const second = await backup(sealing);
    assert.is(second.derived, 1);
    assert.ok((await validateBackup(second.bytes, PASS)).decrypted);
    // Another cost or passphrase than the early one: sealed anew with what createBackup was given.
    const third = await backup(startSealing(PASS, { kdf: { ...kdf, passes: 2 } }));
    assert.is(third.derived, 1);
    const slot = (await inspectBackup(third.bytes)).envelope!.slots[0];
    assert.is(slot.type === 'passphrase' && slot.kdf.passes, kdf.passes);
    const fourth = await backup(startSealing('another passphrase', { kdf }));
    assert.is(fourth.derived, 1);
    assert.ok((await validateBackup(fourth.bytes, PASS)).decrypted);
    assert.throws(() => startSealing('', { kdf }), (e: unknown) => e instanceof UsageError);
  } finally {
    setKdfRunner(undefined);
  }
});

test('wrong or empty passphrase: typed errors', async () => {
  await rejects(() => validateBackup(bytes, 'nope'), (e) => e instanceof WrongPassphraseError);
  await rejects(() => validateBackup(bytes, ''), (e) => e instanceof UsageError);
  await rejects(() => createBackup('', { sequelize: source, registry, kdf }), (e) => e instanceof UsageError);
  await rejects(() => createBackup(PASS, { sequelize: undefined as never }), (e) => e instanceof UsageError);
});

test('inspect shows the header and slots, nothing about the data', async () => {
  const inspection = await inspectBackup(bytes);
  assert.is(inspection.size, bytes.length);
  assert.is(inspection.envelope?.slots.length, 1);
  const text = inspection.summary() + JSON.stringify(inspection);
  for (const word of ['User', 'Post', 'avatar', filesDir]) assert.not.ok(text.includes(word), `${word} leaked`);
});

function damage(container: Uint8Array, info: Awaited<ReturnType<typeof inspectBackup>>['info'], overlap: boolean): Uint8Array {
  const out = container.slice();
  const layout = computeLayout(info);
  const frame = (i: number) => (i === layout.blockCount - 1 ? layout.lastFrame : layout.fullFrame);
  const b = overlap ? 0 : Math.min(1, layout.blockCount - 1);
  out.fill(0xee, layout.blocks[0] + 32, layout.blocks[0] + frame(0) - 32);
  out.fill(0x11, layout.blocks[1] + b * layout.fullFrame + 32, layout.blocks[1] + b * layout.fullFrame + frame(b) - 32);
  return out;
}

test('damage in both copies is healed and always reported through the logger; overlapping damage is refused', async () => {
  const info = (await inspectBackup(bytes)).info;
  assert.ok(info.blockCount >= 2, `need 2+ blocks, have ${info.blockCount}`);
  const damaged = damage(bytes, info, false);
  const { logger, warnings } = collectingLogger();
  const report = await validateBackup(damaged, PASS, { logger });
  assert.ok(report.ok && report.healed && report.decrypted);
  assert.ok(warnings.some((w) => /damaged and has been healed/.test(w)), warnings.join('\n'));
  const path = join(dir, 'damaged.dbs');
  writeFileSync(path, damaged);
  const healed = await healBackup(path, join(dir, 'healed.dbs'), { logger });
  assert.ok(healed.healed && healed.after.ok && !healed.after.healed);
  assert.equal(new Uint8Array(readFileSync(join(dir, 'healed.dbs'))).length, bytes.length);
  // In place: same path in and out.
  const inPlace = await healBackup(path, path, { logger });
  assert.ok(inPlace.healed);
  const again = await validateBackup(path);
  assert.ok(again.ok && !again.healed);
  const lost = damage(bytes, info, true);
  const broken = await validateBackup(lost);
  assert.not.ok(broken.ok);
  await rejects(() => healBackup(lost, join(dir, 'never.dbs')), (e) => e instanceof UnrecoverableBlocksError);
  assert.not.ok(readdirSync(dir).includes('never.dbs'));
});

test('threads: worker threads validate, heal and restore damaged backups as one thread does; the default by size; bad values refused', async () => {
  const damaged = damage(bytes, (await inspectBackup(bytes)).info, false);
  // Node announces every new worker thread on `process` ('worker').
  let started = 0;
  const count = () => started++;
  process.on('worker', count);
  const one = await validateBackup(damaged, PASS, { logger: {}, threads: 1 });
  process.off('worker', count);
  assert.is(started, 0, 'one thread: no worker');
  // `threads` in a report counts the workers only once they were handed a batch.
  const two = await validateBackup(damaged, PASS, { logger: {}, threads: 2 });
  assert.is(one.threads, 1);
  assert.is(two.threads, 2, 'the worker did block work');
  assert.ok(two.ok && two.healed && two.decrypted);
  assert.equal(two.integrity, one.integrity);
  assert.is(two.payloadBytes, one.payloadBytes);
  // By default a file this small stays on this thread; from WORKERS_FROM_BYTES on, every core.
  assert.is((await validateBackup(damaged, null, { logger: {} })).threads, 1);
  assert.is(threadsFor(WORKERS_FROM_BYTES - 1), 1);
  assert.is(threadsFor(WORKERS_FROM_BYTES), availableParallelism());
  assert.is(threadsFor(WORKERS_FROM_BYTES, 1), 1);
  assert.is(threadsFor(0, 3), 3);

  const path = join(dir, 'threads-damaged.dbs');
  writeFileSync(path, damaged);
  const healed = await healBackup(path, join(dir, 'threads-healed.dbs'), { logger: {}, threads: 2 });
  assert.ok(healed.healed && healed.after.ok && !healed.after.healed);
  assert.is(healed.threads, 2);
  const clean = await validateBackup(join(dir, 'threads-healed.dbs'), PASS, { logger: {}, threads: 2 });
  assert.ok(clean.ok && !clean.healed);
  assert.is(clean.payloadBytes, one.payloadBytes);

  const target = new Sequelize({ dialect: 'sqlite', storage: join(dir, 'threads.sqlite'), logging: false });
  await syncTestApp(defineTestApp(target));
  const dry = await restoreBackup(damaged, PASS, { sequelize: target, registry, restoreRoots: [filesDir], dryRun: true, logger: {}, threads: 2 });
  await target.close();
  assert.ok(dry.healed && dry.rows > 300);
  assert.is(dry.threads, 2);

  for (const bad of [0, -1, 1.5, Number.NaN, 257]) {
    await rejects(() => validateBackup(damaged, null, { threads: bad }), (e) => e instanceof UsageError && /threads must be/.test((e as Error).message));
  }
  // A bad setting is refused before anything is read or written.
  const never = join(dir, 'threads-never.dbs');
  await rejects(() => createBackup(PASS, { sequelize: source, registry, kdf, output: never, threads: 0, logger: {} }), (e) => e instanceof UsageError);
  assert.not.ok(readdirSync(dir).some((f) => f.includes('threads-never')));
});

test('createBackup to a file; existing targets refused; rekey keeps the payload', async () => {
  const path = join(dir, 'file.dbs');
  const result = await createBackup(PASS, { sequelize: source, registry, kdf, output: path, logger: {} });
  assert.is(result.path, path);
  await rejects(() => createBackup(PASS, { sequelize: source, registry, kdf, output: path, logger: {} }), (e) => e instanceof OutputError);
  const before = await validateBackup(path, PASS);
  await rekeyBackup(path, PASS, 'a new passphrase', { kdf });
  await rejects(() => validateBackup(path, PASS), (e) => e instanceof WrongPassphraseError);
  const after = await validateBackup(path, 'a new passphrase');
  assert.is(after.payloadBytes, before.payloadBytes);
  assert.is(readdirSync(dir).filter((f) => f.includes('partial')).length, 0);
});

test('restore: dryRun writes nothing; a real restore brings every row and file back', async () => {
  const target = new Sequelize({ dialect: 'sqlite', storage: join(dir, 'target.sqlite'), logging: false });
  await syncTestApp(defineTestApp(target));
  const dry = await restoreBackup(bytes, PASS, { sequelize: target, registry, restoreRoots: [filesDir], dryRun: true, logger: {} });
  assert.ok(dry.rows > 300);
  const empty = await snapshotDatabase(target);
  assert.ok(Object.values(empty.tables).every((t) => t.length === 0));
  const expected = await snapshotDatabase(source, { filesDirs: [filesDir] });
  rmSync(filesDir, { recursive: true });
  const result = await restoreBackup(damage(bytes, (await inspectBackup(bytes)).info, false), PASS, {
    sequelize: target,
    registry,
    restoreRoots: [filesDir],
    logger: {},
  });
  assert.ok(result.healed);
  const got = await snapshotDatabase(target, { filesDirs: [filesDir] });
  await target.close();
  assert.equal(got.tables, expected.tables);
  assert.equal(got.files, expected.files);
});

test.run();
