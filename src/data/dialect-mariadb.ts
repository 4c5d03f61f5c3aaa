// MariaDB / MySQL: capture in a consistent snapshot (START TRANSACTION WITH CONSISTENT SNAPSHOT,
// READ ONLY), streaming every value as the server's text (or bytes for binary columns) so nothing
// passes through JS numbers or Dates; restore with large multi-row INSERTs in one transaction with
// foreign-key checks off for the session (InnoDB moves AUTO_INCREMENT past explicit keys itself).
import type { Sequelize } from 'sequelize';
import { Readable } from 'node:stream';
import type { ModelInfo } from './manifest.js';
import { quoteIdent, quoteTable } from './manifest.js';
import { FRAME_HEAD, type RowBatch, type SourceReader, type TargetTable, type TargetWriter } from './dialect-types.js';
import type { Cell } from './format.js';
import { ByteWriter, CellCursor, CellTag, SqliteNumber } from './format.js';
import { FLOAT_TYPES, NUMERIC_TYPES } from './convert.js';
import { CaptureError, RestoreError } from '../errors.js';
import { acquireConnection, rowsOf, type CastColumn, type MariaConnection } from './mariadb-connection.js';
import { protocolOf, RawRows, rawSocketOf } from './mariadb-rows.js';

const BATCH_BYTES = 256 << 10;
// Below 128 KiB the driver sends a statement from its 128 KiB packet buffer (a larger one makes
// it allocate 1 MiB per statement); measured at 1M rows: peak 125 -> 117 MiB, same time.
const STATEMENT_BYTES = 120 << 10;
const q = (name: string) => quoteIdent('mariadb', name);
const qt = (t: { table: string; schema?: string }) => quoteTable('mariadb', t);


async function serverVersionOf(conn: MariaConnection): Promise<string> {
  return String((await rowsOf(conn, 'SELECT VERSION() AS v'))[0].v);
}

async function migrationsOf(conn: MariaConnection): Promise<string[] | null> {
  const exists = await rowsOf(conn, "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'SequelizeMeta'");
  if (Number(exists[0].n) === 0) return null;
  return (await rowsOf(conn, 'SELECT `name` FROM `SequelizeMeta` ORDER BY `name`')).map((r) => String(r.name));
}

/** Off only in tests, to compare the server-encoded path with the per-value one byte for byte. */
let serverEncoding = true;
export function setMariaServerEncoding(on: boolean): void {
  serverEncoding = on;
}

/** Off only in tests, to compare the socket reader (mariadb-rows.ts) with the driver's paths. */
let rawReads = true;
export function setMariaRawReads(on: boolean): void {
  rawReads = on;
}

/**
 * Binary-protocol rows for tables with a floating-point column (mariadb-binary.ts makes the
 * text): on by default. The server skips its double-to-text conversion (its CPU about halves on
 * the 1M-row bench); since the value copy allocates nothing (RawRows.value), peak memory stays
 * within the text path's. Tests turn it off to compare.
 */
let binaryReads = true;
export function setMariaBinaryReads(on: boolean): void {
  binaryReads = on;
}

function onFileCellsNeeded(model: ModelInfo, onFileCells: unknown): boolean {
  return Boolean(onFileCells) && model.columns.some((c) => c.field === 'FILE' || c.field === 'FILE_PATH');
}

// Server types whose text (the column CAST AS BINARY) is the text the protocol sends for it: both
// come from the field's own val_str. "Plain" ones print as ASCII without commas and never as an
// empty string; the others are bounded text or bytes. FLOAT (read as DOUBLE), BIT, JSON and
// anything larger stay one result column each.
const PLAIN_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'decimal', 'double', 'date', 'datetime', 'timestamp', 'time', 'year']);
const SIZED_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'binary', 'varbinary', 'tinyblob', 'blob', 'enum', 'set']);
const PACKED_CELL_BYTES = 65535;
const PACKED_RUN_BYTES = 256 << 10; // one packed value stays far below max_allowed_packet

/** A run of columns the server packs into one value per row; `sized[k]` false = plain column k. */
interface PackedRun {
  sized: boolean[];
  tags: number[];
}
/** One result column: a packed run, or model column `column` (`binary`: as its bytes, cast by the server). */
type PlanPart = { sql: string; column: number; run?: PackedRun; binary?: boolean };
// Types whose bytes (CAST AS BINARY, converted to the results charset) are the text the protocol
// sends, however long: a column of these is read as one binary value without a cast callback.
const BYTES_TYPES = new Set([...PLAIN_TYPES, ...SIZED_TYPES, 'mediumtext', 'longtext', 'mediumblob', 'longblob']);

/**
 * The select list of a capture. The driver's per-value cost (a cast callback per value) dominates
 * capture, so runs of small columns come as one value per row, packed by the server:
 * comma-separated parts, a plain column as its text ('' for NULL), a sized one as
 * `<byte length>:<bytes>` ('N' for NULL). unpackRun() turns that into RowsCells cells.
 * Exported for tests.
 */
export async function capturePlan(conn: MariaConnection, model: ModelInfo): Promise<PlanPart[]> {
  const info = await rowsOf(
    conn,
    'SELECT column_name AS n, data_type AS t, character_octet_length AS o, character_set_name AS c, is_nullable AS nl, @@character_set_results AS r, @@max_allowed_packet AS p FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?',
    [model.schema ?? null, model.table],
  );
  const byName = new Map(info.map((r) => [String(r.n), r]));
  const parts: PlanPart[] = [];
  // A run's parts: a sized column's SQL, or a plain column (its SQL is chosen when the run closes).
  let sql: (string | { col: string; nullable: boolean })[] = [];
  let run: PackedRun = { sized: [], tags: [] };
  let first = 0;
  let runBytes = 0;
  const textOf = (col: string, r: Record<string, unknown>, results: string | null) =>
    r.c !== null && r.c !== 'binary' && results !== null && r.c !== results ? `CAST(CONVERT(${col} USING ${results}) AS BINARY)` : `CAST(${col} AS BINARY)`;
  const single = (i: number) => {
    const c = model.columns[i];
    const r = byName.get(c.column);
    const results = resultsOf(r);
    if (r && !FLOAT_TYPES.has(c.type) && BYTES_TYPES.has(String(r.t).toLowerCase()) && safeCharset(results)) parts.push({ sql: textOf(q(c.column), r, results), column: i, binary: true });
    else parts.push({ sql: FLOAT_TYPES.has(c.type) ? `CAST(${q(c.column)} AS DOUBLE)` : q(c.column), column: i });
  };
  const close = () => {
    // A plain column prints the same text inside CONCAT_WS as cast alone. With a sized column
    // (cast to binary) in the run the whole value is binary and plain columns need no cast of
    // their own (5-10% of the server's time on a packed row); otherwise each keeps its cast.
    const binaryRun = run.sized.includes(true);
    const args = sql.map((part) => {
      if (typeof part === 'string') return part;
      const v = binaryRun ? part.col : `CAST(${part.col} AS BINARY)`;
      return part.nullable ? `IFNULL(${v}, '')` : v;
    });
    if (sql.length > 1) parts.push({ sql: `CONCAT_WS(',', ${args.join(', ')})`, column: -1, run });
    else if (sql.length === 1) single(first);
    sql = [];
    run = { sized: [], tags: [] };
    runBytes = 0;
  };
  model.columns.forEach((c, i) => {
    const r = byName.get(c.column);
    const type = r ? String(r.t).toLowerCase() : '';
    const results = resultsOf(r);
    const bytes = r?.o === null || r?.o === undefined ? 64 : Number(r.o);
    const plain = PLAIN_TYPES.has(type);
    const packable = r && (!FLOAT_TYPES.has(c.type) || type === 'double') && (plain || (SIZED_TYPES.has(type) && bytes <= PACKED_CELL_BYTES)) && safeCharset(results);
    if (!packable) {
      close();
      single(i);
      return;
    }
    // A packed value longer than max_allowed_packet would come back NULL (the server cuts it).
    if (runBytes + bytes + 8 > Math.min(PACKED_RUN_BYTES, Number(r.p) / 4)) close();
    if (!sql.length) first = i;
    const col = q(c.column);
    // IFNULL only where NULL can occur (it costs the server about 10% per column).
    const nullable = r.nl !== 'NO';
    if (plain) sql.push({ col, nullable });
    else {
      // Text in the charset the protocol would have sent it in. Most columns already are in it:
      // no CONVERT then (it costs the server about 25% of a packed row), and LENGTH of the column
      // itself (its bytes) rather than of a second cast.
      const v = textOf(col, r, results);
      const length = v.startsWith('CAST(CONVERT') ? `LENGTH(${v})` : `LENGTH(${col})`;
      sql.push(nullable ? `IFNULL(CONCAT(${length}, ':', ${v}), 'N')` : `CONCAT(${length}, ':', ${v})`);
    }
    run.sized.push(!plain);
    run.tags.push(c.type === 'BLOB' ? CellTag.Bytes : CellTag.Text);
    runBytes += bytes + 8;
  });
  close();
  return parts;
}

/** The charset values are sent in (null: as stored). */
function resultsOf(r: Record<string, unknown> | undefined): string | null {
  return r && r.r !== null && r.r !== 'binary' ? String(r.r) : null;
}

/** A charset name that can go into the SQL as is. */
function safeCharset(results: string | null): boolean {
  return results === null || /^[a-z0-9_]+$/.test(results);
}

/** Makes room for `bytes` more bytes in `out` (ByteWriter grows itself only per call). */
function reserve(out: ByteWriter, bytes: number): void {
  if (out.buffer.length - out.length >= bytes) return;
  const length = out.length;
  out.length += bytes - 1;
  out.byte(0); // grows the buffer to hold length + bytes, keeping its first `length` bytes
  out.length = length;
}

const malformed = (table: string) => new CaptureError(`reading ${table}: a packed row is malformed (a server type printing unlike its kind?)`);

/**
 * Writes the cells of one packed run value (see capturePlan) to `out`: per cell a tag, a varint
 * length and the bytes. One pass over the value with the output position in a local (profiled:
 * per-cell calls and indexOf were the largest client cost of a capture after the driver's).
 */
function unpackRun(out: ByteWriter, value: Buffer, run: PackedRun, table: string): void {
  const end = value.length;
  const { sized, tags } = run;
  // Per cell the output adds at most a tag and 3 varint bytes (cells are < 2 MiB) to its bytes.
  reserve(out, end + 4 * sized.length);
  const target = out.buffer;
  let o = out.length;
  let at = 0;
  for (let k = 0; k < sized.length; k++) {
    if (k) {
      if (value[at] !== 0x2c) throw malformed(table);
      at++;
    }
    if (!sized[k]) {
      // Plain text: ASCII, no comma, shorter than 128 bytes (one varint byte): copied while
      // looking for its end, the length filled in after.
      const head = o;
      const start = at;
      o += 2;
      while (at < end) {
        const b = value[at];
        if (b === 0x2c) break;
        target[o++] = b;
        at++;
      }
      const length = at - start;
      if (length === 0) {
        target[head] = CellTag.Null;
        o = head + 1;
      } else if (length < 128) {
        target[head] = tags[k];
        target[head + 1] = length;
      } else throw malformed(table);
    } else if (value[at] === 0x4e) {
      target[o++] = CellTag.Null;
      at++;
    } else {
      let length = 0;
      let b = value[at];
      const digits = at;
      while (b >= 0x30 && b <= 0x39) {
        length = length * 10 + (b - 0x30);
        b = value[++at];
      }
      if (at === digits || b !== 0x3a || at + 1 + length > end) throw malformed(table);
      at++;
      target[o++] = tags[k];
      if (length < 0x80) target[o++] = length;
      else if (length < 0x4000) {
        target[o++] = (length & 0x7f) | 0x80;
        target[o++] = length >>> 7;
      } else {
        target[o++] = (length & 0x7f) | 0x80;
        target[o++] = ((length >>> 7) & 0x7f) | 0x80;
        target[o++] = length >>> 14;
      }
      // Most cells are short: a loop beats Buffer.copy's per-call cost.
      if (length <= 48) for (let i = 0; i < length; i++) target[o++] = value[at + i];
      else {
        value.copy(target, o, at, at + length);
        o += length;
      }
      at += length;
    }
  }
  if (at !== end) throw malformed(table);
  out.length = o;
}

/** A batch read from the server and, for models with file columns, the paths in its rows. */
interface ReadBatch {
  batch: RowBatch & { kind: 'framed' };
  fileRows: Cell[][] | null;
}

/** The select list of a model's capture (packed runs, or one result column per model column). */
interface Selection {
  sql: string;
  /** Result column i: a packed run, or the model column it reads as text. */
  runs: (PackedRun | undefined)[];
  single: number[];
  /** Every result column is bytes cast by the server: rows are read without a cast callback. */
  bytes: boolean;
}

async function selectionOf(conn: MariaConnection, model: ModelInfo, packed: boolean): Promise<Selection> {
  // FLOAT's text has 6 significant digits (lossy); as DOUBLE it prints exactly, and the
  // same text loads back into the FLOAT column as the same float.
  const plan = packed ? await capturePlan(conn, model) : null;
  if (plan) {
    return {
      sql: plan.map((part, i) => `${part.sql} AS \`c${i}\``).join(', '),
      runs: plan.map((part) => part.run),
      single: plan.map((part) => part.column),
      bytes: plan.every((part) => part.run || part.binary),
    };
  }
  return {
    sql: model.columns.map((c, i) => `${FLOAT_TYPES.has(c.type) ? `CAST(${q(c.column)} AS DOUBLE)` : q(c.column)} AS \`c${i}\``).join(', '),
    runs: [],
    single: model.columns.map((_, i) => i),
    bytes: false,
  };
}

/**
 * Streams the rows of `SELECT <selection> FROM table` as RowsCells frames. Text
 * protocol: every value arrives as the server's own text (bytes for binary columns), and its
 * bytes go straight into the RowsCells encoding: no JS string per value, no row objects kept.
 * `onBroken` is called when the result is left unread (the connection must then be thrown away).
 */
async function* streamRows(conn: MariaConnection, model: ModelInfo, selection: Selection, withFiles: boolean, onBroken: () => void): AsyncGenerator<ReadBatch> {
  const binary = model.columns.map((c) => c.type === 'BLOB');
  const { runs, single } = selection;
  const width = single.length;
  const fileColumns = withFiles ? model.columns.map((c) => c.field === 'FILE' || c.field === 'FILE_PATH') : [];
  const needsCells = fileColumns.some(Boolean);
  const out = new ByteWriter(BATCH_BYTES + (1 << 16));
  out.length = FRAME_HEAD;
  let encodedRows = 0;
  let fileRows: Cell[][] = [];
  let fileRow: Cell[] = [];
  let at = 0;
  let failure: Error | null = null;
  /** Encodes the next value of the result (values come row by row, columns in order). */
  const encode = (value: Buffer | null) => {
    const i = at;
    at = at + 1 === width ? 0 : at + 1;
    const run = runs[i];
    if (run) {
      // Thrown inside the driver's socket handler an error would escape: kept for the loop.
      if (failure) return;
      if (value === null) failure = new CaptureError(`reading ${model.table}: the server returned no packed row`, { model: model.name, hint: 'raise max_allowed_packet' });
      else {
        try {
          unpackRun(out, value, run, model.table);
        } catch (error) {
          failure = error as Error;
        }
      }
    } else if (value === null) out.byte(CellTag.Null);
    else {
      out.byte(binary[single[i]] ? CellTag.Bytes : CellTag.Text);
      out.varint(value.length);
      out.bytes(value);
    }
    if (needsCells) fileRow[i] = fileColumns[i] && value !== null ? value.toString('utf8') : null;
    if (at === 0) {
      encodedRows++;
      if (needsCells) {
        fileRows.push(fileRow);
        fileRow = [];
      }
    }
  };
  // Without a cast callback the driver hands each row as an array of byte views (no callback,
  // bound function and closures per value: about a third of the client's time); otherwise
  // typeCast encodes each value as it is parsed and the driver's rows (all nulls) are drained.
  const typeCast = (column: CastColumn) => {
    encode(column.buffer());
    return null;
  };
  const take = (): ReadBatch => {
    const frame = new Uint8Array(out.buffer.subarray(0, out.length));
    const rows = encodedRows;
    out.length = FRAME_HEAD;
    encodedRows = 0;
    const files = needsCells ? fileRows : null;
    fileRows = [];
    return { batch: { kind: 'framed', frame, rows }, fileRows: files };
  };
  const sql = `SELECT ${selection.sql} FROM ${qt(model)}`;
  // typeCast false also turns off the one Sequelize sets on its connections.
  const stream = conn.queryStream({ sql, rowsAsArray: true, typeCast: selection.bytes ? false : typeCast }) as unknown as Readable;
  // Rows are encoded as the driver emits them ('data', flowing: none waits in the stream's
  // buffer, so the byte views of the bytes path die young); the stream is paused while a full
  // batch waits for the consumer (the driver then pauses the socket).
  let done = false;
  let ready: ReadBatch | null = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on('data', (row: (Buffer | null)[]) => {
    if (failure) return;
    if (selection.bytes) {
      for (let i = 0; i < width; i++) {
        const value = row[i];
        if (value !== null && !Buffer.isBuffer(value)) {
          failure = new CaptureError(`reading ${model.table}: the driver did not return a binary value as bytes`);
          break;
        }
        encode(value);
      }
    }
    if (failure || out.length >= BATCH_BYTES) {
      if (!failure) ready = take();
      stream.pause();
      signal();
    }
  });
  stream.on('end', () => {
    done = true;
    signal();
  });
  stream.on('error', (e: Error) => {
    failure = e;
    signal();
  });
  let finished = false;
  try {
    for (;;) {
      if (failure) throw failure;
      if (ready) {
        const batch = ready;
        ready = null;
        yield batch;
        if (!done) stream.resume();
        continue;
      }
      if (done) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (encodedRows) yield take();
    finished = true;
  } finally {
    // Stopped mid-result (the consumer went away, or an error): the rest of the result is
    // still on the wire; the connection is thrown away rather than read to the end.
    if (!finished) onBroken();
  }
}

/**
 * Streams the rows of a model read off the driver's socket (mariadb-rows.ts): plain columns, as
 * `SELECT *` would (the server's cheapest way to send them; packing them costs it 30-60% more),
 * each value's bytes straight into the frame.
 */
async function* rawRows(conn: MariaConnection, model: ModelInfo, onBroken: () => void): AsyncGenerator<ReadBatch> {
  const selection = await selectionOf(conn, model, false);
  const socket = rawSocketOf(conn);
  if (!socket) throw new CaptureError('internal: the MariaDB socket went away between statements');
  const info = (conn as unknown as { info: { status: number } }).info;
  const tags = model.columns.map((c) => (c.type === 'BLOB' ? CellTag.Bytes : CellTag.Text));
  const reader = new RawRows(tags, protocolOf(conn), FRAME_HEAD, BATCH_BYTES, (status) => (info.status = status));
  let finished = false;
  try {
    // Binary rows only where they save the server its double-to-text conversion: for other
    // columns they save the server little, and making the text here costs more than reading it.
    reader.start(socket, `SELECT ${selection.sql} FROM ${qt(model)}`, binaryReads && model.columns.some((c) => FLOAT_TYPES.has(c.type)));
    for (;;) {
      const read = await reader.next();
      if (!read) break;
      yield { batch: { kind: 'framed', frame: read.frame, rows: read.rows }, fileRows: null };
    }
    finished = true;
  } catch (error) {
    throw new CaptureError(`reading ${model.table}: ${(error as Error).message}`, { model: model.name });
  } finally {
    if (!finished) {
      // Stopped mid-result (the consumer went away, or an error): the socket is closed.
      reader.abandon();
      onBroken();
    }
  }
}

export async function openMariaReader(sequelize: Sequelize, onFileCells?: (model: ModelInfo, rows: Cell[][]) => void): Promise<SourceReader> {
  const { conn, release, destroy } = await acquireConnection(sequelize, 'SELECT');
  let zone = '+00:00';
  let broken = false;
  try {
    zone = String((await rowsOf(conn, 'SELECT @@SESSION.time_zone AS z'))[0].z);
    // TIMESTAMP columns are read (and later written) in UTC; DATETIME is zone-less text anyway.
    await conn.query("SET SESSION time_zone = '+00:00'");
    await conn.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  } catch (error) {
    await release();
    throw error;
  }
  return {
    serverVersion: () => serverVersionOf(conn),
    migrations: () => migrationsOf(conn),
    async *rows(model) {
      if (rawReads && !onFileCellsNeeded(model, onFileCells) && rawSocketOf(conn)) {
        for await (const read of rawRows(conn, model, () => (broken = true))) yield read.batch;
        return;
      }
      const selection = await selectionOf(conn, model, serverEncoding && !onFileCellsNeeded(model, onFileCells));
      for await (const read of streamRows(conn, model, selection, Boolean(onFileCells), () => (broken = true))) {
        if (read.fileRows) onFileCells!(model, read.fileRows);
        yield read.batch;
      }
    },
    async close() {
      if (broken) {
        await destroy();
        return;
      }
      try {
        await conn.query('ROLLBACK');
        await conn.query('SET SESSION time_zone = ?', [zone]);
      } finally {
        await release();
      }
    },
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const NUMBER_RE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function escapeString(value: string): string {
  return "'" + value.replace(/[\0\n\r\x1a'\\]/g, (c) => (c === '\0' ? '\\0' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\x1a' ? '\\Z' : '\\' + c)) + "'";
}

/** A SQL literal for one cell; numbers stay unquoted so BIGINT/DECIMAL never pass through a double. */
export function mariaLiteral(value: Cell, type: string): string {
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) {
    if (value.length === 0) return "''";
    let hex = "X'";
    for (let i = 0; i < value.length; i++) hex += HEX[value[i]];
    return hex + "'";
  }
  return textLiteral(value instanceof SqliteNumber ? value.text : value, type);
}

function textLiteral(text: string, type: string): string {
  if ((NUMERIC_TYPES.has(type) || type === 'BOOLEAN') && NUMBER_RE.test(text)) return text;
  return escapeString(text);
}

/** Appends bytes[start, end) as one LOAD DATA field (tab, newline, backslash and NUL escaped). */
function loadBytes(out: ByteWriter, bytes: Buffer, start: number, end: number): void {
  let from = start;
  for (let j = start; j < end; j++) {
    const b = bytes[j];
    if (b === 0x5c || b === 0x09 || b === 0x0a || b === 0x00) {
      if (j > from) out.bytes(bytes.subarray(from, j));
      out.byte(0x5c);
      out.byte(b === 0x09 ? 0x74 : b === 0x0a ? 0x6e : b === 0x00 ? 0x30 : 0x5c);
      from = j + 1;
    }
  }
  if (end > from) out.bytes(bytes.subarray(from, end));
}

const LOAD_CHUNK = 256 << 10;
// The driver holds a LOAD's whole file in one packet buffer until it ends (growing it 16 KiB,
// 128 KiB, 1 MiB, then 16 MiB): statements under 1 MiB never reach the 16 MiB one.
const LOAD_STATEMENT_BYTES = 1000 << 10;

/** Appends one LOAD DATA field (tab, newline, backslash and NUL escaped; NULL as \N). */
function loadField(out: ByteWriter, value: Cell): void {
  if (value === null) {
    out.byte(0x5c);
    out.byte(0x4e);
    return;
  }
  if (value instanceof Uint8Array) {
    for (let i = 0; i < value.length; i++) {
      const b = value[i];
      if (b === 0x5c || b === 0x09 || b === 0x0a || b === 0x00) {
        out.byte(0x5c);
        out.byte(b === 0x09 ? 0x74 : b === 0x0a ? 0x6e : b === 0x00 ? 0x30 : 0x5c);
      } else out.byte(b);
    }
    return;
  }
  const text = value instanceof SqliteNumber ? value.text : value;
  out.raw(/[\\\t\n\0]/.test(text) ? text.replace(/[\\\t\n\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\0')) : text);
}

/**
 * Whether the application allows LOAD DATA LOCAL INFILE: dialectOptions.permitLocalInfile (the
 * mariadb driver's option); with mysql2 (which takes no such option and sends local files by
 * default) dialectOptions.flags listing LOCAL_FILES.
 */
function localInfileAllowed(sequelize: Sequelize): boolean {
  const options = (sequelize as unknown as { options: { dialectOptions?: { permitLocalInfile?: boolean; flags?: string | string[] } } }).options.dialectOptions;
  if (sequelize.getDialect() !== 'mysql') return options?.permitLocalInfile === true;
  const flags = Array.isArray(options?.flags) ? options.flags : String(options?.flags ?? '').split(',');
  return flags.some((f) => f.trim().toUpperCase().replace(/^\+/, '') === 'LOCAL_FILES');
}

export async function openMariaWriter(sequelize: Sequelize): Promise<TargetWriter> {
  const { conn, release } = await acquireConnection(sequelize, 'INSERT');
  // LOAD DATA LOCAL INFILE streams rows (several times faster than INSERTs) when the application
  // allows it; used for tables that start empty.
  const localInfile = localInfileAllowed(sequelize);
  let loadStatementBytes = LOAD_STATEMENT_BYTES;
  // The file of a LOAD is a Readable fed by push(). Once the driver reads it (flowing), a push
  // reaches the driver's 'data' handler at once, which copies the bytes into its packet buffer:
  // the chunk buffer is then reused, so a load allocates no buffer per chunk (unreferenced chunk
  // buffers piled up as external memory between collections: 80 MiB at 1M rows).
  let load: { t: TargetTable; stream: Readable; done: Promise<{ affectedRows: number; warningStatus: number }>; rows: number; bytes: number; failed: Error | null; pulled: (() => void) | null } | null = null;
  let chunk = new ByteWriter(LOAD_CHUNK + (64 << 10));
  const startLoad = (t: TargetTable) => {
    const sql = `LOAD DATA LOCAL INFILE 'dbs-restore' INTO TABLE ${qt(t)} CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${t.columns.map(q).join(', ')})`;
    const l = { t, stream: null as unknown as Readable, done: null as unknown as Promise<{ affectedRows: number; warningStatus: number }>, rows: 0, bytes: 0, failed: null as Error | null, pulled: null as (() => void) | null };
    l.stream = new Readable({
      highWaterMark: LOAD_CHUNK,
      read() {
        const p = l.pulled;
        l.pulled = null;
        p?.();
      },
    });
    l.done = conn.query({ sql, infileStreamFactory: () => l.stream }) as Promise<{ affectedRows: number; warningStatus: number }>;
    l.done.catch((e: Error) => {
      l.failed = e;
      l.stream.destroy();
      const p = l.pulled;
      l.pulled = null;
      p?.();
    });
    load = l;
  };
  /** Hands the chunk's bytes to the load; waits while the driver is not reading. */
  const pushChunk = async (l: NonNullable<typeof load>) => {
    if (l.failed) throw l.failed;
    const bytes = chunk.buffer.subarray(0, chunk.length);
    l.bytes += chunk.length;
    const more = l.stream.push(bytes);
    if (l.stream.readableLength > 0) chunk = new ByteWriter(LOAD_CHUNK + (64 << 10)); // kept by the stream: not reusable
    chunk.length = 0;
    if (!more) {
      await new Promise<void>((resolve) => {
        l.pulled = resolve;
      });
      if (l.failed) throw l.failed;
    }
  };
  const finishLoad = async () => {
    const l = load!;
    load = null;
    l.stream.push(null);
    const r = await l.done;
    // LOCAL loads turn errors into warnings and skip duplicate keys: any warning, or a row
    // count that differs, fails the restore (which rolls everything back).
    if (Number(r.affectedRows) !== l.rows || Number(r.warningStatus) > 0) {
      const warnings = (await rowsOf(conn, 'SHOW WARNINGS LIMIT 3')).map((w) => String(w.Message)).join('; ');
      throw new RestoreError(`loading ${l.t.table}: ${Number(r.affectedRows)} of ${l.rows} rows loaded${warnings ? `: ${warnings}` : ''}`, { model: l.t.model });
    }
  };
  let saved: { sql_mode: string; time_zone: string } | null = null;
  let current: { t: TargetTable; upsert: boolean; head: string; tail: string; values: string; size: number } | null = null;

  // One statement in flight while the next is built: the server inserts while Node encodes.
  let inflight: Promise<unknown> | null = null;
  const settle = async () => {
    const p = inflight;
    inflight = null;
    if (p) await p;
  };
  const flushStatement = async () => {
    if (!current || current.size === 0) return;
    const sql = current.head + current.values + current.tail;
    current.values = '';
    current.size = 0;
    await settle();
    inflight = conn.query(sql);
    inflight.catch(() => {}); // awaited by settle(); this only avoids an unhandled rejection
  };

  return {
    async begin() {
      const s = await rowsOf(conn, 'SELECT @@SESSION.sql_mode AS m, @@SESSION.time_zone AS z');
      saved = { sql_mode: String(s[0].m), time_zone: String(s[0].z) };
      // NO_AUTO_VALUE_ON_ZERO: an explicit key 0 is a key, not "generate one".
      await conn.query("SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'NO_AUTO_VALUE_ON_ZERO')");
      await conn.query("SET SESSION time_zone = '+00:00'");
      await conn.query('SET SESSION foreign_key_checks = 0');
      if (localInfile) {
        const packet = Number((await rowsOf(conn, 'SELECT @@max_allowed_packet AS p'))[0].p);
        loadStatementBytes = Math.max(64 << 10, Math.min(LOAD_STATEMENT_BYTES, Math.floor(packet / 2)));
      }
      await conn.query('START TRANSACTION');
    },
    serverVersion: () => serverVersionOf(conn),
    migrations: () => migrationsOf(conn),
    async hasRows(t) {
      const r = await rowsOf(conn, `SELECT EXISTS (SELECT 1 FROM ${qt(t)}) AS has`);
      return String(r[0].has) === '1';
    },
    async relaxConstraints() {
      // foreign_key_checks = 0 was set in begin(): rows load in any order, cycles included.
    },
    async deleteAll(tables) {
      for (const t of tables) await conn.query(`DELETE FROM ${qt(t)}`);
    },
    async beginTable(t, upsert) {
      const cols = t.columns.map(q).join(', ');
      if (localInfile && !upsert) {
        startLoad(t);
        return;
      }
      let tail = '';
      if (upsert && t.primaryKey.length) {
        const rest = t.columns.filter((c) => !t.primaryKey.includes(c));
        const target = rest.length ? rest : t.primaryKey;
        tail = ` ON DUPLICATE KEY UPDATE ${target.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`;
      }
      current = { t, upsert, head: `INSERT INTO ${qt(t)} (${cols}) VALUES `, tail, values: '', size: 0 };
    },
    acceptsEncoded: true,
    async writeBatch(batch) {
      if (batch.kind !== 'cells' && batch.kind !== 'encoded') throw new RestoreError('internal: COPY text handed to the MariaDB writer');
      if (load) {
        let l = load;
        const send = async () => {
          await pushChunk(l);
          if (l.bytes >= loadStatementBytes) {
            // Several statements per long table (same transaction): each stays below 1 MiB in
            // the driver's buffer and far below max_allowed_packet.
            await finishLoad();
            startLoad(l.t);
            l = load!;
          }
        };
        if (batch.kind === 'encoded') {
          const cursor = new CellCursor(batch.cells);
          for (let r = 0; r < batch.rows; r++) {
            for (let i = 0; i < batch.columns; i++) {
              if (i) chunk.byte(0x09);
              cursor.next();
              if (cursor.tag === CellTag.Null) {
                chunk.byte(0x5c);
                chunk.byte(0x4e);
              } else loadBytes(chunk, cursor.bytes, cursor.start, cursor.end);
            }
            chunk.byte(0x0a);
            l.rows++;
            if (chunk.length >= LOAD_CHUNK) await send();
          }
          if (!cursor.done) throw new RestoreError('row record has bytes after its last row');
        } else {
          for (const row of batch.rows) {
            for (let i = 0; i < row.length; i++) {
              if (i) chunk.byte(0x09);
              loadField(chunk, row[i]);
            }
            chunk.byte(0x0a);
            l.rows++;
            if (chunk.length >= LOAD_CHUNK) await send();
          }
        }
        return; // the rest of the chunk goes with the next batch, or in endTable()
      }
      if (!current) throw new Error('writeBatch before beginTable');
      const types = current.t.types;
      if (batch.kind === 'encoded') {
        const cursor = new CellCursor(batch.cells);
        const src = cursor.bytes;
        for (let r = 0; r < batch.rows; r++) {
          let tuple = current.size ? ',(' : '(';
          for (let i = 0; i < batch.columns; i++) {
            if (i) tuple += ',';
            cursor.next();
            const { tag, start, end } = cursor;
            if (tag === CellTag.Null) tuple += 'NULL';
            else if (tag === CellTag.Bytes) tuple += end > start ? `X'${src.toString('hex', start, end)}'` : "''";
            else tuple += textLiteral(src.toString('utf8', start, end), types[i]);
          }
          tuple += ')';
          current.values += tuple;
          current.size += tuple.length;
          if (current.size >= STATEMENT_BYTES) await flushStatement();
        }
        if (!cursor.done) throw new RestoreError('row record has bytes after its last row');
        return;
      }
      for (const row of batch.rows) {
        let tuple = current.size ? ',(' : '(';
        for (let i = 0; i < row.length; i++) tuple += (i ? ',' : '') + mariaLiteral(row[i], types[i]);
        tuple += ')';
        current.values += tuple;
        current.size += tuple.length;
        if (current.size >= STATEMENT_BYTES) await flushStatement();
      }
    },
    async endTable() {
      if (load) {
        if (chunk.length) await pushChunk(load);
        await finishLoad();
        return;
      }
      await flushStatement();
      await settle();
      current = null;
    },
    async finish() {
      await conn.query('SET SESSION foreign_key_checks = 1');
    },
    async commit() {
      await conn.query('COMMIT');
    },
    async rollback() {
      current = null;
      chunk.length = 0;
      if (load) {
        load.stream.destroy();
        await load.done.catch(() => {});
        load = null;
      }
      await settle().catch(() => {});
      await conn.query('ROLLBACK').catch(() => {});
    },
    async release() {
      try {
        await conn.query('SET SESSION foreign_key_checks = 1').catch(() => {});
        if (saved) {
          await conn.query('SET SESSION sql_mode = ?', [saved.sql_mode]).catch(() => {});
          await conn.query('SET SESSION time_zone = ?', [saved.time_zone]).catch(() => {});
        }
      } finally {
        await release();
      }
    },
  };
}
