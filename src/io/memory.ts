import type { ByteSource, Spool, ByteStream } from './types.js';

/** A ByteSource over bytes already in memory. */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(offset, length) {
      const start = Math.max(0, Math.min(offset, bytes.length));
      return bytes.slice(start, Math.min(bytes.length, start + Math.max(0, length)));
    },
    async readInto(offset, target) {
      const start = Math.max(0, Math.min(offset, bytes.length));
      const part = bytes.subarray(start, Math.min(bytes.length, start + target.length));
      target.set(part);
      return part.length;
    },
    view(offset, length) {
      const start = Math.max(0, Math.min(offset, bytes.length));
      return bytes.subarray(start, Math.min(bytes.length, start + Math.max(0, length)));
    },
  };
}

/** A ByteSource over a browser Blob/File: reads slices, never the whole file. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    async read(offset, length) {
      const start = Math.max(0, Math.min(offset, blob.size));
      const end = Math.min(blob.size, start + Math.max(0, length));
      return new Uint8Array(await blob.slice(start, end).arrayBuffer());
    },
  };
}

/** A spool kept in memory: for the browser and for whole-buffer helpers. */
export async function memorySpool(): Promise<Spool> {
  let chunks: Uint8Array[] = [];
  return {
    async write(chunk) {
      chunks.push(chunk.slice());
    },
    async *readBack() {
      for (const chunk of chunks) yield chunk;
    },
    async dispose() {
      chunks = [];
    },
  };
}

/** Concatenates a stream into one buffer (for whole-buffer helpers and tests). */
export async function collect(stream: ByteStream | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return joinBytes(parts);
}

/** One new buffer holding `parts` in order. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

// Takes an array, not arguments: a stream may have more chunks than a call may have arguments.
function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Yields `bytes` in slices of `chunkSize` (for feeding whole buffers into streaming code). */
export async function* chunked(bytes: Uint8Array, chunkSize = 1 << 20): ByteStream {
  for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, Math.min(bytes.length, at + chunkSize));
}
