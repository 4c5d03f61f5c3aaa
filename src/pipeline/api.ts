// The Node API: createBackup / validateBackup / restoreBackup / healBackup / rekeyBackup /
// inspectBackup. Each joins the layers as streams:
//   capture -> compress -> encryptStream -> writeContainer -> atomic file (+ verify after write)
//   file -> openContainer (heal) -> decryptStream -> decompress -> restore
// so memory does not grow with the database (the container parks its second copy in a spool file
// next to the output).
import { resolve } from 'node:path';
import type { Sequelize } from 'sequelize';
import { DbsError, FormatError, UnrecoverableBlocksError, UsageError, VerificationError } from '../errors.js';
import { fileSource, fileSpool } from '../io/file.node.js';
import { collect, memorySource } from '../io/memory.js';
import type { ByteSource, ByteStream } from '../io/types.js';
import { checkTarget, temporaryFolder, writeFileAtomic } from './atomic.js';
import { compressStream, decompressStream, prefetch, readAhead, type CompressOptions, type CompressionStats } from './compress.js';
import {
  capture,
  decryptStream,
  readRecords,
  describeEnvelope,
  encryptStream,
  healContainer,
  openContainer,
  openEnvelope,
  rekeyEnvelope,
  replaceMeta,
  restore,
  sealEnvelope,
  writeContainer,
  type CaptureOptions,
  type CaptureSummary,
  type DataRestoreOptions,
  type ContainerReader,
  type EnvelopeInfo,
  type Identity,
  type IntegrityReport,
  type KdfParams,
  type Opened,
  type Recipient,
  type Sealed,
  type RestoreResult,
} from './layers.js';
import { toLogger, type Logger, type LoggerLike, type ProgressEvent, type ProgressListener } from './logger.js';
import { startRecordsCheck, type RecordsCheck } from './records-check.node.js';
import { passphraseRecipients, type EarlySeal } from './seal.js';
import { blockEngine, checkThreads, threadsFor } from './threads.node.js';
import { DEFAULT_PARITY } from '../container/format.js';
import { trace } from './trace.js';
import type { EngineFactory } from '../container/pool.node.js';

export { startSealing, type EarlySeal } from './seal.js';

/** Compressed payload bytes read ahead while the envelope is sealed (with the raw prefetch, about 0.4 s of capture at 1M rows; more only adds memory beside Argon2id's). */
const SEAL_READ_AHEAD = 4 << 20;
/** ... and once the envelope is sealed and the consumer runs. */
const RUN_READ_AHEAD = 2 << 20;

/** What can be read: a path, the bytes, or any ByteSource. */
export type BackupInput = string | Uint8Array | ByteSource;

/** A passphrase, or identities/recipients for public-key slots. */
export type Secret = string | Identity;

/** Settings shared by the API and the CLI's config file (see the README's settings reference). */
export interface CaptureSettings {
  /** Model names left out of every backup. */
  excludeModels?: string[];
  /** Extra directory trees embedded in every backup. */
  fileRoots?: string[];
  /** Root that FILE columns are relative to. */
  storageRoot?: string;
  /** The per-model registry (backupRegistry by default). */
  registry?: unknown;
  /** The application's { name, version? }, recorded in the encrypted manifest (the validator page shows it). */
  app?: CaptureOptions['app'];
}

export interface BackupOptions extends CaptureSettings {
  sequelize: Sequelize;
  /** Write to this path (atomically, verified). Without it the bytes are returned. */
  output?: string;
  /** Replace an existing output file. Default false. */
  overwrite?: boolean;
  /** Re-read and verify the written file end to end before returning. Default true. */
  verify?: boolean;
  /** Argon2id cost for the passphrase slot. */
  kdf?: KdfParams;
  /** More key slots besides the passphrase (e.g. { publicKey } of a recovery key). */
  recipients?: Recipient[];
  /** Container block size in bytes (default 64 KiB) and RS parity symbols per codeword. */
  blockSize?: number;
  parity?: number;
  compression?: CompressOptions;
  /** Where the second copy is spooled while writing; default: the output's directory, else the OS temp dir. */
  spoolDir?: string;
  /**
   * Threads for the hashes of the read-back verification, counting this one: default every core
   * for files of 512 MiB or more, this thread alone below; 1 keeps it on this thread. (The blocks
   * are written on this thread: the database read, not the block work, limits a backup.)
   */
  threads?: number;
  /**
   * An envelope whose sealing (the Argon2id derivation) was started earlier with startSealing(),
   * used once, when it was started for the same passphrase, KDF cost and recipients (otherwise a
   * new envelope is sealed). The CLI starts it before loading the app, on a core start-up leaves idle.
   */
  sealing?: EarlySeal;
  /**
   * End the Argon2id thread as soon as the envelope is sealed, so its memory (64 MiB at the
   * default cost) is free for the capture instead of lingering 1 s. Only when nothing else in the
   * process derives keys meanwhile (their derivation would fail): the CLI sets it. Default false.
   */
  endKdfThread?: boolean;
  logger?: LoggerLike;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface BackupResult {
  /** The written file (when `output` was given). */
  path?: string;
  /** The container bytes (when no `output` was given). */
  bytes?: Uint8Array;
  /** Size of the container in bytes. */
  size: number;
  /** Payload bytes before and after compression. */
  rawBytes: number;
  compressedBytes: number;
  /** Whether the file was re-read and checked end to end (hashes, header, every GCM tag and frame). */
  verified: 'none' | 'decryption';
  seconds: number;
  /** Rows per model, files embedded, files that could not be read (also reported to the logger). */
  captured: CaptureSummary;
  rows: number;
  summary(): string;
}

function identityOf(secret: Secret): Identity {
  if (typeof secret === 'string') {
    if (secret.length === 0) throw new UsageError('the passphrase is empty', { hint: 'give the passphrase the backup was made with' });
    return { passphrase: secret };
  }
  return secret;
}

async function openInput(input: BackupInput): Promise<ByteSource> {
  if (typeof input === 'string') {
    try {
      return await fileSource(input);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UsageError(`${input} does not exist`, { hint: 'check the path of the backup file' });
      if (code === 'EISDIR') throw new UsageError(`${input} is a directory`, { hint: 'give the path of a .dbs file' });
      throw new DbsError('INPUT', `cannot read ${input}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (input instanceof Uint8Array) return memorySource(input);
  return input;
}

/**
 * Progress of a check, in two passes: first every block of the file (bytes read from the source,
 * against its size), then the payload (ciphertext bytes consumed, against its length).
 */
class CheckProgress {
  private blocksDone = 0;
  private blocksPass = true;
  constructor(
    private readonly phase: ProgressEvent['phase'],
    private readonly onProgress?: ProgressListener,
  ) {}

  source(source: ByteSource): ByteSource {
    const onProgress = this.onProgress;
    if (!onProgress) return source;
    return {
      size: source.size,
      read: async (offset, length) => {
        const bytes = await source.read(offset, length);
        if (this.blocksPass) {
          this.blocksDone = Math.min(source.size, this.blocksDone + bytes.length);
          onProgress({ phase: this.phase, unit: 'bytes', done: this.blocksDone, total: source.size, detail: 'checking blocks' });
        }
        return bytes;
      },
      close: source.close?.bind(source),
    };
  }

  /** The blocks pass is over: later reads (a second pass) are not counted again. */
  endBlocks(): void {
    this.blocksPass = false;
  }

  async *payload(stream: ByteStream, total: number, detail: string): ByteStream {
    this.blocksPass = false;
    let done = 0;
    for await (const chunk of stream) {
      done += chunk.length;
      this.onProgress?.({ phase: this.phase, unit: 'bytes', done: Math.min(done, total), total, detail });
      yield chunk;
    }
  }
}

async function withReader<T>(
  input: BackupInput,
  work: (reader: ContainerReader, source: ByteSource, threads: { engine?: EngineFactory; used(): number }) => Promise<T>,
  progress?: CheckProgress,
  threads?: number,
): Promise<T> {
  checkThreads(threads);
  const opened = await openInput(input);
  const source = progress ? progress.source(opened) : opened;
  const count = threadsFor(opened.size, threads);
  // The workers start while this thread reads the file's head, manifests and meta.
  const engine = blockEngine(count, DEFAULT_PARITY);
  try {
    const reader = await openContainer(source, { engine });
    // Threads that did block work so far: this one, and the workers once they were given a batch.
    const used = () => (engine && engine.batches > 0 ? count : 1);
    return await work(reader, source, { engine, used });
  } finally {
    await engine?.close();
    if (typeof input === 'string') await opened.close?.();
  }
}

/** Tells the logger about any healing: repaired damage is never silent. */
function reportHealing(report: IntegrityReport, logger: Logger, what: string): void {
  if (!report.ok) logger.warn(`${what} is damaged beyond repair: ${report.summary()}`);
  else if (report.healed) logger.warn(`${what} was damaged and has been healed: ${report.summary()}`);
}

/**
 * Decrypts, decompresses and parses the whole payload without loading anything: every GCM tag,
 * every compression frame, every record's bounds and the payload's closing hash are checked.
 */
async function checkPayload(cipher: ByteStream, opened: Opened, onThread?: RecordsCheck): Promise<{ payloadBytes: number; records: number }> {
  const plain = decompressStream(decryptStream(cipher, opened));
  if (onThread && !onThread.failed) return onThread.run(plain);
  let payloadBytes = 0;
  let records = 0;
  async function* counted(stream: ByteStream): ByteStream {
    for await (const chunk of stream) {
      payloadBytes += chunk.length;
      yield chunk;
    }
  }
  for await (const record of readRecords(counted(plain), { views: true })) {
    void record;
    records++;
  }
  return { payloadBytes, records };
}

function failedBlocks(report: IntegrityReport): number[] {
  return report.failed.map((f) => f.index);
}

/**
 * Reads a container back and checks it end to end: the security header byte for byte, then in one
 * pass every block hash (nothing may need healing) and every GCM tag, compression frame and
 * record. The data key of the envelope just sealed is used (no second Argon2 derivation), so this
 * works for recipient-only backups too. Exported for tests; not part of the package's API.
 */
export async function verifyWritten(
  source: ByteSource, sealed: Sealed, onProgress?: ProgressListener, records?: RecordsCheck, engine?: EngineFactory,
): Promise<'decryption'> {
  const progress = new CheckProgress('verify', onProgress);
  const reader = await openContainer(progress.source(source), { engine });
  const meta = reader.meta;
  if (meta.length !== sealed.header.length || !meta.every((b, i) => b === sealed.header[i])) {
    throw new VerificationError('the security header read back from disk differs from the one written');
  }
  // One walk over the blocks: payload() checks every block's hash as validate() does (and would
  // heal), so its report after the last byte says whether the file is exactly what was written.
  let failure: unknown;
  try {
    await checkPayload(progress.payload(reader.payload(), reader.info.payloadLength, 'decrypting'), sealed as unknown as Opened, records);
  } catch (error) {
    failure = error;
  }
  // A finished pass leaves its report; a pass stopped by a decryption error is walked again for one.
  const report = failure === undefined ? reader.report : await reader.validate();
  if (!report) throw new VerificationError('the file read back from disk gave no integrity report');
  if (!report.ok || report.healed) {
    throw new VerificationError(`the file read back from disk is not the file that was written: ${report.summary()}`, { cause: failure });
  }
  if (failure !== undefined) throw failure;
  return 'decryption';
}

/** Reads a rekeyed container back: hashes, then the new header opens with the new passphrase and decrypts. */
async function verifyRekeyed(source: ByteSource, secret: Secret | null): Promise<void> {
  const reader = await openContainer(source);
  const report = await reader.validate();
  if (!report.ok || report.healed) throw new VerificationError(`the file read back from disk is not the file that was written: ${report.summary()}`);
  if (secret === null) return;
  const opened = await openEnvelope(reader.meta, identityOf(secret));
  await checkPayload(reader.payload(), opened);
}

/**
 * The backup as a stream of container bytes, for sending somewhere directly (an HTTP response, an
 * upload). Nothing is verified: prefer createBackup({ output }) when a file is the goal.
 */
export function backupStream(passphrase: string | Recipient[] | null, options: BackupOptions): Promise<ByteStream> {
  return buildStream(passphrase, options, { rawBytes: 0, compressedBytes: 0, frames: 0, storedFrames: 0 });
}

async function buildStream(
  passphrase: string | Recipient[] | null,
  options: BackupOptions,
  stats: CompressionStats,
  onSealed?: (sealed: Sealed) => void,
  summary?: CaptureSummary,
): Promise<ByteStream> {
  if (!options?.sequelize) throw new UsageError('createBackup needs { sequelize }', { hint: 'pass your Sequelize instance' });
  const logger = toLogger(options.logger);
  const recipients = passphraseRecipients(passphrase, options);
  const onProgress = options.onProgress;
  const payload = capture(
    {
      sequelize: options.sequelize,
      registry: options.registry as CaptureOptions['registry'],
      excludeModels: options.excludeModels,
      fileRoots: options.fileRoots,
      storageRoot: options.storageRoot,
      app: options.app,
      logger,
      onProgress: onProgress
        ? (p) =>
            p.phase === 'done'
              ? undefined
              : p.phase === 'files'
              ? onProgress({ phase: 'capture', unit: 'bytes', done: p.bytes, detail: `${p.files ?? 0} files` })
              : onProgress({ phase: 'capture', unit: 'rows', done: p.rows ?? 0, detail: p.model })
        : undefined,
    },
    summary,
  );
  // The database read and its compression start now, while the key is derived (Argon2id runs on
  // a worker thread once crypto/kdf-worker.node is loaded, as the Node entry and bin/dbs.js do):
  // the encryption needs the sealed envelope, so what is compressed meanwhile waits, bounded.
  const ahead = readAhead(compressStream(prefetch(payload), options.compression, stats), SEAL_READ_AHEAD);
  let sealed: Sealed;
  try {
    sealed = await (options.sealing?.take(recipients) ?? sealEnvelope(recipients));
  } catch (error) {
    await ahead.cancel();
    // A malformed recipient key or KDF setting is the caller's mistake, not a damaged file.
    if (error instanceof FormatError) throw new UsageError(error.message, { hint: error.hint, cause: error });
    throw error;
  }
  // (A no-op when no thread was started; the module is loaded by the Node entry and bin/dbs.js.)
  trace('backup: envelope sealed (Argon2id done)');
  if (options.endKdfThread) await (await import('../crypto/kdf-worker.node.js')).closeKdfWorker();
  onSealed?.(sealed);
  // From here the consumer runs: a short queue is enough (memory stays flat).
  ahead.setLimit(RUN_READ_AHEAD);
  let container: ByteStream;
  try {
    container = writeContainer(encryptStream(ahead.stream, sealed), {
      meta: sealed.header,
      blockSize: options.blockSize,
      parity: options.parity,
      spool: async () => {
        if (options.spoolDir) return fileSpool(options.spoolDir);
        if (!options.output) return fileSpool();
        // Next to the output (same file system, so the space needed is where the file goes), removed on signals.
        const folder = await temporaryFolder(options.output);
        const spool = await fileSpool(folder.path);
        return { ...spool, dispose: async () => { await spool.dispose(); await folder.dispose(); } };
      },
    });
  } catch (error) {
    await ahead.cancel();
    throw error;
  }
  return closingCapture(container, ahead);
}

/**
 * The container stream, which stops the capture read ahead of it when it ends for any reason.
 * A container stage can fail before it ever reads its input (its codec cannot load, say): the
 * capture would then stay suspended with its snapshot transaction open and its connection checked
 * out, and closing the app's pool (as the CLI does before exiting) would wait for it forever.
 */
async function* closingCapture(container: ByteStream, ahead: { cancel(): Promise<void> }): ByteStream {
  try {
    yield* container;
  } finally {
    await ahead.cancel();
  }
}

/**
 * Captures every model, row and file and writes one encrypted, redundant, self-healing backup.
 * With `output`, the file is written atomically, re-read from disk and verified before this
 * resolves; nothing is left under `output` if anything fails.
 */
export async function createBackup(passphrase: string | Recipient[] | null, options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const logger = toLogger(options?.logger);
  if (options?.output) await checkTarget(options.output, options.overwrite);
  checkThreads(options?.threads);
  const stats: CompressionStats = { rawBytes: 0, compressedBytes: 0, frames: 0, storedFrames: 0 };
  let sealed!: Sealed;
  const captured: CaptureSummary = { models: {}, files: 0, skippedFiles: [] };
  // One progress line while writing: rows captured (and the model) with the bytes written so far.
  const report = options.onProgress;
  let lastCapture: ProgressEvent = { phase: 'capture', unit: 'rows', done: 0 };
  let writtenBytes = 0;
  const show = () =>
    report?.({ ...lastCapture, detail: [lastCapture.detail, `${(writtenBytes / 1e6).toFixed(1)} MB written`].filter(Boolean).join(', ') });
  const merged: BackupOptions = report
    ? {
        ...options,
        onProgress: (event) => {
          lastCapture = event;
          show();
        },
      }
    : options;
  const stream = await buildStream(passphrase, merged, stats, (s) => (sealed = s), captured);
  logger.debug(`envelope sealed (Argon2id) after ${((performance.now() - started) / 1000).toFixed(2)} s`);
  const doVerify = options.verify !== false;
  let verified: BackupResult['verified'] = 'none';
  let path: string | undefined;
  let bytes: Uint8Array | undefined;
  let size: number;
  if (options.output) {
    // The verify pass parses the records on a thread of its own, started now so that it is ready.
    const records = doVerify ? startRecordsCheck() : undefined;
    const written = await writeFileAtomic(options.output, stream, {
      overwrite: options.overwrite,
      signal: options.signal,
      onProgress: report
        ? (done) => {
            writtenBytes = done;
            show();
          }
        : undefined,
      verify: doVerify
        ? async (temp) => {
            const writtenAt = performance.now();
            trace('backup: verify starts');
            logger.debug(`written and fsynced after ${((writtenAt - started) / 1000).toFixed(2)} s; verifying`);
            const source = await fileSource(temp);
            const engine = blockEngine(threadsFor(source.size, options.threads), options.parity ?? DEFAULT_PARITY);
            try {
              verified = await verifyWritten(source, sealed, options.onProgress, records, engine);
            } finally {
              await engine?.close();
              await source.close?.();
            }
            logger.debug(`verified in ${((performance.now() - writtenAt) / 1000).toFixed(2)} s`);
            trace('backup: verified');
          }
        : undefined,
    }).finally(() => records?.close());
    trace('backup: renamed, directory fsynced');
    path = written.path;
    size = written.size;
  } else {
    bytes = await collect(stream);
    size = bytes.length;
    if (doVerify) verified = await verifyWritten(memorySource(bytes), sealed);
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = Object.values(captured.models).reduce((a, b) => a + b, 0);
  const ratio = stats.compressedBytes ? stats.rawBytes / stats.compressedBytes : 1;
  const result: BackupResult = {
    path,
    bytes,
    size,
    rawBytes: stats.rawBytes,
    compressedBytes: stats.compressedBytes,
    verified,
    seconds,
    captured,
    rows,
    summary: () =>
      `backup ${path ?? '(in memory)'}: ${rows} rows of ${Object.keys(captured.models).length} models, ${captured.files} files` +
      (captured.skippedFiles.length ? ` (${captured.skippedFiles.length} SKIPPED: unreadable)` : '') +
      `; ${size} bytes, payload ${stats.rawBytes} bytes compressed to ${stats.compressedBytes} ` +
      `(ratio ${ratio.toFixed(2)}), ${verified === 'none' ? 'not verified' : `verified after write (${verified})`}, ${seconds.toFixed(2)} s`,
  };
  logger.info(result.summary());
  return result;
}

export interface ValidationReport {
  /** True when every block is readable (possibly after healing) and, with a secret, everything decrypts. */
  ok: boolean;
  /** True when damage was found and repaired (in memory; use healBackup to write a clean file). */
  healed: boolean;
  integrity: IntegrityReport;
  /** Whether decryption was checked (a secret was given and the integrity check passed). */
  decrypted: boolean;
  /** Payload bytes after decryption and decompression, and records parsed, when decrypted. */
  payloadBytes?: number;
  records?: number;
  envelope?: EnvelopeInfo;
  /** Threads that did the block work (this one included). */
  threads: number;
  summary(): string;
}

/** What every command that reads a backup (validate, restore, heal) takes. */
export interface ReadOptions {
  /**
   * Threads for the block work (hashes, parity, healing), counting this one: default every core
   * for files of 512 MiB or more, this thread alone below; 1 keeps it on this thread.
   */
  threads?: number;
  logger?: LoggerLike;
  onProgress?: ProgressListener;
}

export type ValidateOptions = ReadOptions;

/**
 * Checks a backup: every block against its hash (healing in memory what it can). With a
 * passphrase, also decrypts and decompresses everything (every GCM tag, every frame). Integrity
 * damage beyond repair is reported (report.ok false), not thrown; a wrong passphrase throws
 * WrongPassphraseError, tampering AuthenticationError.
 */
export async function validateBackup(input: BackupInput, passphrase?: Secret | null, options: ValidateOptions = {}): Promise<ValidationReport> {
  const logger = toLogger(options.logger);
  const progress = new CheckProgress('validate', options.onProgress);
  return withReader(input, async (reader, _source, { used }) => {
    const integrity = await reader.validate();
    reportHealing(integrity, logger, 'the backup');
    let envelope: EnvelopeInfo | undefined;
    try {
      envelope = describeEnvelope(reader.meta);
    } catch {
      envelope = undefined;
    }
    let decrypted = false;
    let payloadBytes: number | undefined;
    let records: number | undefined;
    if (integrity.ok && passphrase != null) {
      const opened = await openEnvelope(reader.meta, identityOf(passphrase));
      ({ payloadBytes, records } = await checkPayload(progress.payload(reader.payload(), reader.info.payloadLength, 'decrypting'), opened));
      decrypted = true;
    }
    const ok = integrity.ok;
    return {
      ok,
      healed: integrity.healed,
      integrity,
      decrypted,
      payloadBytes,
      records,
      envelope,
      threads: used(),
      summary: () =>
        `${ok ? (integrity.healed ? 'OK after healing' : 'OK') : 'DAMAGED beyond repair'}: ${integrity.summary()}` +
        (decrypted ? `; decrypted, decompressed and parsed ${payloadBytes} payload bytes (${records} records), every tag verified` : passphrase == null ? '; decryption not checked (no passphrase)' : ''),
    };
  }, progress, options.threads);
}

export interface RestoreOptions extends ReadOptions {
  sequelize: Sequelize;
  /** Delete the backed-up tables' rows first (in the same transaction). */
  flush?: boolean;
  /** Load everything in a transaction, then roll back; writes no files. */
  dryRun?: boolean;
  /** Directories restored files may be written under. */
  restoreRoots?: string[];
  storageRoot?: string;
  registry?: unknown;
  /** End the Argon2id thread once the passphrase is checked (as BackupOptions.endKdfThread; the CLI sets it). */
  endKdfThread?: boolean;
}

export type RestoreReport = RestoreResult & {
  healed: boolean;
  integrity: IntegrityReport;
  /** Threads that did the block work (this one included). */
  threads: number;
};

/**
 * Restores a backup into the database (one transaction) and its files (under restoreRoots).
 * Damage is healed on the fly and reported (result.healed); damage beyond repair refuses before
 * the database is touched.
 */
export async function restoreBackup(input: BackupInput, passphrase: Secret, options: RestoreOptions): Promise<RestoreReport> {
  if (!options?.sequelize) throw new UsageError('restoreBackup needs { sequelize }', { hint: 'pass your Sequelize instance' });
  const logger = toLogger(options.logger);
  const identity = identityOf(passphrase);
  const progress = new CheckProgress('restore', options.onProgress);
  return withReader(input, async (reader, _source, { used }) => {
    // The passphrase first (a wrong one is told at once), then every block, before the database is touched.
    const opened = await openEnvelope(reader.meta, identity);
    if (options.endKdfThread) await (await import('../crypto/kdf-worker.node.js')).closeKdfWorker();
    const integrity = await reader.validate();
    if (!integrity.ok) throw new UnrecoverableBlocksError(failedBlocks(integrity), integrity, 'nothing was restored');
    reportHealing(integrity, logger, 'the backup');
    const payload = decompressStream(decryptStream(progress.payload(reader.payload(), reader.info.payloadLength, 'loading rows'), opened));
    const result = await restore(payload, {
      sequelize: options.sequelize,
      flush: options.flush,
      dryRun: options.dryRun,
      restoreRoots: options.restoreRoots,
      storageRoot: options.storageRoot,
      registry: options.registry as DataRestoreOptions['registry'],
      logger,
      // The bar follows the bytes read (it has a total); rows loaded are counted in the result.
    });
    return Object.assign(result as object, { healed: integrity.healed, integrity, threads: used() }) as RestoreReport;
  }, progress, options.threads);
}

export interface HealResult {
  path: string;
  /** The damaged input's report. */
  before: IntegrityReport;
  /** The written file's report (clean, verified after write). */
  after: IntegrityReport;
  healed: boolean;
  /** Threads that did the block work (this one included). */
  threads: number;
  summary(): string;
}

/** Writes a fresh, clean container from a damaged one. No passphrase needed. */
export async function healBackup(
  input: BackupInput,
  output: string,
  options: ReadOptions & { overwrite?: boolean } = {},
): Promise<HealResult> {
  const logger = toLogger(options.logger);
  const sameFile = typeof input === 'string' && resolve(input) === resolve(output);
  await checkTarget(output, options.overwrite || sameFile);
  const progress = new CheckProgress('heal', options.onProgress);
  return withReader(input, async (reader, source, { engine, used }) => {
    const before = await reader.validate();
    progress.endBlocks();
    if (!before.ok) throw new UnrecoverableBlocksError(failedBlocks(before), before, 'no healed file was written');
    reportHealing(before, logger, 'the input');
    let after: IntegrityReport | undefined;
    const { path } = await writeFileAtomic(output, healContainer(source, { engine }), {
      overwrite: options.overwrite || sameFile,
      onProgress: options.onProgress ? (done) => options.onProgress!({ phase: 'write', unit: 'bytes', done }) : undefined,
      verify: async (temp) => {
        const written = await fileSource(temp);
        try {
          after = await (await openContainer(written, { engine })).validate();
        } finally {
          await written.close?.();
        }
        if (!after.ok || after.healed) throw new VerificationError(`the healed file did not read back clean: ${after.summary()}`);
      },
    });
    return {
      path,
      before,
      after: after!,
      healed: before.healed,
      threads: used(),
      summary: () => (before.healed ? `healed into ${path}: ${before.summary()}` : `the input was clean; a verified copy was written to ${path}`),
    };
  }, progress, options.threads);
}

/**
 * Changes who can open a backup: the data key is rewrapped for the new recipients; the payload
 * is not re-encrypted. Writes `output` (default: replaces the input atomically), verified.
 */
export async function rekeyBackup(
  input: string,
  current: Secret,
  next: string | Recipient[],
  options: { output?: string; overwrite?: boolean; kdf?: KdfParams; verify?: boolean; logger?: LoggerLike } = {},
): Promise<{ path: string; summary(): string }> {
  const logger = toLogger(options.logger);
  const output = options.output ?? input;
  const inPlace = resolve(output) === resolve(input);
  if (typeof next === 'string' && next === current) {
    throw new UsageError('the new passphrase is the same as the current one', { hint: 'choose a different passphrase' });
  }
  const recipients = passphraseRecipients(next, options);
  await checkTarget(output, options.overwrite || inPlace);
  return withReader(input, async (reader, source) => {
    const header = await rekeyEnvelope(reader.meta, identityOf(current), recipients);
    const integrity = await reader.validate();
    if (!integrity.ok) throw new UnrecoverableBlocksError(failedBlocks(integrity), integrity, 'the backup was not rekeyed');
    reportHealing(integrity, logger, 'the backup');
    const secret = typeof next === 'string' ? next : null;
    const { path } = await writeFileAtomic(output, replaceMeta(source, header), {
      overwrite: options.overwrite || inPlace,
      verify:
        options.verify === false
          ? undefined
          : async (temp) => {
              const written = await fileSource(temp);
              try {
                await verifyRekeyed(written, secret);
              } finally {
                await written.close?.();
              }
            },
    });
    return { path, summary: () => `rekeyed ${path}: new key slots written, payload untouched${integrity.healed ? ' (damage in the input was healed)' : ''}` };
  });
}

export interface Inspection {
  info: ContainerReader['info'];
  envelope?: EnvelopeInfo;
  size: number;
  summary(): string;
}

/** The header and manifest summary: no passphrase, no decryption, nothing about the data leaks. */
export async function inspectBackup(input: BackupInput): Promise<Inspection> {
  return withReader(input, async (reader, source) => {
    let envelope: EnvelopeInfo | undefined;
    try {
      envelope = describeEnvelope(reader.meta);
    } catch (error) {
      if (!(error instanceof DbsError)) throw error;
    }
    const info = reader.info;
    return {
      info,
      envelope,
      size: source.size,
      summary: () => describeInspection(info, envelope, source.size),
    };
  });
}


function describeInspection(info: ContainerReader['info'], envelope: EnvelopeInfo | undefined, size: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const kib = (x: number) => (x % (1 << 20) === 0 ? `${x >> 20} MiB` : x % 1024 === 0 ? `${x / 1024} KiB` : `${n(x)} bytes`);
  const lines = [
    `file        ${n(size)} bytes${size === info.expectedSize ? '' : ` (a clean file with these parameters has ${n(info.expectedSize)}: damaged or truncated)`}`,
    `container   version ${info.version}, ${n(info.blockCount)} blocks of ${kib(info.blockSize)} stored twice, ${info.parity} RS parity symbols per codeword`,
    `            payload ${n(info.payloadLength)} bytes (encrypted), written ${info.createdAt ? info.createdAt.toISOString() : '(unknown: both headers lost)'}`,
    `            id ${info.id}; security header copies readable: ${info.metaCopies} of 3`,
  ];
  if (!envelope) lines.push('encryption  (the security header cannot be parsed)');
  else {
    lines.push(`encryption  ${envelope.suite}, ${kib(envelope.segmentSize)} segments, header ${envelope.headerLength} bytes`);
    envelope.slots.forEach((slot, i) => {
      const what =
        slot.type === 'passphrase'
          ? `passphrase (Argon2id ${slot.kdf.memoryKiB / 1024} MiB, ${slot.kdf.passes} passes, parallelism ${slot.kdf.parallelism}, ${slot.saltLength}-byte salt)`
          : slot.type === 'x25519'
            ? 'X25519 public-key recipient'
            : `unknown slot type ${slot.code}`;
      lines.push(`${i === 0 ? 'key slots  ' : '           '} ${i + 1}: ${what}`);
    });
  }
  lines.push('(model names, row counts and file paths are encrypted: they need the passphrase)');
  return lines.join('\n');
}
