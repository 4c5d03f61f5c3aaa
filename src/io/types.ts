// The byte plumbing every layer shares. Streams are AsyncIterable<Uint8Array> (Node streams and our
// own generators both are); random access is a ByteSource, so a reader can look at the end of a
// file, or a browser File, without loading it whole.

/** Random-access, read-only bytes: an in-memory buffer, a file on disk, a browser Blob. */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer only at the end). The result is the caller's to keep. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads up to `target.length` bytes from `offset` into `target` (fewer only at the end)
   * and returns how many. Same bytes as `read`; lets a caller reuse its buffers instead of taking a
   * fresh one per read. Callers must fall back to `read` when it is absent.
   */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
  /**
   * Optional, for bytes already in memory: the bytes [offset, offset + length) themselves (fewer
   * only at the end), without a copy. Read-only: the caller must not write into them, and sees any
   * change the owner makes. Callers fall back to `readInto` or `read` when it is absent.
   */
  view?(offset: number, length: number): Uint8Array;
  close?(): Promise<void>;
}

/** Somewhere to park bytes written now and read back once, in order (e.g. the second copy). */
export interface Spool {
  write(chunk: Uint8Array): Promise<void>;
  /** Reads everything written so far, in order. Call once, after the last write. */
  readBack(): AsyncIterable<Uint8Array>;
  dispose(): Promise<void>;
}

export type SpoolFactory = () => Promise<Spool>;

export type ByteStream = AsyncIterable<Uint8Array>;
