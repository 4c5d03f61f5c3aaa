// PostgreSQL COPY text format (the server's own representation): parse into cells, and write
// cells back. Rows end with '\n', fields are separated by '\t', NULL is '\N', and backslash
// escapes \b \f \n \r \t \v \\ \NNN (octal) \xHH.
import type { Cell } from './format.js';
import { SqliteNumber } from './format.js';
import { FormatError } from '../errors.js';

const TAB = 9;
const LF = 10;
const BACKSLASH = 92;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function unescape(bytes: Uint8Array, start: number, end: number): string {
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b !== BACKSLASH) {
      out.push(b);
      continue;
    }
    const c = bytes[++i];
    switch (c) {
      case 98: out.push(8); break; // \b
      case 102: out.push(12); break; // \f
      case 110: out.push(10); break; // \n
      case 114: out.push(13); break; // \r
      case 116: out.push(9); break; // \t
      case 118: out.push(11); break; // \v
      case 120: { // \xH or \xHH
        let value = 0;
        let n = 0;
        while (n < 2 && i + 1 < end && /[0-9a-fA-F]/.test(String.fromCharCode(bytes[i + 1]))) {
          value = value * 16 + parseInt(String.fromCharCode(bytes[++i]), 16);
          n++;
        }
        out.push(n === 0 ? 120 : value);
        break;
      }
      default:
        if (c >= 48 && c <= 55) { // \N, \NN, \NNN octal
          let value = c - 48;
          let n = 1;
          while (n < 3 && i + 1 < end && bytes[i + 1] >= 48 && bytes[i + 1] <= 55) {
            value = value * 8 + (bytes[++i] - 48);
            n++;
          }
          out.push(value & 0xff);
        } else out.push(c);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(out));
  } catch (error) {
    throw new FormatError('a COPY text value is not valid UTF-8', { cause: error });
  }
}

/** Decodes PostgreSQL's bytea hex output ('\x0a0b…') into bytes. */
export function decodeBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) return Uint8Array.from(Buffer.from(text.slice(2), 'hex'));
  // Escape format (bytea_output = escape): \\ and \NNN octal.
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        out.push(92);
        i++;
      } else {
        out.push(parseInt(text.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else out.push(text.charCodeAt(i));
  }
  return Uint8Array.from(out);
}

/**
 * Parses complete COPY text lines into rows of cells. `bytea[i]` marks columns whose text is
 * decoded into bytes.
 */
export function parseCopyText(bytes: Uint8Array, columns: number, bytea: readonly boolean[]): Cell[][] {
  const rows: Cell[][] = [];
  let row: Cell[] = [];
  let start = 0;
  let escaped = false;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i <= bytes.length; i++) {
    const b = i < bytes.length ? bytes[i] : LF;
    if (b === BACKSLASH) {
      escaped = true;
      i++; // the escaped byte can never be a separator
      continue;
    }
    if (b !== TAB && b !== LF) continue;
    if (i === bytes.length && start === i && row.length === 0) break;
    let value: Cell;
    if (i - start === 2 && bytes[start] === BACKSLASH && bytes[start + 1] === 78) value = null;
    else {
      const text = escaped ? unescape(bytes, start, i) : buffer.toString('utf8', start, i);
      value = bytea[row.length] ? decodeBytea(text) : text;
    }
    row.push(value);
    escaped = false;
    start = i + 1;
    if (b === LF) {
      if (row.length !== columns) throw new FormatError(`COPY row has ${row.length} fields, expected ${columns}`);
      rows.push(row);
      row = [];
    }
  }
  return rows;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function escapeText(value: string): string {
  // Backslash, tab, newline and carriage return are the only bytes COPY FROM cannot take raw.
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

/** One COPY text line (with its '\n') for a row of cells. */
export function copyLine(row: readonly Cell[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    if (i) line += '\t';
    const value = row[i];
    if (value === null) line += '\\N';
    else if (typeof value === 'string') line += escapeText(value);
    else if (value instanceof Uint8Array) {
      let hex = '\\\\x';
      for (let j = 0; j < value.length; j++) hex += HEX[value[j]];
      line += hex;
    } else if (value instanceof SqliteNumber) line += value.text;
  }
  return line + '\n';
}
