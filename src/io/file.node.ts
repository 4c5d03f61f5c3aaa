// Node-only file plumbing: a ByteSource over a file and a Spool in a temporary file.
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteSource, Spool } from './types.js';

/** Opens `path` for random-access reads. Close it when done. */
export async function fileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      const want = Math.max(0, Math.min(length, size - offset));
      const buffer = new Uint8Array(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buffer, got, want - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? buffer : buffer.subarray(0, got);
    },
    async readInto(offset, target) {
      const want = Math.max(0, Math.min(target.length, size - offset));
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(target, got, want - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got;
    },
    async close() {
      await handle.close();
    },
  };
}

/** A spool in a private temporary file, removed on dispose. Memory stays flat. */
export async function fileSpool(dir = tmpdir()): Promise<Spool> {
  const folder = await mkdtemp(join(dir, 'dbs-spool-'));
  const path = join(folder, 'spool');
  const handle = await open(path, 'w+', 0o600);
  let size = 0;
  return {
    async write(chunk) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, size + done);
        done += bytesWritten;
      }
      size += chunk.length;
    },
    async *readBack() {
      const piece = 1 << 20;
      for (let at = 0; at < size; at += piece) {
        const buffer = new Uint8Array(Math.min(piece, size - at));
        let got = 0;
        while (got < buffer.length) {
          const { bytesRead } = await handle.read(buffer, got, buffer.length - got, at + got);
          if (bytesRead === 0) throw new Error(`spool file ${path} shrank while being read back`);
          got += bytesRead;
        }
        yield buffer;
      }
    },
    async dispose() {
      await handle.close().catch(() => {});
      await rm(folder, { recursive: true, force: true });
    },
  };
}
