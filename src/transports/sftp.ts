// Push, pull, list and delete backups on an SSH server over SFTP.
//
// Push streams the source to a part file of its own, `name.<8 random hex>.part`, with many writes
// in flight (memory stays bounded by that window, whatever the file size), fsyncs it on the server
// when it can (fsync@openssh.com), then renames it to `name`: a plain SFTP rename, which OpenSSH
// performs as link+unlink and so never replaces an existing backup, or posix-rename@openssh.com
// when overwriting was asked for. Because every fresh push has its own part, two pushes of
// different sources under one name never write into the same file. A push that fails removes its
// part and leaves nothing under `name`; a push cut off by a broken connection keeps its part, and
// the next push of the same source resumes from it (or from a `name.part` left by older versions):
// it lists the parts of `name`, newest first, and takes the first whose last bytes match the source.
//
// Pull streams the remote file into a temporary file next to the destination, validates it with
// the container reader, and only then gives it its name (src/pipeline/atomic.ts does the local
// part: fsync, no-clobber link, directory fsync, cleanup on failure).
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { DbsError, UsageError } from '../errors.js';
import type { ByteSource, ByteStream } from '../io/types.js';
import { checkTarget, writeFileAtomic } from '../pipeline/atomic.js';
import {
  PulledBackupInvalidError,
  RemoteDiskFullError,
  RemoteExistsError,
  RemoteNotFoundError,
  TransportError,
  UnreachableError,
} from './errors.js';
import { describeSftpError, SFTP_STATUS, sftpCall, withSession, type Session } from './session.js';
import { checkBackupName, type SSHTarget } from './target.js';
import { validateBackupFile, type BackupValidation, type BackupValidator } from './validate.js';

/** What can be pushed: a local file path, bytes, a random-access source, or a stream. */
export type BackupSource = string | Uint8Array | ByteSource | ByteStream;

export interface PushOptions {
  /** Replace a backup of the same name (atomically, with posix-rename). Default false: refuse. */
  overwrite?: boolean;
  /** Continue a part file (`name.*.part`) left by an interrupted push of the same source. Default true; needs a file, bytes or a ByteSource. */
  resume?: boolean;
  /** Bytes on the server so far, and the total when known. */
  onProgress?: (bytes: number, total?: number) => void;
  signal?: AbortSignal;
}

export interface PushResult {
  name: string;
  remotePath: string;
  size: number;
  /** Bytes that were already on the server from an interrupted push (0 for a fresh upload). */
  resumedFrom: number;
  server: string;
}

export interface PullOptions {
  /** Replace an existing local file (atomically). Default false: refuse. */
  overwrite?: boolean;
  /** How the downloaded file is judged; default: the container reader's validate(). */
  validate?: BackupValidator;
  onProgress?: (bytes: number, total: number) => void;
  signal?: AbortSignal;
}

export interface PullResult {
  name: string;
  path: string;
  size: number;
  validation: BackupValidation;
  server: string;
}

export interface RemoteBackup {
  name: string;
  size: number;
  modifiedAt: Date;
  /** A `.part` file: an upload in progress or interrupted (listed only with includePartial). */
  partial?: boolean;
}

/** Most bytes of writes (or reads) awaiting the server's answer: bounds memory, keeps the pipe full. */
const WINDOW_BYTES = 8 << 20;
/** Reads from the local source are this large (then split to the server's maximum write). */
const SOURCE_CHUNK = 1 << 20;
/** How much of an existing `.part` is compared with the source before resuming after it. */
const RESUME_CHECK_BYTES = 1 << 20;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** Uploads `source` to `remoteDir/name` on the target, atomically. */
export async function pushBackup(source: BackupSource, name: string, target: SSHTarget, options: PushOptions = {}): Promise<PushResult> {
  checkBackupName(name);
  const input = await describeSource(source);
  const final = target.remotePath(name);
  return withSession(target, async (session) => {
    const { sftp } = session;
    await checkRemoteDir(session);
    if (!options.overwrite && (await remoteExists(session, final))) throw new RemoteExistsError(final, { server: target.server });

    // A fresh push writes a part nobody else uses; a resumed one reuses the part it matched.
    const resumable = options.resume !== false && input.readAt ? await findResumablePart(session, name, input) : undefined;
    const part = resumable?.path ?? freshPartPath(target, name);
    const offset = resumable?.offset ?? 0;
    const needed = input.size === undefined ? undefined : input.size - offset;
    if (needed !== undefined && session.has('statvfs@openssh.com')) {
      const available = await sftpCall.available(sftp, target.remoteDir).catch(() => undefined);
      if (available !== undefined && available < needed)
        throw new RemoteDiskFullError(target.remoteDir, { server: target.server, available, needed });
    }

    let handle: Buffer;
    try {
      handle = await sftpCall.open(sftp, part, offset > 0 ? 'r+' : 'w', 0o600);
    } catch (error) {
      throw describeSftpError(error, session, part, 'creating', 'remote directory');
    }
    try {
      let sent = offset;
      let failure: unknown;
      try {
        sent = await writeAll(session, handle, input.read(offset), offset, input.size, options);
        const written = await sftpCall.fstat(sftp, handle).catch((error) => {
          throw describeSftpError(error, session, part, 'checking');
        });
        if (written.size !== sent)
          throw new TransportError('REMOTE_SHORT', `${part} holds ${written.size} bytes after sending ${sent}`, { server: target.server });
        if (session.has('fsync@openssh.com'))
          await sftpCall.fsync(sftp, handle).catch((error) => {
            throw describeSftpError(error, session, part, 'syncing');
          });
      } catch (error) {
        failure = error;
      }
      // The first failure is the one reported; a failed close matters only when all else went well.
      await sftpCall.close(sftp, handle).catch((error) => {
        failure ??= describeSftpError(error, session, part, 'closing');
      });
      if (failure !== undefined) throw failure;
      options.signal?.throwIfAborted();
      await placeFinal(session, part, final, options.overwrite === true);
      return { name, remotePath: final, size: sent, resumedFrom: offset, server: target.server };
    } catch (error) {
      const mapped = await diskFullOr(session, error, part, input.size === undefined ? undefined : input.size - offset);
      // A broken connection keeps the .part for a resumed push; any other failure cleans up.
      const keepPart = mapped instanceof UnreachableError && input.readAt !== undefined;
      if (!keepPart) await sftpCall.unlink(sftp, part).catch(() => {});
      throw mapped;
    }
  });
}

/** Downloads `remoteDir/name` to the local path `dest`, validates it, then gives it its name. */
export async function pullBackup(name: string, dest: string, target: SSHTarget, options: PullOptions = {}): Promise<PullResult> {
  checkBackupName(name);
  await checkTarget(dest, options.overwrite);
  const validator = options.validate ?? validateBackupFile;
  const remote = target.remotePath(name);
  return withSession(target, async (session) => {
    const { sftp } = session;
    let handle: Buffer;
    try {
      handle = await sftpCall.open(sftp, remote, 'r');
    } catch (error) {
      if ((error as { code?: number }).code === SFTP_STATUS.NO_SUCH_FILE) {
        await checkRemoteDir(session);
        throw new RemoteNotFoundError(remote, 'backup', {
          server: target.server,
          hint: `list what is there with: dbs list --target ${target.name ?? '<target>'}`,
        });
      }
      throw describeSftpError(error, session, remote, 'opening');
    }
    try {
      const info = await sftpCall.fstat(sftp, handle).catch((error) => {
        throw describeSftpError(error, session, remote, 'reading');
      });
      if (((info.mode ?? S_IFREG) & S_IFMT) !== S_IFREG) throw new TransportError('REMOTE_NOT_FILE', `${remote} is not a regular file`, { server: target.server });
      const size = info.size;
      let validation: BackupValidation | undefined;
      const written = await writeFileAtomic(dest, readRemote(session, handle, remote, size, options), {
        overwrite: options.overwrite,
        signal: options.signal,
        verify: async (temporaryPath) => {
          const got = (await stat(temporaryPath)).size;
          if (got !== size) throw new TransportError('REMOTE_SHORT', `${remote} gave ${got} bytes, expected ${size}`, { server: target.server });
          try {
            validation = await validator(temporaryPath);
          } catch (error) {
            if (error instanceof DbsError) throw new PulledBackupInvalidError(name, error.message, { server: target.server, cause: error });
            throw error;
          }
          if (!validation.ok) throw new PulledBackupInvalidError(name, validation.summary.split('\n')[0], { server: target.server, report: validation.report });
        },
      });
      return { name, path: written.path, size, validation: validation!, server: target.server };
    } finally {
      await sftpCall.close(sftp, handle).catch(() => {});
    }
  });
}

/** The backups in the target's remoteDir, newest first. `.part` files only with includePartial. */
export async function listBackups(target: SSHTarget, options: { includePartial?: boolean } = {}): Promise<RemoteBackup[]> {
  return withSession(target, async (session) => {
    await checkRemoteDir(session);
    let entries;
    try {
      entries = await sftpCall.readdir(session.sftp, target.remoteDir);
    } catch (error) {
      throw describeSftpError(error, session, target.remoteDir, 'listing', 'remote directory');
    }
    const out: RemoteBackup[] = [];
    for (const entry of entries) {
      if (((entry.attrs.mode ?? 0) & S_IFMT) !== S_IFREG) continue;
      const partial = entry.filename.endsWith('.part');
      if (partial && !options.includePartial) continue;
      out.push({ name: entry.filename, size: entry.attrs.size, modifiedAt: new Date(entry.attrs.mtime * 1000), ...(partial ? { partial } : {}) });
    }
    return out.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime() || a.name.localeCompare(b.name));
  });
}

/** Removes `remoteDir/name` from the target. */
export async function deleteBackup(name: string, target: SSHTarget): Promise<void> {
  checkBackupName(name);
  const remote = target.remotePath(name);
  await withSession(target, async (session) => {
    try {
      await sftpCall.unlink(session.sftp, remote);
    } catch (error) {
      if ((error as { code?: number }).code === SFTP_STATUS.NO_SUCH_FILE) await checkRemoteDir(session);
      throw describeSftpError(error, session, remote, 'deleting', 'backup');
    }
  });
}

// ---------------------------------------------------------------------------------------------

interface SourceInfo {
  size?: number;
  /** Streams the source from `offset` (offset > 0 only when readAt exists). */
  read(offset: number): AsyncIterable<Uint8Array>;
  /** Random access, for checking a .part before resuming it. */
  readAt?(offset: number, length: number): Promise<Uint8Array>;
}

async function describeSource(source: BackupSource): Promise<SourceInfo> {
  if (typeof source === 'string') {
    let info;
    try {
      info = await stat(source);
    } catch (error) {
      throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: 'give the path of a backup file' });
    }
    if (!info.isFile()) throw new UsageError(`${source} is not a file`, { hint: 'give the path of a backup file' });
    const path = source;
    return {
      size: info.size,
      read: (offset) => createReadStream(path, { start: offset, highWaterMark: SOURCE_CHUNK }),
      readAt: async (offset, length) => {
        const { open } = await import('node:fs/promises');
        const handle = await open(path, 'r');
        try {
          const buffer = Buffer.alloc(length);
          const { bytesRead } = await handle.read(buffer, 0, length, offset);
          return buffer.subarray(0, bytesRead);
        } finally {
          await handle.close();
        }
      },
    };
  }
  if (source instanceof Uint8Array) {
    return {
      size: source.length,
      read: async function* (offset) {
        for (let at = offset; at < source.length; at += SOURCE_CHUNK) yield source.subarray(at, Math.min(source.length, at + SOURCE_CHUNK));
      },
      readAt: async (offset, length) => source.subarray(offset, offset + length),
    };
  }
  if (typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    const stream = source as ByteStream;
    return {
      read: (offset) => {
        if (offset !== 0) throw new Error('a stream cannot be resumed');
        return stream;
      },
    };
  }
  const random = source as ByteSource;
  if (typeof random.read === 'function' && typeof random.size === 'number') {
    return {
      size: random.size,
      read: async function* (offset) {
        for (let at = offset; at < random.size; at += SOURCE_CHUNK) {
          const chunk = await random.read(at, Math.min(SOURCE_CHUNK, random.size - at));
          if (chunk.length === 0) throw new UsageError(`the source ended at ${at} bytes, before its size ${random.size}`);
          yield chunk;
        }
      },
      readAt: (offset, length) => random.read(offset, length),
    };
  }
  throw new UsageError('pushBackup needs a file path, a Uint8Array, a ByteSource or an async iterable of Uint8Array');
}

/** Sends the stream with up to WINDOW_BYTES of writes in flight. Returns the end offset. */
async function writeAll(
  session: Session,
  handle: Buffer,
  stream: AsyncIterable<Uint8Array>,
  start: number,
  total: number | undefined,
  options: PushOptions,
): Promise<number> {
  const { sftp } = session;
  const piece = session.maxWriteLength;
  const inflight = new Set<Promise<void>>();
  let inflightBytes = 0;
  let failure: unknown;
  let position = start;
  let acknowledged = start;
  const send = (data: Uint8Array, at: number) => {
    inflightBytes += data.length;
    const p: Promise<void> = sftpCall.write(sftp, handle, data, at).then(
      () => {
        acknowledged += data.length;
        options.onProgress?.(acknowledged, total);
      },
      (error) => {
        failure ??= error;
      },
    ).finally(() => {
      inflightBytes -= data.length;
      inflight.delete(p);
    });
    inflight.add(p);
  };
  try {
    outer: for await (const chunk of stream) {
      for (let at = 0; at < chunk.length; at += piece) {
        while (inflightBytes >= WINDOW_BYTES && failure === undefined) await Promise.race(inflight);
        if (failure !== undefined) break outer;
        options.signal?.throwIfAborted();
        // ssh2 copies the bytes into its packet at once, so a view into the chunk is safe.
        const data = chunk.subarray(at, Math.min(chunk.length, at + piece));
        send(data, position);
        position += data.length;
      }
    }
  } finally {
    await Promise.all(inflight);
  }
  if (failure !== undefined) throw describeSftpError(failure, session, session.target.remoteDir, 'writing into');
  if (total !== undefined && position !== total)
    throw new UsageError(`the source gave ${position} bytes, but its size is ${total}: it changed during the push`);
  return position;
}

/** Streams `size` bytes of an open remote file with up to WINDOW_BYTES of reads in flight, in order. */
async function* readRemote(session: Session, handle: Buffer, path: string, size: number, options: PullOptions): ByteStream {
  const { sftp } = session;
  const piece = session.maxReadLength;
  const depth = Math.max(2, Math.floor(WINDOW_BYTES / piece));
  type Result = { ok: true; data: Buffer } | { ok: false; error: unknown };
  const queue: { offset: number; length: number; result: Promise<Result> }[] = [];
  let next = 0;
  const issue = () => {
    while (queue.length < depth && next < size) {
      const length = Math.min(piece, size - next);
      queue.push({
        offset: next,
        length,
        result: sftpCall.read(sftp, handle, length, next).then(
          (data): Result => ({ ok: true, data }),
          (error): Result => ({ ok: false, error }),
        ),
      });
      next += length;
    }
  };
  issue();
  let done = 0;
  while (queue.length) {
    options.signal?.throwIfAborted();
    const item = queue.shift()!;
    const result = await item.result;
    if (!result.ok) throw describeSftpError(result.error, session, path, 'reading');
    let data = result.data;
    if (data.length < item.length) {
      // A short read (allowed by the protocol): fetch the rest of this piece before going on.
      const parts = [data];
      let got = data.length;
      while (got < item.length) {
        const more = await sftpCall.read(sftp, handle, item.length - got, item.offset + got).catch((error) => {
          throw describeSftpError(error, session, path, 'reading');
        });
        if (more.length === 0)
          throw new TransportError('REMOTE_SHORT', `${path} ended at ${item.offset + got} bytes, but its size was ${size}`, { server: session.target.server });
        parts.push(more);
        got += more.length;
      }
      data = Buffer.concat(parts);
    }
    issue();
    done += data.length;
    options.onProgress?.(done, size);
    yield data;
  }
}

async function checkRemoteDir(session: Session): Promise<void> {
  const dir = session.target.remoteDir;
  let info;
  try {
    info = await sftpCall.stat(session.sftp, dir);
  } catch (error) {
    if ((error as { code?: number }).code === SFTP_STATUS.NO_SUCH_FILE)
      throw new RemoteNotFoundError(dir, 'remote directory', {
        server: session.target.server,
        hint: `create it on the server (mkdir -p ${dir}, owned by ${session.target.username}) or fix remoteDir in the target profile`,
      });
    throw describeSftpError(error, session, dir, 'reading', 'remote directory');
  }
  if (((info.mode ?? S_IFDIR) & S_IFMT) !== S_IFDIR)
    throw new TransportError('REMOTE_NOT_DIR', `remoteDir ${dir} is not a directory`, { server: session.target.server, hint: 'fix remoteDir in the target profile' });
}

async function remoteExists(session: Session, path: string): Promise<boolean> {
  try {
    await sftpCall.stat(session.sftp, path);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === SFTP_STATUS.NO_SUCH_FILE) return false;
    throw describeSftpError(error, session, path, 'checking');
  }
}

/** A part file of its own for a fresh push: `name.<8 random hex>.part`. */
function freshPartPath(target: SSHTarget, name: string): string {
  return target.pathInDir(`${name}.${randomBytes(4).toString('hex')}.part`);
}

/** Whether `file` is a part of backup `name`: `name.part` (older versions) or `name.<8 hex>.part`. */
function isPartOf(file: string, name: string): boolean {
  if (!file.startsWith(`${name}.`) || !file.endsWith('.part')) return false;
  const middle = file.slice(name.length, -'.part'.length);
  return middle === '' || /^\.[0-9a-f]{8}$/.test(middle);
}

/**
 * The part of `name` to resume from: of the parts in remoteDir (one readdir), newest first, the
 * first whose last bytes match the source (resumableOffset). Parts that do not match are left
 * alone: they may belong to a push of another source that is still running.
 *
 * Two pushes of the same source may resume into the same part at once. That is harmless: they
 * write identical bytes at identical offsets, so the file stays a prefix of the source; the first
 * to finish renames it, and the other's rename then fails (its part is gone, or, without overwrite,
 * the final name exists: RemoteExistsError). Different DBS containers never match here: every
 * frame head carries the file's random container id, so their bytes differ in any 1 MiB window.
 */
async function findResumablePart(session: Session, name: string, input: SourceInfo): Promise<{ path: string; offset: number } | undefined> {
  const { target } = session;
  let entries;
  try {
    entries = await sftpCall.readdir(session.sftp, target.remoteDir);
  } catch {
    return undefined; // resuming is an optimisation: a fresh push reports any real problem
  }
  const parts = entries
    .filter((e) => isPartOf(e.filename, name) && ((e.attrs.mode ?? S_IFREG) & S_IFMT) === S_IFREG)
    .sort((a, b) => b.attrs.mtime - a.attrs.mtime || a.filename.localeCompare(b.filename));
  for (const entry of parts) {
    const path = target.pathInDir(entry.filename);
    const offset = await resumableOffset(session, path, input);
    if (offset > 0) return { path, offset };
  }
  return undefined;
}

/** Where to resume: the size of an existing .part whose last bytes match the source there, else 0. */
async function resumableOffset(session: Session, part: string, input: SourceInfo): Promise<number> {
  let size: number;
  try {
    size = (await sftpCall.stat(session.sftp, part)).size;
  } catch {
    return 0;
  }
  if (size === 0 || input.size === undefined || size > input.size || !input.readAt) return 0;
  const length = Math.min(size, RESUME_CHECK_BYTES);
  const from = size - length;
  let handle: Buffer | undefined;
  try {
    handle = await sftpCall.open(session.sftp, part, 'r');
    const theirs = await collectRemote(session, handle, from, length);
    const ours = await input.readAt(from, length);
    return Buffer.from(ours).equals(theirs) ? size : 0;
  } catch {
    return 0;
  } finally {
    if (handle) await sftpCall.close(session.sftp, handle).catch(() => {});
  }
}

async function collectRemote(session: Session, handle: Buffer, offset: number, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < length) {
    const data = await sftpCall.read(session.sftp, handle, Math.min(session.maxReadLength, length - got), offset + got);
    if (data.length === 0) break;
    parts.push(data);
    got += data.length;
  }
  return Buffer.concat(parts);
}

/** Gives the finished .part its final name. */
async function placeFinal(session: Session, part: string, final: string, overwrite: boolean): Promise<void> {
  const { sftp } = session;
  try {
    if (overwrite && session.has('posix-rename@openssh.com')) {
      await sftpCall.posixRename(sftp, part, final);
    } else {
      if (overwrite && (await remoteExists(session, final))) await sftpCall.unlink(sftp, final); // servers without posix-rename
      // SFTP's rename does not replace an existing file (OpenSSH does link + unlink), so a backup
      // that appeared meanwhile under the same name is never clobbered.
      await sftpCall.rename(sftp, part, final);
    }
  } catch (error) {
    const code = (error as { code?: number }).code;
    const server = session.target.server;
    if (!overwrite && (code === SFTP_STATUS.FAILURE || code === SFTP_STATUS.NO_SUCH_FILE) && (await remoteExists(session, final).catch(() => false)))
      throw new RemoteExistsError(final, { server });
    // Our part is gone: another push of the same source, resumed into the same part, renamed it first.
    if (code === SFTP_STATUS.NO_SUCH_FILE)
      throw new TransportError('REMOTE_PART_GONE', `${part} was gone when it was to be renamed to ${final}: another push of the same backup finished it first, or it was removed`, {
        server,
        cause: error,
        hint: `check the backup with: dbs list --target ${session.target.name ?? '<target>'}`,
      });
    throw describeSftpError(error, session, final, 'renaming into');
  }
}

/** A generic SFTP failure while writing is a full disk when the server says there is no room left. */
async function diskFullOr(session: Session, error: unknown, path: string, needed?: number): Promise<unknown> {
  const raw = error instanceof TransportError ? (error.cause as { code?: unknown } | undefined) : (error as { code?: unknown });
  const failed = error instanceof TransportError ? error.code === 'REMOTE_FAILURE' || raw?.code === SFTP_STATUS.FAILURE : raw?.code === SFTP_STATUS.FAILURE;
  if (!failed || !session.has('statvfs@openssh.com')) return error;
  const available = await sftpCall.available(session.sftp, session.target.remoteDir).catch(() => undefined);
  if (available === undefined) return error;
  // Space freed by removing our .part is not counted: the server said "failure" with this little room.
  if (available < Math.min(needed ?? Infinity, 1 << 20) || (needed !== undefined && available < needed))
    return new RemoteDiskFullError(path, { server: session.target.server, available, needed, cause: error });
  return error;
}
