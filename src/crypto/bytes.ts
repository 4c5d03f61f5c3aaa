// Small byte helpers for the security layer (no Node-only APIs, so they run in browsers too).
import { concatBytes } from '../io/memory.js';

export { concatBytes };

export const textEncoder = new TextEncoder();

/** Cryptographically secure random bytes (crypto.getRandomValues works in insecure contexts too). */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}


/** Constant-time equality (for MACs and digests). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i];
  return acc === 0;
}

/** Presents a Node Buffer (or any view) as a plain Uint8Array over the same memory, without copying. */
export function plainView(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * A FIFO of byte chunks that hands out exact-length runs as lists of views, never copying.
 * The stream code uses it to cut arbitrary input chunks into segments.
 */
export class ChunkQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Removes and returns the next `n` bytes (n <= length) as views into the queued chunks. */
  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let want = n;
    while (want > 0) {
      const first = this.chunks[0];
      const available = first.length - this.head;
      if (available <= want) {
        out.push(this.head === 0 ? first : first.subarray(this.head));
        this.chunks.shift();
        this.head = 0;
        want -= available;
      } else {
        out.push(first.subarray(this.head, this.head + want));
        this.head += want;
        want = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

/** One contiguous buffer for a list of parts (a view, not a copy, when there is a single part). */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0] : concatBytes(...parts);
}

export function totalLength(parts: readonly Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}
