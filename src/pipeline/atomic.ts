// Atomic, durable output. Bytes go to a temporary file next to the target (same directory, so the
// final rename never crosses file systems), are fsynced, optionally verified by re-reading them
// from disk, and only then renamed to the target name, after which the directory is fsynced so
// the rename itself survives a power cut. Whatever fails (no space, no permission, a signal, a
// failed verification), nothing is ever left under the target name; a kill -9 can leave only the
// temporary file, whose name says what it is.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { access, link, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import type { ByteStream } from '../io/types.js';
import { trace } from './trace.js';

/** Temporary files and folders in flight in this process; removed by `removeTemporaryFiles` (signal handlers). */
const live = new Set<string>();

/** Synchronously removes every temporary file this process is writing (safe in a signal handler). */
export function removeTemporaryFiles(): void {
  for (const path of live) {
    // A spool file being created inside a folder on libuv's thread pool can make the folder's
    // removal see ENOTEMPTY once; rmSync retries that. A failure must not stop the exit.
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 5 });
    } catch {
      // nothing more can be done from a signal handler; the name says what the leftover is
    }
  }
  live.clear();
}

/**
 * A private folder next to the target for the container's spool (the second copy waits there):
 * on the same file system as the output, named like the temporary file, removed with it.
 */
export async function temporaryFolder(target: string): Promise<{ path: string; dispose(): Promise<void> }> {
  const named = join(dirname(resolve(target)), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}-spool.dbs-partial`);
  // Registered and created on the main thread, in one synchronous step: a signal handler (which
  // runs on the main thread too) sees it either not yet begun or done. An asynchronous mkdir on
  // libuv's thread pool could land after the handler had already cleaned up.
  live.add(named);
  try {
    mkdirSync(named, { mode: 0o700 });
  } catch (error) {
    live.delete(named);
    throw describe(target, error);
  }
  return {
    path: named,
    async dispose() {
      await rm(named, { recursive: true, force: true });
      live.delete(named);
    },
  };
}

export function temporaryName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.dbs-partial`);
}

function describe(path: string, error: unknown): OutputError {
  const e = error as NodeJS.ErrnoException;
  const dir = dirname(path);
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new OutputError(path, `no space left to write ${path} (${e.code})`, {
        hint: `free space on the file system of ${dir} or write the backup elsewhere; nothing was left under ${basename(path)}`,
        cause: e,
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new OutputError(path, `cannot write into ${dir} (${e.code})`, {
        hint: 'choose a directory you may write to, or fix its permissions',
        cause: e,
      });
    case 'ENOENT':
    case 'ENOTDIR':
      return new OutputError(path, `the directory ${dir} does not exist`, { hint: `create it first (mkdir -p ${dir})`, cause: e });
    default:
      return new OutputError(path, `cannot write ${path}: ${e?.message ?? String(error)}`, { cause: error });
  }
}

export interface AtomicWriteOptions {
  /** Replace an existing file at the target (atomically). Default false: refuse. */
  overwrite?: boolean;
  /** Called with the temporary file's path after fsync, before the rename; a throw aborts. */
  verify?: (temporaryPath: string) => Promise<void>;
  /** Bytes written so far. */
  onProgress?: (bytesWritten: number) => void;
  signal?: AbortSignal;
}

/** Checks before any work that the target can be written (directory exists, no file in the way). */
export async function checkTarget(target: string, overwrite = false): Promise<string> {
  const path = resolve(target);
  const dir = dirname(path);
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    throw describe(path, error);
  }
  if (!info.isDirectory()) throw new OutputError(path, `${dir} is not a directory`, { hint: 'choose an output path inside a directory' });
  try {
    const existing = await stat(path);
    if (existing.isDirectory()) throw new OutputError(path, `${path} is a directory`, { hint: 'give a file name, e.g. backup.dbs' });
    if (!overwrite) {
      throw new OutputError(path, `${path} already exists`, { hint: 'choose another name, or pass --force (overwrite: true) to replace it atomically' });
    }
  } catch (error) {
    if (error instanceof OutputError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw describe(path, error);
  }
  try {
    await access(dir, 2 /* W_OK */);
  } catch (error) {
    throw describe(path, error);
  }
  return path;
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a directory (EINVAL/EISDIR); the rename is still done.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Writes `stream` to `target` atomically and durably. Returns the size in bytes. On any failure
 * the temporary file is removed and nothing exists under `target` that was not there before.
 */
export async function writeFileAtomic(target: string, stream: ByteStream, options: AtomicWriteOptions = {}): Promise<{ path: string; size: number }> {
  const path = await checkTarget(target, options.overwrite);
  const temp = temporaryName(path);
  let handle;
  // Created synchronously on the main thread (see temporaryFolder), then reopened without O_CREAT:
  // if a signal handler removed it in between, the reopen fails instead of creating it again.
  live.add(temp);
  try {
    closeSync(openSync(temp, 'wx', 0o600));
    handle = await open(temp, 'r+');
  } catch (error) {
    await unlink(temp).catch(() => {});
    live.delete(temp);
    throw describe(path, error);
  }
  let size = 0;
  let stage = 'write';
  // One write in flight while the next chunk is produced (chunks are the receiver's to keep), so
  // the producer does not stall while libuv's thread pool, shared with compression, writes.
  let writing: Promise<void> | undefined;
  let writeFailed: { error: unknown } | undefined;
  const settle = async () => {
    await writing;
    writing = undefined;
    if (writeFailed) throw describe(path, writeFailed.error);
  };
  const file = handle;
  const writeAt = async (chunk: Uint8Array, at: number) => {
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await file.write(chunk, done, chunk.length - done, at + done);
      done += bytesWritten;
    }
    options.onProgress?.(at + chunk.length);
  };
  try {
    try {
      for await (const chunk of stream) {
        options.signal?.throwIfAborted();
        await settle();
        writing = writeAt(chunk, size).catch((error) => void (writeFailed = { error }));
        size += chunk.length;
      }
    } finally {
      // Also when the stream failed: no write may still run when the file is closed and removed.
      await writing;
    }
    await settle();
    trace('write: last byte written');
    try {
      await handle.sync();
      await handle.close();
    } catch (error) {
      throw describe(path, error);
    }
    handle = undefined;
    trace('write: fsynced');
    stage = 'verify';
    if (options.verify) await options.verify(temp);
    options.signal?.throwIfAborted();
    stage = 'rename';
    if (options.overwrite) {
      await rename(temp, path);
    } else {
      // link() fails if the target appeared meanwhile, so a concurrent writer is never clobbered.
      try {
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new OutputError(path, `${path} appeared while the backup was being written`, { hint: 'choose another name or pass --force' });
        }
        if ((error as NodeJS.ErrnoException).code === 'EPERM' || (error as NodeJS.ErrnoException).code === 'ENOTSUP') {
          await rename(temp, path); // file systems without hard links
        } else throw error;
      }
      await unlink(temp).catch(() => {});
    }
    live.delete(temp);
    stage = 'fsync directory';
    await fsyncDirectory(dirname(path));
    return { path, size };
  } catch (error) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    live.delete(temp);
    if (stage === 'fsync directory') await unlink(path).catch(() => {});
    if (stage === 'rename' && !(error instanceof OutputError)) throw describe(path, error);
    // A spool (the second copy, parked next to the target) can run out of space too.
    if (['ENOSPC', 'EDQUOT', 'EFBIG'].includes((error as NodeJS.ErrnoException)?.code ?? '')) throw describe(path, error);
    throw error;
  }
}
