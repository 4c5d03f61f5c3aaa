// Files in a backup: read in chunks with size and BLAKE2b-512 (capture), written atomically
// (temporary file in the target directory, renamed after the database commits) and only inside
// allow-listed restore roots (restore).
import { createHash, randomBytes } from 'node:crypto';
import { open, opendir, lstat, mkdir, realpath, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { UnsafePathError } from '../errors.js';
import type { RootInfo } from './manifest.js';

export const FILE_CHUNK = 256 << 10;

/** A file to embed: its root and its path relative to that root ('/'-separated). */
export interface FileRef {
  root: RootInfo;
  path: string;
}

/**
 * Every file under `dir`, as '/'-separated paths relative to it, sorted, streamed. Entries that
 * are not regular files or directories (symlinks, sockets, devices) come with a `skipped` reason,
 * so the caller reports them instead of dropping them silently.
 */
export async function* walkFiles(dir: string, prefix = ''): AsyncGenerator<{ path: string; skipped?: string }> {
  let entries: { name: string; isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }[];
  try {
    entries = [];
    for await (const e of await opendir(join(dir, prefix))) entries.push(e);
  } catch (error) {
    yield { path: prefix || '.', skipped: `directory cannot be read: ${(error as Error).message}` };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) yield* walkFiles(dir, rel);
    else if (e.isFile()) yield { path: rel };
    else yield { path: rel, skipped: e.isSymbolicLink() ? 'symbolic link (not followed)' : 'not a regular file' };
  }
}

/** Reads one file in chunks. A file that cannot be opened or read is reported as skipped. */
export async function* readFileChunks(absolute: string): AsyncGenerator<{ kind: 'size'; size: number } | { kind: 'data'; chunk: Uint8Array } | { kind: 'end'; size: number; blake2b512: string } | { kind: 'skipped'; reason: string }> {
  let handle: FileHandle;
  try {
    handle = await open(absolute, 'r');
  } catch (error) {
    yield { kind: 'skipped', reason: (error as Error).message };
    return;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      yield { kind: 'skipped', reason: 'not a regular file' };
      return;
    }
    yield { kind: 'size', size: stat.size };
    const hash = createHash('blake2b512');
    let size = 0;
    for (;;) {
      const buffer = new Uint8Array(FILE_CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, FILE_CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = bytesRead === FILE_CHUNK ? buffer : buffer.slice(0, bytesRead);
      hash.update(chunk);
      size += bytesRead;
      yield { kind: 'data', chunk };
    }
    yield { kind: 'end', size, blake2b512: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** Refuses a relative path that is empty, absolute, has a '..' segment, a NUL or a backslash. */
export function checkRelativePath(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0) throw new UnsafePathError(String(path), 'empty path');
  if (path.includes('\0')) throw new UnsafePathError(path, 'NUL byte in path');
  if (path.includes('\\')) throw new UnsafePathError(path, 'backslash in path');
  if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) throw new UnsafePathError(path, 'absolute path');
  const parts = path.split('/');
  for (const p of parts) {
    if (p === '..') throw new UnsafePathError(path, "'..' segment");
    if (p === '' || p === '.') throw new UnsafePathError(path, 'empty or "." segment');
  }
  return parts;
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/** Real path of the deepest existing ancestor of `path` (symlinks resolved), plus the rest. */
async function realAncestor(path: string): Promise<string> {
  let current = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await realpath(current);
      return rest.length ? join(real, ...rest.reverse()) : real;
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.push(current.slice(parent.length).replace(/^[/\\]/, ''));
      current = parent;
    }
  }
}

/**
 * Where a backed-up file goes: `targetRoot` joined with its relative path, accepted only when the
 * result (with every existing symlink resolved) lies inside one of `allowedRoots`.
 */
export async function resolveRestorePath(targetRoot: string, path: string, allowedRoots: string[]): Promise<string> {
  const parts = checkRelativePath(path);
  const target = resolve(targetRoot, ...parts);
  const realTarget = await realAncestor(target);
  for (const root of allowedRoots) {
    const realRoot = await realAncestor(resolve(root));
    if (inside(target, resolve(root)) && inside(realTarget, realRoot)) {
      try {
        const st = await lstat(target);
        if (st.isSymbolicLink()) throw new UnsafePathError(path, 'the target is a symbolic link');
        if (st.isDirectory()) throw new UnsafePathError(path, 'the target is a directory');
      } catch (error) {
        if (error instanceof UnsafePathError) throw error;
      }
      return target;
    }
  }
  throw new UnsafePathError(path, allowedRoots.length ? `it would land at ${target}, outside the allowed restore roots (${allowedRoots.join(', ')})` : 'no restore roots are allowed (pass restoreRoots)');
}

/** A file being written under a temporary name next to its target; renamed by commit(). */
export class PendingFile {
  private handle: FileHandle | null = null;
  readonly temp: string;
  private readonly hash = createHash('blake2b512');
  size = 0;
  constructor(readonly target: string) {
    this.temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.dbs-tmp`);
  }
  async open(): Promise<void> {
    await mkdir(dirname(this.target), { recursive: true });
    this.handle = await open(this.temp, 'wx', 0o600);
  }
  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (!this.handle) return;
    let done = 0;
    while (done < chunk.length) done += (await this.handle.write(chunk, done, chunk.length - done)).bytesWritten;
  }
  digest(): string {
    return this.hash.digest('hex');
  }
  async close(): Promise<void> {
    if (!this.handle) return;
    await this.handle.sync();
    await this.handle.close();
    this.handle = null;
  }
  async commit(): Promise<void> {
    await rename(this.temp, this.target);
  }
  async discard(): Promise<void> {
    if (this.handle) await this.handle.close().catch(() => {});
    this.handle = null;
    await rm(this.temp, { force: true });
  }
}
