// Cross-dialect value conversion. A cell is captured in its source database's own representation;
// restoring into the same dialect uses it unchanged. Into another dialect it is converted by its
// logical type (the Sequelize type key) into the target's representation of the same value.
import { Cell, CellTag, SqliteNumber } from './format.js';
import { RestoreError } from '../errors.js';
import { decodeBytea } from './pgcopy.js';

export type Dialect = 'postgres' | 'mariadb' | 'mysql' | 'sqlite';

export interface Side {
  dialect: Dialect;
  /** Sequelize's `timezone` option: '+00:00', '-05:00', 'UTC' or an IANA name. */
  timezone: string;
  /** Logical type key (STRING, BIGINT, DATE, ...). */
  type: string;
  /** For ARRAY: the element type key. */
  arrayOf?: string;
  /** The column's type as the database declares it (lower case), when known. */
  dbType?: string;
}

export const INTEGER_TYPES = new Set(['INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'MEDIUMINT']);
export const FLOAT_TYPES = new Set(['FLOAT', 'REAL', 'DOUBLE', 'DOUBLE PRECISION']);
export const NUMERIC_TYPES = new Set([...INTEGER_TYPES, ...FLOAT_TYPES, 'DECIMAL', 'NUMERIC']);

/** The same family of storage (mariadb and mysql share one). */
export function sameFamily(a: Dialect, b: Dialect): boolean {
  const f = (d: Dialect) => (d === 'mysql' ? 'mariadb' : d);
  return f(a) === f(b);
}

function text(cell: Exclude<Cell, null>): string {
  if (typeof cell === 'string') return cell;
  if (cell instanceof Uint8Array) return Buffer.from(cell).toString('utf8');
  return cell.text;
}

// ---- dates ----------------------------------------------------------------------------------

/** One formatter per IANA zone (building one costs far more than using it). */
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset in minutes east of UTC of `zone` at the instant `epochMs`. */
export function zoneOffset(zone: string, epochMs: number): number {
  const fixed = /^([+-])(\d{1,2}):?(\d{2})$/.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
  if (zone === 'Z' || zone.toUpperCase() === 'UTC') return 0;
  let format = zoneFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    zoneFormats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(epochMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60000);
}

interface Instant {
  /** Milliseconds since the epoch (UTC). */
  ms: number;
  /** Fraction digits beyond milliseconds ('' or e.g. '456' for microseconds). */
  extra: string;
}

const DATE_RE = /^(\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/;

/**
 * The offset of `zone` that makes the wall time `local` (as if UTC, ms) real. A wall time that
 * occurs twice (clocks going back) takes the earlier instant, one that never occurs (clocks going
 * forward) the offset from before the change: both as moment-timezone, which Sequelize reads and
 * writes zone-less timestamps with.
 */
function wallOffset(zone: string, local: number): number {
  const DAY = 86_400_000;
  const before = zoneOffset(zone, local - DAY);
  const after = zoneOffset(zone, local + DAY);
  for (const offset of before >= after ? [before, after] : [after, before]) {
    if (zoneOffset(zone, local - offset * 60000) === offset) return offset;
  }
  return before;
}

/** Parses a timestamp; one without an offset is read in `zone`. */
export function parseTimestamp(value: string, zone: string): Instant {
  const m = DATE_RE.exec(value.trim());
  if (!m) throw new RestoreError(`cannot read "${value}" as a timestamp`);
  const frac = (m[7] ?? '').padEnd(3, '0');
  const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), Number(frac.slice(0, 3)));
  let offset: number;
  if (m[8]) offset = m[8] === 'Z' ? 0 : zoneOffset(m[8].length === 3 ? `${m[8]}:00` : m[8], local);
  else offset = wallOffset(zone, local);
  return { ms: local - offset * 60000, extra: frac.slice(3).replace(/0+$/, '') };
}

/** The same zone under another spelling ('UTC' and '+00:00', '+2:00' and '+02:00') compares equal. */
export function canonicalZone(zone: string): string {
  const fixed = /^([+-])(\d{1,2}):?(\d{2})$/.exec(zone);
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3]);
    return minutes === 0 ? '+00:00' : `${fixed[1]}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  }
  return /^(Z|UTC|GMT|Etc\/UTC|Etc\/GMT|UCT|Universal|Zulu)$/i.test(zone) ? '+00:00' : zone;
}

/**
 * How a column's timestamps are written: 'instant' when the text carries its offset (PostgreSQL
 * timestamptz, Sequelize's SQLite text), else the zone its zone-less wall time is in. MariaDB
 * TIMESTAMP is read and written in a '+00:00' session; DATETIME and PostgreSQL `timestamp without
 * time zone` hold wall time in the application's `timezone` (Sequelize writes them so). Without
 * the declared type (older backups) a column is taken to be what Sequelize's DATE creates.
 */
export function timestampZone(side: Side): string {
  const t = side.dbType ?? '';
  if (side.dialect === 'postgres') return /^timestamp\b/.test(t) && !t.includes('with time zone') ? canonicalZone(side.timezone) : 'instant';
  if (side.dialect === 'sqlite') return 'instant';
  return t.startsWith('timestamp') ? '+00:00' : canonicalZone(side.timezone);
}

/**
 * Whether DATE cells may change between these two columns of the same dialect family: only when
 * their zones differ. A PostgreSQL backup without declared types (older) shifts whenever the
 * applications' zones differ; its cells then say themselves whether they carry an offset.
 */
export function shiftsTimestamps(from: Side, to: Side): boolean {
  if (from.type !== 'DATE' || to.type !== 'DATE' || !sameFamily(from.dialect, to.dialect)) return false;
  if (from.dialect === 'postgres' && from.dbType === undefined) return canonicalZone(from.timezone) !== canonicalZone(to.timezone);
  const a = timestampZone(from);
  const b = timestampZone(to);
  // SQLite text carries its offset; the same instant needs no new text there (Sequelize allows SQLite no other zone).
  if (a === 'instant' && b === 'instant') return from.dialect !== 'postgres' && canonicalZone(from.timezone) !== canonicalZone(to.timezone);
  return a !== b;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats an instant as local wall time in `zone`: 'YYYY-MM-DD HH:MM:SS.fff[fff]' and the offset.
 * `digits`: at least this many fraction digits (0: trailing zeros dropped), or exactly this many
 * when `exact`.
 */
function wallTime(instant: Instant, zone: string, digits: number, exact = false): { text: string; offset: string } {
  const offset = zoneOffset(zone, instant.ms);
  const d = new Date(instant.ms + offset * 60000);
  let fraction = pad(d.getUTCMilliseconds(), 3) + instant.extra;
  if (exact) fraction = fraction.padEnd(digits, '0').slice(0, digits);
  else if (digits === 0) fraction = fraction.replace(/0+$/, '');
  else fraction = fraction.padEnd(digits, '0');
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return {
    text: `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction ? '.' + fraction : ''}`,
    offset: `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`,
  };
}

/** The instant of a captured timestamp: its own offset if it has one, else its column's zone. */
function readTimestamp(value: string, from: Side): Instant {
  const zone = timestampZone(from);
  return parseTimestamp(value, zone === 'instant' ? from.timezone : zone);
}

/** The target column's text for an instant; `digits` as in wallTime (exact when above 0). */
function writeTimestamp(instant: Instant, to: Side, digits: number): string {
  const zone = timestampZone(to);
  if (to.dialect === 'postgres') return zone === 'instant' ? `${wallTime(instant, '+00:00', 0).text}+00` : wallTime(instant, zone, 0).text;
  if (to.dialect === 'sqlite') {
    // Sequelize's own form ('YYYY-MM-DD HH:MM:SS.SSS +HH:MM'): text comparisons in queries stay right.
    const w = wallTime(instant, to.timezone, Math.max(3, digits));
    return `${w.text} ${w.offset}`;
  }
  return wallTime(instant, zone, digits, digits > 0).text;
}

/**
 * The same instant for a column of the same dialect family whose zone differs (see
 * timestampZone): MariaDB DATETIME keeps its count of fraction digits. Values that are no
 * instant (PostgreSQL infinity, MariaDB zero dates, SQLite non-dates) stay as they are.
 */
function shiftTimestamp(value: string, from: Side, to: Side): Cell {
  if (!/^\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]\d\d:\d\d/.test(value) || /^0000-/.test(value)) return value;
  const instant = readTimestamp(value, from);
  const digits = /\.(\d+)/.exec(value)?.[1].length ?? 0;
  return writeTimestamp(instant, to, digits);
}

// ---- PostgreSQL arrays ------------------------------------------------------------------------

/** Parses a PostgreSQL array literal ('{a,"b c",NULL}') into nested arrays of strings/null. */
export function parsePgArray(literal: string): unknown[] {
  let i = 0;
  const parse = (): unknown[] => {
    if (literal[i] !== '{') throw new RestoreError(`cannot read "${literal}" as a PostgreSQL array`);
    i++;
    const out: unknown[] = [];
    if (literal[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (literal[i] === '{') out.push(parse());
      else if (literal[i] === '"') {
        i++;
        let s = '';
        while (literal[i] !== '"') {
          if (literal[i] === '\\') i++;
          s += literal[i++];
        }
        i++;
        out.push(s);
      } else {
        let s = '';
        while (literal[i] !== ',' && literal[i] !== '}') s += literal[i++];
        out.push(s === 'NULL' ? null : s);
      }
      if (literal[i] === ',') i++;
      else if (literal[i] === '}') {
        i++;
        return out;
      } else throw new RestoreError(`cannot read "${literal}" as a PostgreSQL array`);
    }
  };
  return parse();
}

export function formatPgArray(values: unknown[]): string {
  return `{${values
    .map((v) => {
      if (v === null || v === undefined) return 'NULL';
      if (Array.isArray(v)) return formatPgArray(v);
      const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    })
    .join(',')}}`;
}

function arrayToJson(values: unknown[], element?: string): unknown[] {
  const numeric = element !== undefined && NUMERIC_TYPES.has(element) && !['DECIMAL', 'NUMERIC', 'BIGINT'].includes(element);
  const bool = element === 'BOOLEAN';
  return values.map((v) => (Array.isArray(v) ? arrayToJson(v, element) : v === null ? null : numeric ? Number(v) : bool ? v === 't' || v === 'true' : v));
}

// ---- the conversion -------------------------------------------------------------------------

function isBoolTrue(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 't' || v === 'true' || v === '1' || v === 'y' || v === 'yes' || v === 'on') return true;
  if (v === 'f' || v === 'false' || v === '0' || v === 'n' || v === 'no' || v === 'off') return false;
  throw new RestoreError(`cannot read "${value}" as a boolean`);
}

/**
 * Converts one captured cell from the source column to the target column. Same dialect and same
 * logical type: returned unchanged (the database's own representation, byte for byte).
 */
export function convertCell(cell: Cell, from: Side, to: Side): Cell {
  if (cell === null) return null;
  if (sameFamily(from.dialect, to.dialect) && from.type === to.type) {
    if (!shiftsTimestamps(from, to)) return cell;
    return shiftTimestamp(text(cell), from, to);
  }
  const target = to.type;

  if (target === 'BLOB') {
    if (cell instanceof Uint8Array) return cell;
    const t = text(cell);
    return from.dialect === 'postgres' && t.startsWith('\\x') ? decodeBytea(t) : new TextEncoder().encode(t);
  }
  if (cell instanceof Uint8Array && from.type === 'BLOB') {
    // Bytes into a text-like column: keep them as UTF-8 text when they are, else fail loudly.
    try {
      cell = new TextDecoder('utf-8', { fatal: true }).decode(cell);
    } catch {
      throw new RestoreError(`binary value of ${cell.length} bytes cannot go into a ${target} column`);
    }
  }
  const value = text(cell);

  if (target === 'BOOLEAN') {
    const b = isBoolTrue(value);
    if (to.dialect === 'postgres') return b ? 't' : 'f';
    if (to.dialect === 'sqlite') return new SqliteNumber(CellTag.Int, b ? '1' : '0');
    return b ? '1' : '0';
  }
  if (from.type === 'BOOLEAN' && INTEGER_TYPES.has(target)) {
    const b = isBoolTrue(value) ? '1' : '0';
    return to.dialect === 'sqlite' ? new SqliteNumber(CellTag.Int, b) : b;
  }
  if (target === 'DATE' && (from.type === 'DATE' || /^\d{4}-\d\d-\d\d[ T]/.test(value))) {
    if (/^-?infinity$/i.test(value)) {
      if (to.dialect === 'postgres') return value.toLowerCase();
      throw new RestoreError(`timestamp "${value}" has no equivalent in ${to.dialect}`);
    }
    return writeTimestamp(readTimestamp(value, from), to, 0);
  }
  if (target === 'DATEONLY' && from.type === 'DATE') return value.slice(0, 10);
  if (INTEGER_TYPES.has(target)) {
    if (to.dialect === 'sqlite' && /^-?\d+$/.test(value)) return new SqliteNumber(CellTag.Int, value);
    return value;
  }
  if (FLOAT_TYPES.has(target)) {
    if (to.dialect === 'sqlite') {
      const n = Number(value.replace(/^(-?)Infinity$/i, '$1Infinity'));
      if (!Number.isNaN(n)) return new SqliteNumber(CellTag.Real, String(n));
    }
    if (to.dialect !== 'postgres' && /^(-?Infinity|NaN)$/i.test(value)) throw new RestoreError(`float value ${value} has no equivalent in ${to.dialect}`);
    return value;
  }
  if (from.type === 'ARRAY' && from.dialect === 'postgres' && target !== 'ARRAY') {
    return JSON.stringify(arrayToJson(parsePgArray(value), from.arrayOf));
  }
  if (target === 'ARRAY' && to.dialect === 'postgres') {
    if (from.type === 'ARRAY' && from.dialect === 'postgres') return value;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new RestoreError(`cannot read "${value.slice(0, 80)}" as an array (JSON text expected)`);
    }
    if (!Array.isArray(parsed)) throw new RestoreError(`value "${value.slice(0, 80)}" is not an array`);
    return formatPgArray(parsed);
  }
  return value;
}
