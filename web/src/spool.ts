// A Spool for the page's worker: bytes parked in a Blob instead of the JS heap. The container
// writer parks the second copy of every block while it writes the first; in a browser the Blob
// lives in the browser's blob storage, which moves large blobs to disk, so rebuilding a 2 GiB
// file does not hold a second gigabyte in the worker's memory.
import type { Spool } from './dbs.js';

/** Parts are folded into the Blob every FOLD bytes: few enough IPC calls, little heap held. */
const FOLD = 16 << 20;
/** Read-back slice size. */
const SLICE = 4 << 20;

export async function blobSpool(): Promise<Spool> {
  let blob = new Blob([]);
  let parts: Uint8Array[] = [];
  let pending = 0;
  const fold = () => {
    if (parts.length === 0) return;
    blob = new Blob([blob, ...(parts as BlobPart[])]);
    parts = [];
    pending = 0;
  };
  return {
    async write(chunk) {
      // A spool is done with a chunk when write() resolves (docs/ARCHITECTURE.md): the container
      // writer hands on the same buffer afterwards with other heads, so the Blob part is a copy.
      parts.push(chunk.slice());
      pending += chunk.length;
      if (pending >= FOLD) fold();
    },
    async *readBack() {
      fold();
      const whole = blob;
      for (let at = 0; at < whole.size; at += SLICE) yield new Uint8Array(await whole.slice(at, at + SLICE).arrayBuffer());
    },
    async dispose() {
      blob = new Blob([]);
      parts = [];
      pending = 0;
    },
  };
}

interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  read(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
}

const SPOOL_PREFIX = 'dbs-spool-';

/**
 * A Spool in a temporary file of the origin-private file system, written through a synchronous
 * access handle (dedicated workers only): on disk in a normal profile, so memory stays flat.
 */
export async function opfsSpool(): Promise<Spool> {
  const root = await navigator.storage.getDirectory();
  const name = `${SPOOL_PREFIX}${crypto.randomUUID()}`;
  const handle = await root.getFileHandle(name, { create: true });
  const access = (await (handle as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }).createSyncAccessHandle());
  let size = 0;
  return {
    async write(chunk) {
      let done = 0;
      while (done < chunk.length) {
        const n = access.write(chunk.subarray(done), { at: size + done });
        if (n <= 0) throw new Error('the temporary file of the browser refused a write (is the disk full?)');
        done += n;
      }
      size += chunk.length;
    },
    async *readBack() {
      access.flush();
      for (let at = 0; at < size; at += SLICE) {
        const buffer = new Uint8Array(Math.min(SLICE, size - at));
        let got = 0;
        while (got < buffer.length) {
          const n = access.read(buffer.subarray(got), { at: at + got });
          if (n <= 0) throw new Error('the temporary file of the browser shrank while being read back');
          got += n;
        }
        yield buffer;
      }
    },
    async dispose() {
      try {
        access.close();
      } finally {
        await root.removeEntry(name).catch(() => {});
      }
    },
  };
}

/** The best spool this context offers: OPFS in a worker that has it, else a Blob. */
export async function bestSpool(): Promise<Spool> {
  const canOpfs =
    typeof navigator !== 'undefined' &&
    typeof navigator.storage?.getDirectory === 'function' &&
    typeof (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle?.prototype === 'object' &&
    'createSyncAccessHandle' in (globalThis as unknown as { FileSystemFileHandle: { prototype: object } }).FileSystemFileHandle.prototype;
  if (canOpfs) {
    try {
      return await opfsSpool();
    } catch {
      // e.g. storage disabled by policy: the Blob spool still works
    }
  }
  return blobSpool();
}

/** Removes spool files a closed tab left behind. */
export async function clearStaleSpools(): Promise<void> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') return;
  const root = await navigator.storage.getDirectory();
  const names: string[] = [];
  for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) if (name.startsWith(SPOOL_PREFIX)) names.push(name);
  for (const name of names) await root.removeEntry(name).catch(() => {});
}
