// Reads a payload without a database: its manifest, rows per model, files, and whether every
// record and the final hash check out. For `inspect` / `validate` commands and reports.
import type { ByteStream } from '../io/types.js';
import { FormatError } from '../errors.js';
import { ByteReader, RecordType, parseJsonBody, readRecords } from './format.js';
import type { Manifest } from './manifest.js';

export interface PayloadDescription {
  manifest: Manifest;
  /** Rows per model, as counted in the row records (checked against each TableEnd). */
  models: { model: string; table: string; rows: number }[];
  files: { count: number; bytes: number; skipped: { path: string; reason: string }[] };
  /** Total payload bytes (the End record included). */
  bytes: number;
}

/** Reads the whole payload stream, checking framing, counts and the End record's hash. */
export async function describePayload(payload: ByteStream): Promise<PayloadDescription> {
  let manifest: Manifest | null = null;
  const models: PayloadDescription['models'] = [];
  const files: PayloadDescription['files'] = { count: 0, bytes: 0, skipped: [] };
  let current: { model: string; rows: number } | null = null;
  let bytes = 0;
  for await (const record of readRecords(payload)) {
    bytes = record.offset + 5 + record.body.length;
    switch (record.type) {
      case RecordType.Header:
        manifest = parseJsonBody<Manifest>(record.body, 'Header');
        break;
      case RecordType.TableBegin:
        current = { model: parseJsonBody<{ model: string }>(record.body, 'TableBegin').model, rows: 0 };
        break;
      case RecordType.RowsCells:
      case RecordType.RowsPgCopy:
        if (!current) throw new FormatError('rows outside a table', { offset: record.offset });
        current.rows += new ByteReader(record.body).u32();
        break;
      case RecordType.TableEnd: {
        const end = parseJsonBody<{ model: string; rows: number }>(record.body, 'TableEnd');
        if (!current || end.model !== current.model || end.rows !== current.rows) {
          throw new FormatError(`table ${end.model}: the row records hold ${current?.rows ?? 0} rows, TableEnd says ${end.rows}`, { offset: record.offset });
        }
        models.push({ model: end.model, table: manifest?.models.find((m) => m.name === end.model)?.table ?? end.model, rows: end.rows });
        current = null;
        break;
      }
      case RecordType.FileEnd:
        files.count++;
        files.bytes += parseJsonBody<{ size: number }>(record.body, 'FileEnd').size;
        break;
      case RecordType.FileSkipped: {
        const s = parseJsonBody<{ path: string; reason: string }>(record.body, 'FileSkipped');
        files.skipped.push({ path: s.path, reason: s.reason });
        break;
      }
      case RecordType.FileBegin:
      case RecordType.FileData:
      case RecordType.End:
        break;
      default:
        throw new FormatError(`unknown payload record type ${record.type}`, { offset: record.offset });
    }
  }
  if (!manifest) throw new FormatError('payload has no Header record');
  return { manifest, models, files, bytes };
}
