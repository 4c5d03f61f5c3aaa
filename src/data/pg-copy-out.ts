// COPY ... TO STDOUT read off the pg connection's socket (pg's "submittable" contract, as
// pg-copy-streams' to() does), straight into record frames: each socket chunk's CopyData bodies
// are copied into the frame with one set() and closed up in place (copyWithin per row), so no JS
// object is made per row (pg-copy-streams makes a Buffer per row and a joined Buffer per chunk),
// the row count is the number of CopyData messages (one row each; no newline scan), and frames
// end at row boundaries, never past BATCH_BYTES unless one row is larger.
// Socket chunks are never kept nor written to: only their bytes are copied.
// Every message other than CopyData before CopyDone (CopyOutResponse, notices, parameter status)
// is skipped; an ErrorResponse, and every byte after CopyDone, go back to pg's own parser, which
// then calls handleError / handleCommandComplete / handleReadyForQuery on this object.
import type { Readable } from 'node:stream';
import { FrameQueue } from './frame-queue.js';

const MSG_COPY_DATA = 0x64; // 'd'
const MSG_COPY_DONE = 0x63; // 'c'
const MSG_ERROR = 0x45; // 'E'

/** A message's length field: big-endian u32 at `at`. */
function u32At(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

interface PgConnection {
  stream: Readable;
  query(text: string): void;
}

/** A finished frame: `head` free bytes, then `frame.length - head` bytes of whole COPY lines. */
export interface CopyFrame {
  frame: Uint8Array;
  rows: number;
}

export class CopyOut {
  private connection: PgConnection | null = null;
  private pgHandler: ((data: Buffer) => void) | null = null;
  private readonly onReadable = () => this.pump();
  private pumping = false;
  private detached = false;
  private readonly ready = new FrameQueue<CopyFrame>(() => this.pump()); // the queue has room again
  // Message decoder state across chunks: header bytes read (code + u32 length), body bytes left.
  private readonly header = new Uint8Array(5);
  private headerAt = 0;
  private left = 0;
  private code = 0;
  // The frame being filled.
  private frame: Uint8Array;
  private at: number;
  private rows = 0;

  constructor(
    private readonly text: string,
    private readonly head: number,
    private readonly batchBytes: number,
  ) {
    this.frame = new Uint8Array(head + batchBytes);
    this.at = head;
  }

  /** Called by pg when this query's turn comes: takes the socket from pg's parser. */
  submit(connection: PgConnection): void {
    this.connection = connection;
    const stream = connection.stream;
    const listeners = stream.listeners('data') as ((data: Buffer) => void)[];
    if (listeners.length !== 1) throw new Error(`internal: expected one data listener on the PostgreSQL socket, found ${listeners.length}`);
    this.pgHandler = listeners[0];
    stream.removeListener('data', this.pgHandler);
    stream.pause();
    stream.on('readable', this.onReadable);
    connection.query(this.text);
    this.pump();
  }

  /** The next frame of whole rows; null after the last. */
  next(): Promise<CopyFrame | null> {
    return this.ready.next();
  }

  /** Stops reading the socket (the connection is thrown away by its owner). */
  abandon(): void {
    if (this.connection && !this.detached) this.connection.stream.removeListener('readable', this.onReadable);
    this.detached = true;
  }

  private pump(): void {
    if (this.pumping || this.detached || !this.connection) return;
    this.pumping = true;
    try {
      let chunk: Buffer | null;
      // Two frames waiting are enough: the socket (and the server) wait for the consumer.
      while (this.ready.length < 2 && !this.detached && (chunk = this.connection.stream.read() as Buffer | null) !== null) this.parse(chunk);
    } finally {
      this.pumping = false;
    }
  }

  private parse(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    // A message body begun in an earlier chunk.
    if (this.left > 0) {
      const take = Math.min(this.left, n);
      if (this.code === MSG_COPY_DATA) this.append(chunk, 0, take);
      i = take;
      this.left -= take;
      if (this.left > 0) return;
      if (this.endOfMessage(chunk, i)) return;
    }
    // Whole CopyData bodies of this chunk are copied in one run from `runStart` and closed up.
    while (i < n) {
      if (this.headerAt === 0 && n - i >= 5) {
        const code = chunk[i];
        if (code === MSG_ERROR) return this.detach(chunk, i);
        const length = u32At(chunk, i + 1);
        const body = length - 4;
        const start = i + 5;
        this.code = code;
        if (code === MSG_COPY_DATA && start + body <= n) {
          i = this.copyRun(chunk, i);
          continue;
        }
        const take = Math.min(body, n - start);
        if (code === MSG_COPY_DATA) {
          if (this.at + body > this.frame.length) this.room(body); // the whole row goes in this frame
          this.append(chunk, start, start + take);
        }
        i = start + take;
        this.left = body - take;
        if (this.left > 0) return;
        if (this.endOfMessage(chunk, i)) return;
        continue;
      }
      // A header split across chunks.
      if (this.headerAt === 0 && chunk[i] === MSG_ERROR) return this.detach(chunk, i);
      while (this.headerAt < 5 && i < n) this.header[this.headerAt++] = chunk[i++];
      if (this.headerAt < 5) return;
      this.headerAt = 0;
      this.code = this.header[0];
      this.left = u32At(this.header, 1) - 4;
      const take = Math.min(this.left, n - i);
      if (this.code === MSG_COPY_DATA) {
        if (this.at + this.left > this.frame.length) this.room(this.left); // the whole row goes in this frame
        this.append(chunk, i, i + take);
      }
      i += take;
      this.left -= take;
      if (this.left > 0) return;
      if (this.endOfMessage(chunk, i)) return;
    }
  }

  /**
   * Copies the whole CopyData messages from `i` on (as many as fit in the frame, at least the
   * first: a full frame goes out first) into the frame with one set(), then closes up their
   * bodies in place, dropping the 5-byte message headers. Returns where the copied run ends.
   */
  private copyRun(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    const space = this.frame.length - this.at;
    let end = i;
    let count = 0;
    // Whole CopyData messages whose raw bytes (headers included) fit in the space.
    while (end + 5 <= n && chunk[end] === MSG_COPY_DATA) {
      const next = end + 1 + u32At(chunk, end + 1);
      if (next > n || next - i > space) break;
      end = next;
      count++;
    }
    if (count === 0) {
      // The first row does not fit with its header: a frame of its own size (or a fresh frame).
      const body = u32At(chunk, i + 1) - 4;
      this.room(body);
      this.frame.set(chunk.subarray(i + 5, i + 5 + body), this.at);
      this.at += body;
      this.rows++;
      return i + 5 + body;
    }
    const frame = this.frame;
    const base = this.at - i; // frame position of chunk byte k is base + k, before closing up
    frame.set(chunk.subarray(i, end), this.at);
    let to = this.at;
    for (let k = i; k < end; ) {
      const next = k + 1 + u32At(chunk, k + 1);
      frame.copyWithin(to, base + k + 5, base + next);
      to += next - k - 5;
      k = next;
    }
    this.at = to;
    this.rows += count;
    return end;
  }

  /** Part of a CopyData body split across chunks. */
  private append(chunk: Uint8Array, from: number, to: number): void {
    const size = to - from;
    if (this.at + size > this.frame.length) this.room(size, true); // room() was made for the whole row; a safeguard
    this.frame.set(chunk.subarray(from, to), this.at);
    this.at += size;
  }

  /** A message is complete (its body was appended); true when the COPY is over. */
  private endOfMessage(chunk: Uint8Array, next: number): boolean {
    if (this.code === MSG_COPY_DATA) {
      this.rows++;
      return false;
    }
    if (this.code !== MSG_COPY_DONE) return false; // CopyOutResponse, notices, parameter status
    this.emit();
    this.detach(chunk, next);
    this.ready.end();
    return true;
  }

  /**
   * Makes room for `size` more bytes: a frame holding rows goes out first (rows are never split
   * between frames); a row larger than a frame gets a frame of its own size.
   */
  private room(size: number, partial = false): void {
    if (!partial && this.at > this.head) this.emit();
    if (this.at + size <= this.frame.length) return;
    // One row longer than a frame (or a row continued across chunks): grow the frame.
    const bigger = new Uint8Array(Math.max(this.at + size, this.frame.length * 2));
    bigger.set(this.frame.subarray(0, this.at));
    this.frame = bigger;
  }

  private emit(): void {
    if (this.at === this.head) return;
    this.ready.push({ frame: this.at === this.frame.length ? this.frame : this.frame.subarray(0, this.at), rows: this.rows });
    this.frame = new Uint8Array(this.head + this.batchBytes);
    this.at = this.head;
    this.rows = 0;
  }

  /** Gives the socket back to pg's parser, with the bytes from `from` on. */
  private detach(chunk: Uint8Array, from: number): void {
    const stream = this.connection!.stream;
    const handler = this.pgHandler!;
    this.detached = true;
    stream.removeListener('readable', this.onReadable);
    stream.on('data', handler);
    if (from < chunk.length) handler(Buffer.from(chunk.buffer, chunk.byteOffset + from, chunk.length - from));
    // pg's handler may pause the socket itself; resume once it has returned.
    process.nextTick(() => stream.resume());
  }

  handleError(error: Error): void {
    this.ready.fail(error);
    this.abandon();
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {}
}
