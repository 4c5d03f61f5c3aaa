// Verify-after-write, done in one walk over the blocks: a clean container passes; a block that
// needs healing, blocks lost in both copies, a different security header, or a payload that does
// not decrypt are all refused; records checked on a thread of their own count the same and refuse
// a truncated or altered payload. Also: the capture read ahead while the envelope is sealed stops
// (and closes the database read) when sealing fails; a backup with Argon2id on the worker thread.
// End to end: a byte flipped in the file on disk while it is written is caught by the re-read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sequelize } from 'sequelize';
import { computeLayout } from '../../src/container/format.js';
import { AuthenticationError, FormatError, UsageError, VerificationError, WrongPassphraseError } from '../../src/errors.js';
import { chunked, collect, memorySource } from '../../src/io/memory.js';
import { createBackup, inspectBackup, validateBackup, verifyWritten } from '../../src/pipeline/api.js';
import { compressStream, readAhead } from '../../src/pipeline/compress.js';
import { startRecordsCheck } from '../../src/pipeline/records-check.node.js';
import { capture, encryptStream, readRecords, sealEnvelope, writeContainer, type Sealed } from '../../src/pipeline/layers.js';
import { seededSqliteApp, type testAppRegistry } from '../apps/app.js';
import { rejects } from '../helpers/assert.js';

const dir = mkdtempSync(join(tmpdir(), 'dbs-verify-'));
const filesDir = join(dir, 'files');
const kdf = { memoryKiB: 8192, passes: 1, parallelism: 1 };
let source: Sequelize;
let registry: ReturnType<typeof testAppRegistry>;

/** A container whose header is `header`'s and whose payload is encrypted for `payloadKey`. */
async function build(header: Sealed, payloadKey: Sealed = header): Promise<Uint8Array> {
  const payload = encryptStream(compressStream(capture({ sequelize: source, registry })), payloadKey);
  return collect(writeContainer(payload, { meta: header.header, blockSize: 4096 }));
}

test.before(async () => {
  ({ sequelize: source, registry } = await seededSqliteApp(dir, { rows: 300, filesDir }));
});

test.after(async () => {
  await source.close();
  rmSync(dir, { recursive: true, force: true });
});

test('verifyWritten: clean passes; healed, lost, other header or undecryptable payload refused', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'p', kdf }]);
  const clean = await build(sealed);
  assert.is(await verifyWritten(memorySource(clean), sealed), 'decryption');

  const layout = computeLayout((await inspectBackup(clean)).info);
  assert.ok(layout.blockCount >= 3, `need 3+ blocks, have ${layout.blockCount}`);
  // One block damaged in copy 0 only: readable after healing, but not what was written.
  const healed = clean.slice();
  healed.fill(0xee, layout.blocks[0] + layout.fullFrame + 32, layout.blocks[0] + 2 * layout.fullFrame - 32);
  await rejects(() => verifyWritten(memorySource(healed), sealed), (e) => e instanceof VerificationError && /not the file that was written[^]*repaired/.test((e as Error).message));
  // The same block in both copies, plus its neighbours: beyond repair.
  const lost = clean.slice();
  for (const base of layout.blocks) lost.fill(0x11, base, base + 3 * layout.fullFrame);
  await rejects(() => verifyWritten(memorySource(lost), sealed), (e) => e instanceof VerificationError);
  // Another envelope's header: refused before any block is read.
  const other = await sealEnvelope([{ passphrase: 'p', kdf }]);
  await rejects(() => verifyWritten(memorySource(clean), other), (e) => e instanceof VerificationError && /security header/.test((e as Error).message));
  // Blocks intact, header matches, but the payload was encrypted with another key: the GCM tag fails.
  const third = await sealEnvelope([{ passphrase: 'p', kdf }]);
  const mismatched = await build(sealed, third);
  await rejects(() => verifyWritten(memorySource(mismatched), sealed), (e) => e instanceof AuthenticationError);
});

test('records checked on a thread: same counts as on this thread; a clean file passes verifyWritten with it; truncated or altered payloads refused', async () => {
  const payload = await collect(capture({ sequelize: source, registry }));
  let records = 0;
  for await (const record of readRecords(chunked(payload, 5000))) {
    void record;
    records++;
  }
  // Pieces that are whole buffers (moved to the thread) and views into a larger one (copied).
  const pieces = async function* (bytes: Uint8Array) {
    for (let at = 0, n = 0; at < bytes.length; n++) {
      const size = 1 + ((n * 7919) % 40000);
      const piece = bytes.subarray(at, at + size);
      yield n % 2 ? piece : piece.slice();
      at += size;
    }
  };
  assert.equal(await startRecordsCheck().run(pieces(payload)), { payloadBytes: payload.length, records });
  await rejects(() => startRecordsCheck().run(pieces(payload.subarray(0, payload.length - 10))), (e) => e instanceof FormatError);
  const altered = payload.slice();
  altered[Math.floor(altered.length / 2)] ^= 1;
  await rejects(() => startRecordsCheck().run(pieces(altered)), (e) => e instanceof FormatError);
  // An unused check ends its thread on close.
  await startRecordsCheck().close();
  const sealed = await sealEnvelope([{ passphrase: 'p', kdf }]);
  assert.is(await verifyWritten(memorySource(await build(sealed)), sealed, undefined, startRecordsCheck()), 'decryption');
});

test('readAhead: reads before anyone consumes, bounded, cancel closes the input', async () => {
  let produced = 0;
  let closed = false;
  async function* input() {
    try {
      for (let i = 0; i < 100; i++) {
        produced++;
        yield new Uint8Array(1024).fill(i);
      }
    } finally {
      closed = true;
    }
  }
  const ahead = readAhead(input(), 8 * 1024);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(produced >= 8 && produced <= 9, `read ahead ${produced} chunks of 1 KiB with an 8 KiB bound`);
  ahead.setLimit(16 * 1024);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(produced >= 16 && produced <= 17, `read ahead ${produced} chunks after raising the bound to 16 KiB`);
  await ahead.cancel();
  assert.ok(closed, 'cancel closes the input');

  const all = readAhead(input(), 4 * 1024);
  const out = await collect(all.stream);
  assert.is(out.length, 100 * 1024);
  assert.ok(out.every((b, i) => b === Math.floor(i / 1024)));
});

/**
 * createBackup to a file while a byte of copy 0's second block is flipped in the temporary file
 * (as a bad disk or a stray writer would), after those bytes were written and before the fsync:
 * the flip is only on disk, never in what the pipeline produced.
 */
async function backupWithFlippedByte(out: string, verify: boolean) {
  const reference = await createBackup('p', { sequelize: source, registry, kdf, blockSize: 4096, logger: {} });
  const layout = computeLayout((await inspectBackup(reference.bytes!)).info);
  assert.ok(layout.blockCount >= 3, `need 3+ blocks, have ${layout.blockCount}`);
  const target = layout.blocks[0] + layout.fullFrame + 40;
  const folder = join(out, '..');
  let flipped = false;
  const flip = () => {
    if (flipped) return;
    const temp = readdirSync(folder).find((n) => n.endsWith('.dbs-partial') && !n.endsWith('-spool.dbs-partial'));
    if (!temp || statSync(join(folder, temp)).size <= target) return;
    const fd = openSync(join(folder, temp), 'r+');
    const byte = new Uint8Array(1);
    readSync(fd, byte, 0, 1, target);
    byte[0] ^= 0x20;
    writeSync(fd, byte, 0, 1, target);
    closeSync(fd);
    flipped = true;
  };
  const run = createBackup('p', { sequelize: source, registry, kdf, blockSize: 4096, output: out, verify, onProgress: flip, logger: {} });
  return { run, flipped: () => flipped };
}

test('createBackup to a file: a byte flipped on disk before the fsync fails the verification, and nothing is left; without verification it goes unnoticed', async () => {
  const folder = join(dir, 'flip');
  mkdirSync(folder);
  const out = join(folder, 'flipped.dbs');
  const checked = await backupWithFlippedByte(out, true);
  await rejects(() => checked.run, (e) => e instanceof VerificationError && /not the file that was written/.test((e as Error).message));
  assert.ok(checked.flipped(), 'the byte was flipped while the file was written');
  assert.not.ok(existsSync(out), 'nothing under the target name');
  assert.equal(readdirSync(folder), [], 'no temporary file or spool left');
  // The same damage with verify: false is written and reported as a success: the re-read is what catches it.
  const unchecked = await backupWithFlippedByte(out, false);
  const result = await unchecked.run;
  assert.ok(unchecked.flipped());
  assert.is(result.verified, 'none');
  const report = await validateBackup(out, 'p', { logger: {} });
  assert.ok(report.ok && report.healed, 'the flip landed in the file (healed on validation)');
});

test('createBackup: a bad recipient is a usage error and the capture started meanwhile is stopped', async () => {
  await rejects(
    () => createBackup([{ publicKey: 'age1notakey' } as never], { sequelize: source, registry }),
    (e) => e instanceof UsageError,
  );
  // The connection is still usable (the read ahead was closed, not left hanging).
  const [rows] = await source.query('SELECT 1 AS one');
  assert.equal(rows, [{ one: 1 }]);
});

test('createBackup with Argon2id on the worker thread and endKdfThread: capture overlaps, verified; later derivations start a new thread', async () => {
  await import('../../src/crypto/kdf-worker.node.js');
  const made = await createBackup('worker pass', { sequelize: source, registry, kdf, endKdfThread: true });
  assert.is(made.verified, 'decryption');
  assert.ok(made.rows > 0);
  const report = await validateBackup(made.bytes!, 'worker pass');
  assert.ok(report.ok && report.decrypted && !report.healed);
  await rejects(() => validateBackup(made.bytes!, 'wrong pass'), (e) => e instanceof WrongPassphraseError);
  const { closeKdfWorker } = await import('../../src/crypto/kdf-worker.node.js');
  await closeKdfWorker();
});

test('verifyWritten hands its blocks to the engine it is given (the read-back of a large backup)', async () => {
  const { workerEngine } = await import('../../src/container/pool.node.js');
  const sealed = await sealEnvelope([{ passphrase: 'p', kdf }]);
  const clean = await build(sealed);
  const engine = workerEngine({ workers: 1 });
  try {
    assert.is(await verifyWritten(memorySource(clean), sealed, undefined, undefined, engine), 'decryption');
    assert.ok(engine.batches > 0, 'the worker was handed batches');
  } finally {
    await engine.close();
  }
});

test.run();
