// capture(): every model's rows (one consistent snapshot) and files, as the plaintext payload.
import type { Sequelize } from 'sequelize';
import { resolve, relative, isAbsolute, sep } from 'node:path';
import type { ByteStream } from '../io/types.js';
import { CaptureError, ConfigError } from '../errors.js';
import { BackupRegistry, backupRegistry, FieldType } from './registry.js';
import { checkAppInfo, describeModels, packageVersion, sequelizeOptions, DRIVERS, type AppInfo, type Manifest, type ModelInfo, type RootInfo } from './manifest.js';
import { ByteWriter, RecordType, RecordWriter, jsonBody, type Cell } from './format.js';
import type { Dialect } from './convert.js';
import { FRAME_HEAD, type SourceReader } from './dialect-types.js';
import { openPgReader } from './dialect-pg.js';
import { openMariaReader } from './dialect-mariadb.js';
import { openSqliteReader } from './dialect-sqlite.js';
import { readFileChunks, walkFiles } from './files.js';
import { annotateModels } from './table-facts.js';
import { trace } from '../pipeline/trace.js';

export interface Logger {
  info?(message: string): void;
  warn?(message: string): void;
}

export interface CaptureProgress {
  phase: 'rows' | 'files' | 'done';
  model?: string;
  rows?: number;
  files?: number;
  bytes: number;
}

export interface CaptureOptions {
  sequelize: Sequelize;
  registry?: BackupRegistry;
  /** Model names to leave out (added to the registry's excludeModels). */
  excludeModels?: string[];
  /** Directory trees embedded whole (added to the registry's fileRoots). */
  fileRoots?: string[];
  /** Root of FILE columns' relative paths (default: the registry's storageRoot). */
  storageRoot?: string;
  /** The application's name and version, recorded in the manifest (inside the encryption). */
  app?: AppInfo;
  logger?: Logger;
  onProgress?: (progress: CaptureProgress) => void;
}

/** What a finished capture found: filled in as the stream is consumed. */
export interface CaptureSummary {
  models: Record<string, number>;
  files: number;
  skippedFiles: { root: string; path: string; reason: string }[];
}

const ROW_RECORD_BYTES = 256 << 10;

export function dialectOf(sequelize: Sequelize): Dialect {
  const d = sequelize.getDialect();
  // mysql (mysql2 driver) shares the MariaDB code through a connection adapter (mariadb-connection.ts).
  if (d === 'postgres' || d === 'mariadb' || d === 'mysql' || d === 'sqlite') return d;
  throw new ConfigError(`dialect ${d} is not supported (dbs supports postgres, mariadb, mysql and sqlite)`);
}

async function openReader(sequelize: Sequelize, onCells: (m: ModelInfo, rows: Cell[][]) => void): Promise<SourceReader> {
  const dialect = dialectOf(sequelize);
  if (dialect === 'postgres') return openPgReader(sequelize, onCells);
  if (dialect === 'sqlite') return openSqliteReader(sequelize, onCells);
  return openMariaReader(sequelize, onCells);
}

function under(path: string, root: string): string | null {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return rel.split(sep).join('/');
}

/**
 * Streams the payload of a backup: header (manifest), every model's rows, every file, end record.
 * The optional `summary` object is filled in as the stream is consumed.
 */
export async function* capture(options: CaptureOptions, summary?: CaptureSummary): ByteStream {
  const { sequelize } = options;
  const registry = options.registry ?? backupRegistry;
  const dialect = dialectOf(sequelize);
  const app = options.app === undefined ? undefined : checkAppInfo(options.app);
  const { models } = describeModels(sequelize, registry, options.excludeModels);
  const storageRoot = options.storageRoot ?? registry.settings.storageRoot;
  const fileRoots = registry.allFileRoots(options.fileRoots ?? []).map((r) => resolve(r));

  const roots: RootInfo[] = [];
  const storage: RootInfo | undefined = storageRoot ? { id: 0, kind: 'storage', path: resolve(storageRoot) } : undefined;
  if (storage) roots.push(storage);
  for (const path of fileRoots) roots.push({ id: roots.length, kind: 'root', path });
  let absolute: RootInfo | undefined;
  if (models.some((m) => m.columns.some((c) => c.field === FieldType.FILE_PATH))) {
    absolute = { id: roots.length, kind: 'absolute', path: '/' };
    roots.push(absolute);
  }

  const out: CaptureSummary = summary ?? { models: {}, files: 0, skippedFiles: [] };
  out.models = {};
  out.files = 0;
  out.skippedFiles = [];
  const refs = new Map<string, { root: RootInfo; path: string }>();
  const early: { root: string; path: string; reason: string }[] = [];

  // Paths found in FILE / FILE_PATH columns while rows stream by.
  const onCells = (model: ModelInfo, rows: Cell[][]) => {
    const fileColumns = model.columns.map((c, i) => ({ c, i })).filter(({ c }) => c.field === FieldType.FILE || c.field === FieldType.FILE_PATH);
    for (const row of rows) {
      for (const { c, i } of fileColumns) {
        const value = row[i];
        if (value === null || typeof value !== 'string' || value === '') continue;
        if (c.field === FieldType.FILE) {
          if (!storage) {
            early.push({ root: '(storage root)', path: value, reason: `${model.name}.${c.attribute} is a FILE column but no storageRoot is configured` });
            continue;
          }
          const rel = under(resolve(storage.path, value), storage.path);
          if (!rel) early.push({ root: storage.path, path: value, reason: `${model.name}.${c.attribute}: path is not under the storage root` });
          else refs.set(`${storage.id}:${rel}`, { root: storage, path: rel });
        } else {
          if (!isAbsolute(value)) {
            early.push({ root: '/', path: value, reason: `${model.name}.${c.attribute} is a FILE_PATH column but the path is not absolute` });
            continue;
          }
          const full = resolve(value);
          const root = roots.find((r) => r.kind !== 'absolute' && under(full, r.path)) ?? absolute!;
          const rel = root.kind === 'absolute' ? full.slice(1).split(sep).join('/') : under(full, root.path)!;
          refs.set(`${root.id}:${rel}`, { root, path: rel });
        }
      }
    }
  };

  const writer = new RecordWriter();
  trace('capture: starts');
  await annotateModels(sequelize, models); // declared types and computed columns, for restore
  trace('capture: table facts read');
  let reader: SourceReader | null = await openReader(sequelize, onCells);
  trace('capture: snapshot transaction open');
  try {
    const manifest: Manifest = {
      format: 'dbs-data',
      createdAt: new Date().toISOString(),
      ...(app && { app }),
      dialect,
      databaseVersion: await reader.serverVersion(),
      timezone: String(sequelizeOptions(sequelize).timezone ?? '+00:00'),
      sequelizeVersion: packageVersion('sequelize'),
      driver: { name: DRIVERS[dialect], version: packageVersion(DRIVERS[dialect]) },
      models,
      migrations: null,
      roots,
    };
    const names = await reader.migrations();
    if (names) manifest.migrations = { table: 'SequelizeMeta', names };
    yield writer.preamble();
    yield writer.record(RecordType.Header, jsonBody(manifest));

    // A RowsCells record is built in place: 5 bytes of record header, u32 row count, cells.
    const cells = new ByteWriter(ROW_RECORD_BYTES * 2);
    const HEAD = FRAME_HEAD;
    const finishCells = (rows: number): Uint8Array => {
      const end = cells.length;
      cells.length = 5;
      cells.u32(rows);
      cells.length = end;
      const out = writer.framed(RecordType.RowsCells, new Uint8Array(cells.buffer.subarray(0, end)));
      cells.length = HEAD;
      return out;
    };
    for (const model of models) {
      yield writer.record(RecordType.TableBegin, jsonBody({ model: model.name, columns: model.columns.length }));
      let count = 0;
      trace(`capture: ${model.name} starts`);
      try {
        // A model whose every column is excluded keeps its place (0 rows) and reads nothing.
        for await (const batch of model.columns.length ? reader.rows(model) : []) {
          if (count === 0) trace(`capture: ${model.name} first rows`);
          if (batch.kind === 'framed') {
            if (batch.rows === 0) continue;
            new DataView(batch.frame.buffer, batch.frame.byteOffset).setUint32(5, batch.rows, true);
            count += batch.rows;
            yield writer.framed(RecordType.RowsCells, batch.frame);
          } else if (batch.kind === 'pgcopy') {
            let frame = batch.frame;
            if (!frame) {
              frame = new Uint8Array(HEAD + batch.bytes.length);
              frame.set(batch.bytes, HEAD);
            }
            new DataView(frame.buffer, frame.byteOffset).setUint32(5, batch.rows, true);
            count += batch.rows;
            yield writer.framed(RecordType.RowsPgCopy, frame);
          } else if (batch.kind === 'encoded') {
            throw new Error('internal: a reader produced an encoded batch without its frame');
          } else {
            let inRecord = 0;
            cells.length = HEAD;
            for (const row of batch.rows) {
              for (const cell of row) cells.cell(cell);
              inRecord++;
              if (cells.length >= ROW_RECORD_BYTES) {
                yield finishCells(inRecord);
                count += inRecord;
                inRecord = 0;
              }
            }
            if (inRecord) {
              yield finishCells(inRecord);
              count += inRecord;
            }
          }
          options.onProgress?.({ phase: 'rows', model: model.name, rows: count, bytes: writer.bytesWritten });
        }
      } catch (error) {
        throw new CaptureError(`reading ${model.name} (table ${model.table}) failed: ${(error as Error).message}`, {
          model: model.name,
          cause: error,
          hint: `if ${model.name} has no table in this database, leave it out with excludeModels: ['${model.name}']`,
        });
      }
      out.models[model.name] = count;
      yield writer.record(RecordType.TableEnd, jsonBody({ model: model.name, rows: count }));
    }
    await reader.close();
    reader = null;
    trace('capture: last row read');

    const emitFile = async function* (root: RootInfo, path: string, absolutePath: string): AsyncGenerator<Uint8Array> {
      for await (const step of readFileChunks(absolutePath)) {
        if (step.kind === 'skipped') {
          out.skippedFiles.push({ root: root.path, path, reason: step.reason });
          options.logger?.warn?.(`file skipped: ${absolutePath}: ${step.reason}`);
          yield writer.record(RecordType.FileSkipped, jsonBody({ root: root.id, path, reason: step.reason }));
        } else if (step.kind === 'size') yield writer.record(RecordType.FileBegin, jsonBody({ root: root.id, path, size: step.size }));
        else if (step.kind === 'data') yield writer.record(RecordType.FileData, step.chunk);
        else {
          out.files++;
          yield writer.record(RecordType.FileEnd, jsonBody({ size: step.size, blake2b512: step.blake2b512 }));
          options.onProgress?.({ phase: 'files', files: out.files, bytes: writer.bytesWritten });
        }
      }
    };
    for (const s of early) {
      out.skippedFiles.push(s);
      options.logger?.warn?.(`file skipped: ${s.path}: ${s.reason}`);
      yield writer.record(RecordType.FileSkipped, jsonBody({ root: -1, path: s.path, reason: s.reason }));
    }
    for (const { root, path } of refs.values()) yield* emitFile(root, path, root.kind === 'absolute' ? `/${path}` : resolve(root.path, path));
    for (const root of roots.filter((r) => r.kind === 'root')) {
      for await (const entry of walkFiles(root.path)) {
        if (refs.has(`${root.id}:${entry.path}`)) continue;
        if (entry.skipped) {
          out.skippedFiles.push({ root: root.path, path: entry.path, reason: entry.skipped });
          options.logger?.warn?.(`file skipped: ${resolve(root.path, entry.path)}: ${entry.skipped}`);
          yield writer.record(RecordType.FileSkipped, jsonBody({ root: root.id, path: entry.path, reason: entry.skipped }));
        } else yield* emitFile(root, entry.path, resolve(root.path, entry.path));
      }
    }
    options.onProgress?.({ phase: 'done', files: out.files, bytes: writer.bytesWritten });
    trace('capture: payload ends');
    yield writer.end({ models: out.models, files: out.files, skippedFiles: out.skippedFiles.length });
  } finally {
    if (reader) await reader.close().catch(() => {});
  }
}
