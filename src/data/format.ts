// The plaintext payload: framed records (docs/FORMAT.md, section "Payload"). This module only
// frames and parses bytes; it knows nothing of databases. Every record is
//   type u8 | length u32 LE | body (length bytes)
// after an 8-byte magic and a u16 version.
import { createHash, type Hash } from 'node:crypto';
import { FormatError, LimitError, TruncatedError, UnsupportedVersionError } from '../errors.js';
import type { ByteStream } from '../io/types.js';

export const PAYLOAD_MAGIC = new TextEncoder().encode('DBSPAYLD');
export const PAYLOAD_VERSION = 1;
/** A record body larger than this is refused: writers stay far below it (batches are ~256 KiB). */
export const MAX_RECORD = 64 << 20;

export const enum RecordType {
  Header = 0x01,
  TableBegin = 0x02,
  RowsCells = 0x03,
  TableEnd = 0x04,
  RowsPgCopy = 0x05,
  FileBegin = 0x10,
  FileData = 0x11,
  FileEnd = 0x12,
  FileSkipped = 0x13,
  End = 0x7f,
}

/** Cell tags of a RowsCells record. */
export const enum CellTag {
  Null = 0,
  Text = 1,
  Bytes = 2,
  /** SQLite INTEGER storage class, decimal text (exact beyond 2^53). */
  Int = 3,
  /** SQLite REAL storage class, shortest round-trip decimal text. */
  Real = 4,
}

/** One captured value: null, the database's text, raw bytes, or a SQLite integer/real. */
export type Cell = null | string | Uint8Array | SqliteNumber;
export class SqliteNumber {
  constructor(readonly kind: CellTag.Int | CellTag.Real, readonly text: string) {}
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A growable byte buffer for building record bodies. */
export class ByteWriter {
  buffer: Buffer;
  length = 0;
  constructor(initial = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(initial);
  }
  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }
  varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }
  u32(value: number): void {
    this.ensure(4);
    this.buffer[this.length++] = value & 0xff;
    this.buffer[this.length++] = (value >>> 8) & 0xff;
    this.buffer[this.length++] = (value >>> 16) & 0xff;
    this.buffer[this.length++] = (value >>> 24) & 0xff;
  }
  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }
  /** UTF-8 bytes, no length. */
  raw(value: string): void {
    this.ensure(value.length * 3);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }
  /** varint byte length + UTF-8 bytes. */
  text(value: string): void {
    // Worst case 3 bytes per UTF-16 unit. Encode after room for a 5-byte varint, then close the
    // gap when the varint is shorter (Buffer.write allocates nothing per call).
    this.ensure(10 + value.length * 3);
    const start = this.length;
    const written = this.buffer.write(value, start + 5, 'utf8');
    const lengthBytes = varintSize(written);
    if (lengthBytes !== 5) this.buffer.copyWithin(start + lengthBytes, start + 5, start + 5 + written);
    this.varint(written);
    this.length = start + lengthBytes + written;
  }
  cell(value: Cell): void {
    if (value === null) this.byte(CellTag.Null);
    else if (typeof value === 'string') {
      this.byte(CellTag.Text);
      this.text(value);
    } else if (value instanceof Uint8Array) {
      this.byte(CellTag.Bytes);
      this.varint(value.length);
      this.bytes(value);
    } else {
      this.byte(value.kind);
      this.text(value.text);
    }
  }
  take(): Uint8Array {
    const out = new Uint8Array(this.buffer.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}

function varintSize(value: number): number {
  let n = 1;
  let v = value;
  while (v >= 0x80) {
    n++;
    v = Math.floor(v / 0x80);
  }
  return n;
}

/** Reads varints, texts and cells from one record body. */
export class ByteReader {
  offset = 0;
  constructor(readonly body: Uint8Array) {}
  get done(): boolean {
    return this.offset >= this.body.length;
  }
  byte(): number {
    if (this.offset >= this.body.length) throw new FormatError('row record ends inside a value');
    return this.body[this.offset++];
  }
  u32(): number {
    if (this.offset + 4 > this.body.length) throw new FormatError('row record ends inside its row count');
    const b = this.body;
    const o = this.offset;
    this.offset += 4;
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new FormatError('varint longer than 8 bytes in a row record');
  }
  bytes(length: number): Uint8Array {
    if (this.offset + length > this.body.length) throw new FormatError(`value of ${length} bytes runs past the end of its record`);
    // A copy in a plain Uint8Array (the body may be a Buffer, whose slice() is a view).
    const out = new Uint8Array(this.body.subarray(this.offset, this.offset + length));
    this.offset += length;
    return out;
  }
  text(): string {
    const length = this.varint();
    if (this.offset + length > this.body.length) throw new FormatError(`text of ${length} bytes runs past the end of its record`);
    let out: string;
    try {
      out = decoder.decode(this.body.subarray(this.offset, this.offset + length));
    } catch (error) {
      throw new FormatError('a text value in a row record is not valid UTF-8', { offset: this.offset, cause: error });
    }
    this.offset += length;
    return out;
  }
  cell(): Cell {
    const tag = this.byte();
    switch (tag) {
      case CellTag.Null:
        return null;
      case CellTag.Text:
        return this.text();
      case CellTag.Bytes:
        return this.bytes(this.varint());
      case CellTag.Int:
      case CellTag.Real:
        return new SqliteNumber(tag, this.text());
      default:
        throw new FormatError(`unknown cell tag ${tag} in a row record`);
    }
  }
}

/**
 * Walks the cells of a RowsCells body without making a JS value per cell: after next(), `tag`
 * is the cell's tag and [start, end) its data bytes in `bytes`. Bounds are checked.
 */
export class CellCursor {
  offset = 0;
  tag = 0;
  start = 0;
  end = 0;
  readonly bytes: Buffer;
  constructor(cells: Uint8Array) {
    this.bytes = Buffer.from(cells.buffer, cells.byteOffset, cells.length);
  }
  next(): void {
    const b = this.bytes;
    if (this.offset >= b.length) throw new FormatError('row record ends inside a row');
    this.tag = b[this.offset++];
    if (this.tag === CellTag.Null) {
      this.start = this.end = this.offset;
      return;
    }
    if (this.tag > CellTag.Real) throw new FormatError(`unknown cell tag ${this.tag} in a row record`);
    let length = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i === 8 || this.offset >= b.length) throw new FormatError('bad value length in a row record');
      const v = b[this.offset++];
      length += (v & 0x7f) * scale;
      if (v < 0x80) break;
      scale *= 0x80;
    }
    if (this.offset + length > b.length) throw new FormatError(`value of ${length} bytes runs past the end of its record`);
    this.start = this.offset;
    this.end = this.offset + length;
    this.offset = this.end;
  }
  get done(): boolean {
    return this.offset >= this.bytes.length;
  }
}

export function jsonBody(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function parseJsonBody<T>(body: Uint8Array, what: string): T {
  try {
    return JSON.parse(decoder.decode(body)) as T;
  } catch (error) {
    throw new FormatError(`${what} record is not valid UTF-8 JSON`, { cause: error });
  }
}

/** Frames records and hashes everything written, for the End record. */
export class RecordWriter {
  private readonly hash: Hash = createHash('blake2b512');
  bytesWritten = 0;

  preamble(): Uint8Array {
    const out = new Uint8Array(10);
    out.set(PAYLOAD_MAGIC, 0);
    new DataView(out.buffer).setUint16(8, PAYLOAD_VERSION, true);
    return this.account(out);
  }

  record(type: RecordType, body: Uint8Array): Uint8Array {
    if (body.length > MAX_RECORD) throw new LimitError('payload record length', body.length, MAX_RECORD, 'a writer bug: records are kept small');
    const out = new Uint8Array(5 + body.length);
    out[0] = type;
    new DataView(out.buffer).setUint32(1, body.length, true);
    out.set(body, 5);
    return this.account(out);
  }

  /**
   * A rows record built in place: `frame` holds 5 reserved bytes for the record header, then the
   * body. Fills in the header, hashes it, and returns a copy the receiver may keep.
   */
  framed(type: RecordType, frame: Uint8Array): Uint8Array {
    const length = frame.length - 5;
    if (length > MAX_RECORD) throw new LimitError('payload record length', length, MAX_RECORD, 'a writer bug: records are kept small');
    frame[0] = type;
    frame[1] = length & 0xff;
    frame[2] = (length >>> 8) & 0xff;
    frame[3] = (length >>> 16) & 0xff;
    frame[4] = (length >>> 24) & 0xff;
    return this.account(frame);
  }

  /** The End record: carries the BLAKE2b-512 of every byte before it. */
  end(summary: Record<string, unknown>): Uint8Array {
    const digest = this.hash.copy().digest('hex');
    const body = jsonBody({ ...summary, payloadBytes: this.bytesWritten, blake2b512: digest });
    const out = new Uint8Array(5 + body.length);
    out[0] = RecordType.End;
    new DataView(out.buffer).setUint32(1, body.length, true);
    out.set(body, 5);
    this.bytesWritten += out.length;
    return out;
  }

  private account(bytes: Uint8Array): Uint8Array {
    this.hash.update(bytes);
    this.bytesWritten += bytes.length;
    return bytes;
  }
}

export interface PayloadRecord {
  type: RecordType;
  body: Uint8Array;
  /** Byte offset of the record in the payload. */
  offset: number;
}

/**
 * Parses a payload stream into records. Checks the magic and version, bounds every length, and
 * after the End record checks its hash against the bytes read. Throws TruncatedError when the
 * stream stops before the End record.
 */
export async function* readRecords(stream: ByteStream, options: { views?: boolean } = {}): AsyncGenerator<PayloadRecord> {
  // With `views`, a record that lies inside one chunk is handed out as a view of that chunk, not a
  // copy: for callers that only check records and keep no body (the verify pass), it saves copying
  // the whole payload. Bodies then alias the stream's chunks, so they are valid as long as those are.
  const views = options.views === true;
  const hash = createHash('blake2b512');
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let consumed = 0; // bytes of the stream before `pending`
  let sawPreamble = false;
  let sawEnd = false;

  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = pending[0];
      const want = Math.min(n - at, head.length);
      out.set(head.subarray(0, want), at);
      at += want;
      if (want === head.length) pending.shift();
      else pending[0] = head.subarray(want);
    }
    pendingLength -= n;
    consumed += n;
    return out;
  };
  // The next n bytes as a view of the first pending chunk (which holds them all).
  const view = (n: number): Uint8Array => {
    const head = pending[0];
    const out = head.subarray(0, n);
    if (n === head.length) pending.shift();
    else pending[0] = head.subarray(n);
    pendingLength -= n;
    consumed += n;
    return out;
  };
  const peek = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let at = 0;
    for (const part of pending) {
      const want = Math.min(n - at, part.length);
      out.set(part.subarray(0, want), at);
      at += want;
      if (at === n) break;
    }
    return out;
  };

  for await (const chunk of stream) {
    if (chunk.length === 0) continue;
    if (sawEnd) throw new FormatError('bytes follow the payload End record', { offset: consumed });
    pending.push(chunk);
    pendingLength += chunk.length;
    for (;;) {
      if (!sawPreamble) {
        if (pendingLength < 10) break;
        const head = take(10);
        hash.update(head);
        for (let i = 0; i < 8; i++) {
          if (head[i] !== PAYLOAD_MAGIC[i]) throw new FormatError('not a DBS payload (bad magic)', { offset: 0, hint: 'the file is not a DBS backup, or the wrong layer was handed to restore' });
        }
        const version = new DataView(head.buffer).getUint16(8, true);
        if (version !== PAYLOAD_VERSION) throw new UnsupportedVersionError('payload', version, [PAYLOAD_VERSION]);
        sawPreamble = true;
        continue;
      }
      if (pendingLength < 5) break;
      const top = peek(5);
      const type = top[0];
      const length = new DataView(top.buffer).getUint32(1, true);
      if (length > MAX_RECORD) throw new LimitError('payload record length', length, MAX_RECORD);
      if (pendingLength < 5 + length) break;
      const offset = consumed;
      const whole = views && pending[0].length >= 5 + length ? view(5 + length) : take(5 + length);
      const body = whole.subarray(5);
      if (type === RecordType.End) {
        const summary = parseJsonBody<{ blake2b512?: string; payloadBytes?: number }>(body, 'End');
        const digest = hash.digest('hex');
        if (summary.blake2b512 !== digest || summary.payloadBytes !== offset) {
          throw new FormatError('payload hash mismatch: the records do not match the hash in the End record', { offset, hint: 'the backup is damaged or was altered' });
        }
        sawEnd = true;
      } else {
        hash.update(whole);
      }
      yield { type, body, offset };
    }
  }
  if (!sawEnd) throw new TruncatedError(`payload ends after ${consumed + pendingLength} bytes without its End record`, { offset: consumed, hint: 'the backup is incomplete' });
  pending = [];
}

export function utf8(value: string): Uint8Array {
  return encoder.encode(value);
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
