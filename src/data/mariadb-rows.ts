// A text-protocol result set read off the mariadb driver's socket, straight into RowsCells
// frames: no driver row, Buffer or callback per value (those were most of the client's time).
// The socket is taken from the driver while no command of its own runs (its one 'data' listener
// is set aside), the query goes out as a COM_QUERY packet, every packet of the answer is read
// here, and the driver gets the socket back after the result's last packet.
// Per value the protocol sends a length-encoded string (0xFB = NULL); it becomes a cell: tag,
// varint length, the same bytes. Packets of 16 MiB - 1 (0xFFFFFF) continue in the next one.
import type { Duplex } from 'node:stream';
import { MAX_RECORD } from './format.js';
import { FrameQueue } from './frame-queue.js';
import { binaryColumnOf, decodeValue, Decode, type BinaryColumn } from './mariadb-binary.js';

const MAX_PHYSICAL = 0xffffff;
const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;
const COM_STMT_CLOSE = 0x19;
const MARIADB_CLIENT_EXTENDED_METADATA = 1n << 35n;
const MARIADB_CLIENT_CACHE_METADATA = 1n << 36n;
/** Longer values are copied natively (one view object per value is cheap next to their bytes). */
const WORD_COPY_MAX = 512;
const CLIENT_COMPRESS = 0x20n;

/** A finished frame: `head` free bytes, then the cells of `rows` whole rows. */
export interface CellFrame {
  frame: Uint8Array;
  rows: number;
}

/** What this reader needs of the driver's connection (the mariadb package's promise API). */
interface DriverConnection {
  info?: { eofDeprecated?: boolean; clientCapabilities?: bigint | number; status?: number; collation?: { charset?: string } } | null;
  __tests?: { getSocket?: () => unknown };
}

/** The connection's socket when this reader can use it, else null (the caller reads through the driver). */
export function rawSocketOf(conn: unknown): Duplex | null {
  const c = conn as DriverConnection;
  const info = c.info;
  if (!info || typeof info.eofDeprecated !== 'boolean') return null;
  // Compressed packets would need inflating first: left to the driver.
  if (info.clientCapabilities === undefined || (BigInt(info.clientCapabilities) & CLIENT_COMPRESS) !== 0n) return null;
  let socket: unknown;
  try {
    socket = c.__tests?.getSocket?.();
  } catch {
    return null;
  }
  const s = socket as Duplex | undefined;
  if (!s || typeof s.listeners !== 'function' || typeof s.write !== 'function' || s.destroyed) return null;
  if (s.listeners('data').length !== 1) return null;
  return s;
}

export class ServerError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly sqlState: string,
  ) {
    super(message);
  }
}

/** Results read per protocol (tests check which one a capture took). */
export const rawResults = { binary: 0, text: 0 };

/** The protocol features of a connection that change how its packets read. */
export interface Protocol {
  /** Column lists and results end with an OK packet (0xFE header), not an EOF packet. */
  eofDeprecated: boolean;
  /** Column definitions carry extended type information. */
  extendedMetadata: boolean;
  /** A result's column count is followed by a "metadata follows" byte. */
  cacheMetadata: boolean;
}

/** The protocol features negotiated on a mariadb driver connection. */
export function protocolOf(conn: unknown): Protocol {
  const info = (conn as DriverConnection).info!;
  const caps = BigInt(info.clientCapabilities ?? 0);
  return {
    eofDeprecated: Boolean(info.eofDeprecated),
    extendedMetadata: (caps & MARIADB_CLIENT_EXTENDED_METADATA) !== 0n,
    cacheMetadata: (caps & MARIADB_CLIENT_CACHE_METADATA) !== 0n,
  };
}

/** Where the answer to the query is. */
const enum Phase {
  /** Binary protocol: the answer to COM_STMT_PREPARE, its parameter and column definitions. */
  Prepared,
  PreparedParams,
  PreparedColumns,
  PreparedEof,
  First,
  Columns,
  ColumnsEof,
  Rows,
  Done,
}

export class RawRows {
  private socket: Duplex | null = null;
  private driverHandler: ((data: Buffer) => void) | null = null;
  // Chunks come as the socket emits them (flowing; read() in paused mode joins buffered chunks
  // into new buffers); the socket is paused while maxReady frames wait for the consumer.
  private readonly onData = (chunk: Buffer) => {
    try {
      this.parse(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (!this.detached && this.ready.length >= this.maxReady) {
      this.paused = true;
      this.socket!.pause();
    }
  };
  private readonly onClose = () => this.fail(new Error('the connection closed while rows were read'));
  private readonly onError = (e: Error) => this.fail(e);
  private paused = false;
  private detached = true;
  private readonly ready = new FrameQueue<CellFrame>(() => this.resumeIfRoom());
  // Packet state across chunks: header bytes read, body bytes left of the current physical packet.
  private readonly header = new Uint8Array(4);
  private headerAt = 0;
  private left = 0;
  private physical = 0;
  // A logical packet not wholly inside one chunk (or longer than one physical packet).
  private carry: Buffer = Buffer.alloc(0);
  private carryAt = 0;
  private carrying = false;
  private phase = Phase.First;
  private columnsLeft = 0;
  // Binary protocol: the statement, its columns' decoding (null: the text protocol is used).
  private sql = '';
  private statement = -1;
  private paramsLeft = 0;
  private binary: BinaryColumn[] | null = null;
  private readonly decoded = [0, 0];
  private preparedColumns: (BinaryColumn | null)[] = [];
  // The frame being filled, and a view of it for word copies.
  private frame: Uint8Array;
  private frameView: DataView;
  // A view of the bytes rows are read from (a socket chunk or the carry buffer), made once per buffer.
  private source: Uint8Array | null = null;
  private sourceView: DataView | null = null;
  private at: number;
  private rows = 0;
  // Where value() writes next in the frame.
  private out = 0;

  private readonly eofDeprecated: boolean;

  /**
   * `tags[k]` is the cell tag of result column k (the result must have exactly that many
   * columns). `protocol`: the features the driver negotiated (how column lists and results end,
   * what column definitions hold).
   */
  constructor(
    private readonly tags: readonly number[],
    private readonly protocol: Protocol,
    private readonly head: number,
    private readonly batchBytes: number,
    private readonly onStatus?: (status: number) => void,
    /** Frames read ahead of the consumer before the socket waits (and with it the server). */
    private readonly maxReady = 2,
    /** Called once the result's last packet is read (frames may still wait for the consumer). */
    private readonly onEnd?: () => void,
  ) {
    this.eofDeprecated = protocol.eofDeprecated;
    this.frame = new Uint8Array(head + batchBytes);
    this.frameView = new DataView(this.frame.buffer);
    this.at = head;
  }

  /**
   * Sends `sql` on `socket` (no command of the driver may be running) and starts reading the
   * answer. `binary`: as a prepared statement when every result column's text can be made from
   * its binary value (else as a text query, decided on the prepared statement's columns).
   */
  start(socket: Duplex, sql: string, binary = false): void {
    const listeners = socket.listeners('data') as ((data: Buffer) => void)[];
    if (listeners.length !== 1) throw new Error(`internal: expected one data listener on the MariaDB socket, found ${listeners.length}`);
    this.socket = socket;
    this.driverHandler = listeners[0];
    this.detached = false;
    socket.removeListener('data', this.driverHandler);
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    this.sql = sql;
    if (binary) {
      this.phase = Phase.Prepared;
      this.command(COM_STMT_PREPARE, Buffer.from(sql, 'utf8'));
    } else {
      rawResults.text++;
      this.command(COM_QUERY, Buffer.from(sql, 'utf8'));
    }
  }

  /** Writes a command packet (sequence number 0). */
  private command(code: number, body: Buffer): void {
    if (body.length + 1 >= MAX_PHYSICAL) throw new Error('internal: capture statement too long');
    const packet = Buffer.allocUnsafe(5 + body.length);
    const length = body.length + 1;
    packet[0] = length & 0xff;
    packet[1] = (length >>> 8) & 0xff;
    packet[2] = length >>> 16;
    packet[3] = 0; // a command's first packet
    packet[4] = code;
    body.copy(packet, 5);
    this.socket!.write(packet);
  }

  /** The statement's id as a command body, with `extra` bytes after it. */
  private statementBody(extra: number[]): Buffer {
    const id = this.statement;
    return Buffer.from([id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24, ...extra]);
  }

  /** The prepared statement's columns are known: executes it, or reads the result as text instead. */
  private execute(columns: (BinaryColumn | null)[]): void {
    if (columns.every((c) => c !== null)) {
      this.binary = columns as BinaryColumn[];
      rawResults.binary++;
      // flags 0 (no cursor), iteration count 1, no parameters
      this.command(COM_STMT_EXECUTE, this.statementBody([0, 1, 0, 0, 0]));
    } else {
      this.command(COM_STMT_CLOSE, this.statementBody([]));
      this.statement = -1;
      rawResults.text++;
      this.command(COM_QUERY, Buffer.from(this.sql, 'utf8'));
    }
    this.phase = Phase.First;
  }

  /** The next frame of whole rows; null after the last. */
  next(): Promise<CellFrame | null> {
    return this.ready.next();
  }

  /** After the consumer took a frame: the socket reads on once there is room again. */
  private resumeIfRoom(): void {
    if (this.paused && this.ready.length < this.maxReady && !this.detached) {
      this.paused = false;
      this.socket!.resume();
    }
  }

  /**
   * Stops reading mid-result: the rest of the result is still on the wire and nothing can make
   * sense of the connection any more, so its socket is closed (its owner throws it away).
   */
  abandon(): void {
    if (this.detached || !this.socket) return;
    this.unhook();
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (this.ready.settled) return;
    this.ready.fail(error);
    this.abandon();
  }

  private unhook(): void {
    const socket = this.socket!;
    this.detached = true;
    this.source = this.sourceView = null; // no socket chunk kept past the result
    socket.removeListener('data', this.onData);
    socket.removeListener('close', this.onClose);
    socket.removeListener('error', this.onError);
  }

  /** Splits a socket chunk into packets; whole logical packets inside it are read in place. */
  private parse(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n && !this.detached) {
      if (this.left === 0) {
        // A packet header (4 bytes: length u24 LE, sequence number).
        if (this.headerAt === 0 && n - i >= 4) {
          this.physical = chunk[i] | (chunk[i + 1] << 8) | (chunk[i + 2] << 16);
          i += 4;
        } else {
          while (this.headerAt < 4 && i < n) this.header[this.headerAt++] = chunk[i++];
          if (this.headerAt < 4) return;
          this.headerAt = 0;
          this.physical = this.header[0] | (this.header[1] << 8) | (this.header[2] << 16);
        }
        this.left = this.physical;
        if (this.physical === 0) {
          // An empty packet: ends a logical packet of exactly n * 0xFFFFFF bytes (or is one).
          this.endOfPhysical(chunk, i);
          continue;
        }
        // Fast path: a whole logical packet inside this chunk.
        if (!this.carrying && this.physical < MAX_PHYSICAL && n - i >= this.physical) {
          const end = i + this.physical;
          this.left = 0;
          this.packet(chunk, i, end, chunk, end);
          i = end;
          continue;
        }
      }
      const take = Math.min(this.left, n - i);
      this.append(chunk, i, i + take);
      i += take;
      this.left -= take;
      if (this.left === 0) this.endOfPhysical(chunk, i);
    }
  }

  /** A physical packet's body is in the carry buffer: a logical packet ends with one shorter than 0xFFFFFF. */
  private endOfPhysical(chunk: Buffer, next: number): void {
    if (this.physical === MAX_PHYSICAL) {
      this.carrying = true;
      return;
    }
    const carry = this.carry;
    const length = this.carryAt;
    this.carrying = false;
    this.carryAt = 0;
    // A large carry buffer is not kept for the rest of the result.
    if (carry.length > 1 << 20) this.carry = Buffer.alloc(0);
    this.packet(carry, 0, length, chunk, next);
  }

  private append(chunk: Buffer, from: number, to: number): void {
    this.carrying = true;
    const need = this.carryAt + (to - from);
    if (need > MAX_RECORD) throw new Error(`a row of the result is larger than ${MAX_RECORD} bytes`);
    if (need > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.left + this.carryAt + (to - from), this.carry.length * 2, 4096));
      this.carry.copy(bigger, 0, 0, this.carryAt);
      this.carry = bigger;
    }
    this.carry.set(chunk.subarray(from, to), this.carryAt);
    this.carryAt = need;
  }

  /**
   * One logical packet, bytes[start, end). The socket's bytes after it start at chunk[next]
   * (given to the driver after the result's last packet).
   */
  private packet(bytes: Buffer, start: number, end: number, chunk: Buffer, next: number): void {
    const first = end > start ? bytes[start] : -1;
    switch (this.phase) {
      case Phase.Prepared: {
        if (first === 0xff) return this.serverError(bytes, start, end, chunk, next);
        if (first !== 0x00 || end - start < 12) throw new Error('unexpected answer to a statement prepare');
        this.statement = (bytes[start + 1] | (bytes[start + 2] << 8) | (bytes[start + 3] << 16) | (bytes[start + 4] << 24)) >>> 0;
        const columns = bytes[start + 5] | (bytes[start + 6] << 8);
        this.paramsLeft = bytes[start + 7] | (bytes[start + 8] << 8);
        if (columns !== this.tags.length) throw new Error(`the capture query has ${columns} columns, expected ${this.tags.length}`);
        this.columnsLeft = columns;
        this.preparedColumns = [];
        this.phase = this.paramsLeft ? Phase.PreparedParams : Phase.PreparedColumns;
        return;
      }
      case Phase.PreparedParams:
        if (--this.paramsLeft === 0) this.phase = this.eofDeprecated ? Phase.PreparedColumns : Phase.PreparedEof;
        return;
      case Phase.PreparedColumns:
        this.preparedColumns.push(this.columnDefinition(bytes, start, end));
        if (--this.columnsLeft === 0) {
          if (this.eofDeprecated) this.execute(this.preparedColumns);
          else this.phase = Phase.PreparedEof;
        }
        return;
      case Phase.PreparedEof:
        if (first !== 0xfe) throw new Error('expected the end of a column list');
        if (this.preparedColumns.length === this.tags.length) this.execute(this.preparedColumns);
        else this.phase = Phase.PreparedColumns; // the end of the parameter list
        return;
      case Phase.First: {
        if (first === 0xff) return this.serverError(bytes, start, end, chunk, next);
        if (first === 0x00 || first === 0xfb) throw new Error('the capture query returned no result set');
        const count = lengthAt(bytes, start, end);
        if (count.value !== this.tags.length) throw new Error(`the capture query returned ${count.value} columns, expected ${this.tags.length}`);
        this.columnsLeft = this.tags.length;
        this.phase = Phase.Columns;
        // An executed statement's columns may be left out (the client has them from the prepare).
        if (this.binary && this.protocol.cacheMetadata && count.next < end && bytes[count.next] === 0) {
          this.columnsLeft = 0;
          this.phase = this.eofDeprecated ? Phase.Rows : Phase.ColumnsEof;
        }
        return;
      }
      case Phase.Columns:
        if (first === 0xff) return this.serverError(bytes, start, end, chunk, next);
        if (--this.columnsLeft === 0) this.phase = this.eofDeprecated ? Phase.Rows : Phase.ColumnsEof;
        return;
      case Phase.ColumnsEof:
        if (first !== 0xfe) throw new Error('expected the end of the column list');
        this.phase = Phase.Rows;
        return;
      case Phase.Rows:
        if (first === 0xff) return this.serverError(bytes, start, end, chunk, next);
        // 0xFE starts a row only as the 8-byte length of a first value of 16 MiB or more.
        if (first === 0xfe && end - start < (this.eofDeprecated ? MAX_PHYSICAL : 9)) return this.endOfRows(bytes, start, end, chunk, next);
        if (this.binary) this.binaryRow(bytes, start, end);
        else this.row(bytes, start, end);
        return;
      default:
        throw new Error('internal: a packet after the end of the result');
    }
  }

  /** Writes one row's cells to the frame. */
  private row(src: Buffer, start: number, end: number): void {
    const tags = this.tags;
    const width = tags.length;
    // Per cell the output adds a tag and at most one varint byte more than its length prefix.
    const bound = end - start + 2 * width;
    if (this.at + bound > this.frame.length) this.room(bound);
    this.out = this.at;
    let p = start;
    for (let k = 0; k < width; k++) p = this.value(src, p, end, tags[k]);
    if (p !== end) throw new Error('a row packet holds more values than the result has columns');
    this.at = this.out;
    this.rows++;
    if (this.at - this.head >= this.batchBytes) this.emit();
  }

  /**
   * Copies the length-encoded value at `p` of `src` (a length prefix, then its bytes; 0xFB: NULL)
   * to the frame at `this.out` as a cell tagged `tag`, and moves `this.out` past it. Returns where
   * the next value starts. The caller made room (at most 2 bytes more than the value's bytes).
   */
  private value(src: Buffer, p: number, end: number, tag: number): number {
    const out = this.frame;
    let o = this.out;
    if (p >= end) throw new Error('a row packet ends before its last value');
    let length = src[p++];
    if (length >= 0xfb) {
      if (length === 0xfb) {
        out[o] = 0; // CellTag.Null
        this.out = o + 1;
        return p;
      }
      if (length === 0xfc) {
        length = src[p] | (src[p + 1] << 8);
        p += 2;
      } else if (length === 0xfd) {
        length = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
        p += 3;
      } else if (length === 0xfe) {
        if (src[p + 4] | src[p + 5] | src[p + 6] | src[p + 7]) throw new Error('a value longer than 4 GiB');
        length = (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16)) + src[p + 3] * 0x1000000;
        p += 8;
      } else throw new Error('a row packet holds an invalid length');
    }
    if (p + length > end) throw new Error('a row packet ends inside a value');
    out[o++] = tag;
    // varint (LEB128) length: values here stay far below 2^28 (MAX_RECORD).
    let v = length;
    while (v >= 0x80) {
      out[o++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[o++] = v;
    // Values up to WORD_COPY_MAX are copied here: Buffer.copy makes a view object per call (on
    // Node 20), and one per value filled the young generation (22 MiB per 1M rows), which
    // raised the capture's peak RSS by ~8 MiB. Past 8 bytes, words beat a byte loop.
    if (length <= 8) for (let j = 0; j < length; j++) out[o++] = src[p + j];
    else if (length <= WORD_COPY_MAX) {
      if (src !== this.source) {
        this.source = src;
        this.sourceView = new DataView(src.buffer, src.byteOffset, src.length);
      }
      const srcView = this.sourceView!;
      const outView = this.frameView;
      let j = 0;
      for (; j + 8 <= length; j += 8) {
        outView.setUint32(o + j, srcView.getUint32(p + j));
        outView.setUint32(o + j + 4, srcView.getUint32(p + j + 4));
      }
      for (; j < length; j++) out[o + j] = src[p + j];
      o += length;
    } else {
      src.copy(out, o, p, p + length);
      o += length;
    }
    this.out = o;
    return p + length;
  }

  /** A column definition packet: how its binary values become text (null: not reproduced here). */
  private columnDefinition(bytes: Uint8Array, start: number, end: number): BinaryColumn | null {
    let p = start;
    // catalog, schema, table, original table, name, original name
    for (let k = 0; k < 6; k++) {
      const s = lengthAt(bytes, p, end);
      p = s.next + s.value;
    }
    if (this.protocol.extendedMetadata) {
      const x = lengthAt(bytes, p, end);
      p = x.next + x.value;
    }
    p = lengthAt(bytes, p, end).next; // length of the fixed fields
    if (p + 10 > end) throw new Error('a column definition ends early');
    const type = bytes[p + 6];
    const flags = bytes[p + 7] | (bytes[p + 8] << 8);
    const decimals = bytes[p + 9];
    return binaryColumnOf(type, flags, decimals);
  }

  /** Writes one binary-protocol row's cells (the text each value has in the text protocol). */
  private binaryRow(src: Buffer, start: number, end: number): void {
    const tags = this.tags;
    const columns = this.binary!;
    const width = tags.length;
    const nulls = start + 1;
    let p = nulls + ((width + 9) >> 3);
    if (src[start] !== 0x00 || p > end) throw new Error('a binary row packet is malformed');
    // Per cell a tag and varint more than its length prefix, or up to 64 bytes of made text.
    const bound = end - start + 66 * width;
    if (this.at + bound > this.frame.length) this.room(bound);
    const out = this.frame;
    const decoded = this.decoded;
    let o = this.at;
    for (let k = 0; k < width; k++) {
      const bit = k + 2;
      if (src[nulls + (bit >> 3)] & (1 << (bit & 7))) {
        out[o++] = 0; // CellTag.Null
        continue;
      }
      const column = columns[k];
      if (column.decode !== Decode.Bytes) {
        // Text made here is ASCII and shorter than 128 bytes: one varint byte.
        decodeValue(column, src, p, end, out, o + 2, decoded);
        out[o] = tags[k];
        out[o + 1] = decoded[0];
        o += 2 + decoded[0];
        p = decoded[1];
        continue;
      }
      this.out = o;
      p = this.value(src, p, end, tags[k]);
      o = this.out;
    }
    if (p !== end) throw new Error('a row packet holds more values than the result has columns');
    this.at = o;
    this.rows++;
    if (o - this.head >= this.batchBytes) this.emit();
  }

  /** Room for `bound` more bytes: a frame holding rows goes out first; a larger row gets a frame of its own size. */
  private room(bound: number): void {
    if (this.at > this.head) this.emit();
    if (this.at + bound <= this.frame.length) return;
    this.frame = new Uint8Array(this.head + bound);
    this.frameView = new DataView(this.frame.buffer);
  }

  private emit(): void {
    if (this.at === this.head) return;
    this.ready.push({ frame: this.frame.subarray(0, this.at), rows: this.rows });
    this.frame = new Uint8Array(this.head + this.batchBytes);
    this.frameView = new DataView(this.frame.buffer);
    this.at = this.head;
    this.rows = 0;
  }

  private endOfRows(bytes: Uint8Array, start: number, end: number, chunk: Buffer, next: number): void {
    // EOF: 0xFE, warnings u16, status u16. OK (0xFE header): affected rows, insert id (both
    // length-encoded), status u16.
    let p = start + 1;
    if (this.eofDeprecated) {
      p = lengthAt(bytes, p, end).next;
      p = lengthAt(bytes, p, end).next;
    } else p += 2;
    if (p + 2 <= end) this.onStatus?.(bytes[p] | (bytes[p + 1] << 8));
    this.closeStatement();
    this.emit();
    this.phase = Phase.Done;
    this.ready.end();
    this.giveBack(chunk, next);
    this.onEnd?.();
  }

  private serverError(bytes: Uint8Array, start: number, end: number, chunk: Buffer, next: number): void {
    const code = bytes[start + 1] | (bytes[start + 2] << 8);
    let p = start + 3;
    let sqlState = '';
    if (bytes[p] === 0x23) {
      sqlState = Buffer.from(bytes.subarray(p + 1, p + 6)).toString('latin1');
      p += 6;
    }
    const message = Buffer.from(bytes.subarray(p, end)).toString('utf8');
    this.closeStatement();
    this.phase = Phase.Done;
    this.ready.fail(new ServerError(`(${code}) ${message}`, code, sqlState));
    this.giveBack(chunk, next);
  }

  /** COM_STMT_CLOSE (no answer) for a prepared statement. */
  private closeStatement(): void {
    if (this.statement < 0) return;
    this.command(COM_STMT_CLOSE, this.statementBody([]));
    this.statement = -1;
  }

  /** Gives the socket back to the driver, with the bytes from `from` on. */
  private giveBack(chunk: Buffer, from: number): void {
    const socket = this.socket!;
    const handler = this.driverHandler!;
    this.unhook();
    socket.on('data', handler);
    if (from < chunk.length) handler(chunk.subarray(from));
    if (this.paused) socket.resume();
  }
}

/** A length-encoded integer at `at`: its value and where the bytes after it start. */
function lengthAt(bytes: Uint8Array, at: number, end: number): { value: number; next: number } {
  if (at >= end) throw new Error('a packet ends inside a length');
  const b = bytes[at];
  if (b < 0xfb) return { value: b, next: at + 1 };
  if (b === 0xfc) return { value: bytes[at + 1] | (bytes[at + 2] << 8), next: at + 3 };
  if (b === 0xfd) return { value: bytes[at + 1] | (bytes[at + 2] << 8) | (bytes[at + 3] << 16), next: at + 4 };
  if (b === 0xfe) return { value: Number(Buffer.from(bytes.subarray(at + 1, at + 9)).readBigUInt64LE(0)), next: at + 9 };
  throw new Error('a packet holds an invalid length');
}
