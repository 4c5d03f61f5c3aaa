// restore(): loads a payload into the application's database in one transaction (all or nothing),
// then puts its files in place. Rows go in through each dialect's bulk path, never through model
// methods: no hooks, no validations, no default values, timestamps exactly as captured (like a
// raw load; zone-less ones moved to the same instant when this application's timezone differs).
// The target tables must exist (run your migrations or sync() first).
import type { Sequelize, ModelStatic, Model } from 'sequelize';
import { resolve } from 'node:path';
import type { ByteStream } from '../io/types.js';
import { DbsError, FormatError, RestoreError } from '../errors.js';
import { BackupRegistry, backupRegistry } from './registry.js';
import { ByteReader, RecordType, parseJsonBody, readRecords, type Cell } from './format.js';
import { describeModel, sequelizeOptions, type Manifest, type ModelInfo, type RootInfo, tableOf } from './manifest.js';
import { canonicalZone, convertCell, sameFamily, shiftsTimestamps, type Dialect, type Side } from './convert.js';
import { tableFacts, type ColumnFacts } from './table-facts.js';
import { parseCopyText } from './pgcopy.js';
import type { RowBatch, TargetTable, TargetWriter } from './dialect-types.js';
import { openPgWriter } from './dialect-pg.js';
import { openMariaWriter } from './dialect-mariadb.js';
import { openSqliteWriter } from './dialect-sqlite.js';
import { PendingFile, resolveRestorePath } from './files.js';
import { dialectOf, type Logger } from './capture.js';

export interface RestoreProgress {
  phase: 'rows' | 'files' | 'commit';
  model?: string;
  rows?: number;
  files?: number;
}

export interface RestoreOptions {
  sequelize: Sequelize;
  registry?: BackupRegistry;
  /** Delete the backed-up tables' rows first (children first, same transaction): restore replaces. */
  flush?: boolean;
  /** Load everything in a transaction, then roll it back; no file is written. */
  dryRun?: boolean;
  /**
   * Directories files may be written under (allow-list). Default: the registry's storageRoot and
   * fileRoots. A file whose destination is outside every one of them fails the restore.
   */
  restoreRoots?: string[];
  /** Where files of FILE columns go (default: the registry's storageRoot, else where they were). */
  storageRoot?: string;
  /** Original file-root path -> directory to restore it into (default: the original path). */
  rootMap?: Record<string, string>;
  logger?: Logger;
  onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoreResult {
  dryRun: boolean;
  flushed: boolean;
  source: { dialect: string; databaseVersion: string; createdAt: string; sequelizeVersion: string; timezone: string };
  /** Rows loaded per model, in load order. */
  models: { model: string; table: string; rows: number }[];
  rows: number;
  files: { restored: number; bytes: number; skipped: { path: string; reason: string }[] };
  /** Models (merge mode) whose tables already held rows before the restore. */
  nonEmptyModels: string[];
  /** Backup columns the target does not have: their values were not restored. */
  discardedColumns: { model: string; column: string }[];
  /** Backup models the target application does not define: not restored. */
  skippedModels: string[];
  warnings: string[];
}

async function openWriter(sequelize: Sequelize): Promise<TargetWriter> {
  const dialect = dialectOf(sequelize);
  if (dialect === 'postgres') return openPgWriter(sequelize);
  if (dialect === 'sqlite') return openSqliteWriter(sequelize);
  return openMariaWriter(sequelize);
}

interface Plan {
  source: ModelInfo;
  target: TargetTable;
  /** For each target column: index of the source cell and the conversion sides. */
  mapping: { index: number; from: Side; to: Side }[];
  identity: boolean;
  /** Same dialect, same columns, same types: PostgreSQL COPY text goes in untouched. */
  rawCopy: boolean;
  bytea: boolean[];
  /** Target columns the database computes: never written, never reported as missing. */
  computed: string[];
  /** The table's columns as the database has them (null when the table does not exist). */
  existing: string[] | null;
}

function planModel(source: ModelInfo, manifest: Manifest, target: ModelStatic<Model>, facts: Map<string, ColumnFacts>, sequelize: Sequelize, registry: BackupRegistry, result: RestoreResult): Plan {
  const dialect = dialectOf(sequelize);
  const targetInfo = describeModel(target, sequelize, new BackupRegistry());
  const byAttribute = new Map(targetInfo.columns.map((c) => [c.attribute, c]));
  const byColumn = new Map(targetInfo.columns.map((c) => [c.column, c]));
  const mapping: Plan['mapping'] = [];
  const columns: string[] = [];
  const types: string[] = [];
  const used = new Set<string>();
  source.columns.forEach((c, index) => {
    const t = byAttribute.get(c.attribute) ?? byColumn.get(c.column);
    if (t && facts.get(t.column)?.generated) {
      // The target computes it (GENERATED ... AS (expr)): the database refuses values for it.
      used.add(t.column);
      if (!source.generated?.includes(c.column)) result.warnings.push(`${source.name}.${c.attribute}: computed by the database here, so the backup's values are not written`);
      return;
    }
    if (!t || used.has(t.column)) {
      result.discardedColumns.push({ model: source.name, column: c.column });
      return;
    }
    used.add(t.column);
    columns.push(t.column);
    types.push(t.type);
    if (t.type !== c.type) result.warnings.push(`${source.name}.${c.attribute}: type ${c.type} in the backup, ${t.type} in this application (converted)`);
    else if (sameFamily(manifest.dialect, dialect) && t.sqlType !== c.sqlType) {
      result.warnings.push(`schema drift: ${source.name}.${c.attribute} is ${c.sqlType} in the backup, ${t.sqlType} in this application`);
    }
    mapping.push({
      index,
      from: { dialect: manifest.dialect, timezone: manifest.timezone, type: c.type, arrayOf: c.arrayOf, dbType: c.dbType },
      to: { dialect, timezone: String(sequelizeOptions(sequelize).timezone ?? '+00:00'), type: t.type, arrayOf: t.arrayOf, dbType: facts.get(t.column)?.dbType },
    });
  });
  for (const t of targetInfo.columns) {
    if (!used.has(t.column) && !facts.get(t.column)?.generated && !registry.fieldType(target.name, t.attribute, t.column).startsWith('EXCLUDE')) {
      result.warnings.push(`${source.name}.${t.attribute}: not in the backup; restored rows get the column's database default`);
    }
  }
  const sameTypes = mapping.every((m) => m.from.type === m.to.type);
  // Rows go in untouched only when nothing about a cell changes (no zone shift included).
  const identity =
    sameFamily(manifest.dialect, dialect) && sameTypes && mapping.length === source.columns.length && mapping.every((m, i) => m.index === i) && !mapping.some((m) => shiftsTimestamps(m.from, m.to));
  const pk = targetInfo.primaryKey.filter((c) => used.has(c));
  return {
    source,
    target: { model: target.name, ...tableOf(target), columns, types, primaryKey: pk.length === targetInfo.primaryKey.length ? pk : [] },
    mapping,
    identity,
    rawCopy: identity && manifest.dialect === 'postgres' && dialect === 'postgres',
    bytea: source.columns.map((c) => c.type === 'BLOB'),
    computed: [...facts].filter(([, f]) => f.generated).map(([name]) => name),
    existing: facts.size ? [...facts.keys()] : null,
  };
}

function convertRows(plan: Plan, rows: Cell[][]): Cell[][] {
  if (plan.identity) return rows;
  return rows.map((row) => plan.mapping.map((m) => convertCell(row[m.index], m.from, m.to)));
}

function decodeCells(body: Uint8Array, columns: number): Cell[][] {
  const reader = new ByteReader(body);
  const count = reader.u32();
  const rows: Cell[][] = new Array(count);
  for (let r = 0; r < count; r++) {
    const row: Cell[] = new Array(columns);
    for (let c = 0; c < columns; c++) row[c] = reader.cell();
    rows[r] = row;
  }
  if (!reader.done) throw new FormatError('row record has bytes after its last row');
  return rows;
}

/** Loads a payload (see capture()) into the database of `options.sequelize`. */
export async function restore(payload: ByteStream, options: RestoreOptions): Promise<RestoreResult> {
  const { sequelize } = options;
  const registry = options.registry ?? backupRegistry;
  const dryRun = options.dryRun === true;
  const flush = options.flush === true;
  const records = readRecords(payload)[Symbol.asyncIterator]();

  const first = await records.next();
  if (first.done || first.value.type !== RecordType.Header) throw new FormatError('payload does not start with its Header record');
  const manifest = parseJsonBody<Manifest>(first.value.body, 'Header');
  if (manifest.format !== 'dbs-data' || !Array.isArray(manifest.models)) throw new FormatError('Header record is not a DBS data manifest');

  const result: RestoreResult = {
    dryRun,
    flushed: flush,
    source: { dialect: manifest.dialect, databaseVersion: manifest.databaseVersion, createdAt: manifest.createdAt, sequelizeVersion: manifest.sequelizeVersion, timezone: manifest.timezone },
    models: [],
    rows: 0,
    files: { restored: 0, bytes: 0, skipped: [] },
    nonEmptyModels: [],
    discardedColumns: [],
    skippedModels: [],
    warnings: [],
  };
  const warn = (message: string) => {
    result.warnings.push(message);
    options.logger?.warn?.(message);
  };

  // Plan: the target application's model for each backed-up model.
  const plans = new Map<string, Plan>();
  for (const m of manifest.models) {
    const target = sequelize.models[m.name] ?? Object.values(sequelize.models).find((x) => tableOf(x).table === m.table);
    if (!target) {
      result.skippedModels.push(m.name);
      continue;
    }
    const plan = planModel(m, manifest, target, await tableFacts(sequelize, tableOf(target)), sequelize, registry, result);
    if (plan.target.columns.length === 0) {
      result.warnings.push(`${m.name}: no column of the backup maps to this application's model; nothing to restore`);
      continue;
    }
    plans.set(m.name, plan);
  }
  if (result.skippedModels.length) warn(`models in the backup that this application does not define (not restored): ${result.skippedModels.join(', ')}`);
  if (result.discardedColumns.length) warn(`columns in the backup that this application does not have (discarded): ${result.discardedColumns.map((d) => `${d.model}.${d.column}`).join(', ')}`);
  const targetZone = String(sequelizeOptions(sequelize).timezone ?? '+00:00');
  const shifted = [...plans.values()].flatMap((p) => p.mapping.filter((m) => shiftsTimestamps(m.from, m.to)).map((m) => `${p.target.model}.${p.target.columns[p.mapping.indexOf(m)]}`));
  if (canonicalZone(manifest.timezone) !== canonicalZone(targetZone) && sameFamily(manifest.dialect, dialectOf(sequelize))) {
    const what = shifted.length ? `zone-less timestamps are converted to the same instant (${shifted.join(', ')})` : 'every timestamp column carries its zone, nothing to convert';
    warn(`the backup was taken with timezone ${manifest.timezone}, this instance uses ${targetZone}: ${what}`);
  }
  if (!sameFamily(manifest.dialect, dialectOf(sequelize))) warn(`cross-dialect restore: ${manifest.dialect} -> ${dialectOf(sequelize)}; values are converted by their logical type`);

  // Files: where each root goes, and which directories may be written.
  const storageTarget = options.storageRoot ?? registry.settings.storageRoot;
  const allowed = (options.restoreRoots ?? [storageTarget, ...registry.allFileRoots()].filter((x): x is string => typeof x === 'string')).map((r) => resolve(r));
  const rootTarget = (root: RootInfo): string => {
    if (root.kind === 'storage') return storageTarget ?? root.path;
    if (root.kind === 'root') return options.rootMap?.[root.path] ?? root.path;
    return '/';
  };
  const roots = new Map((manifest.roots ?? []).map((r) => [r.id, r]));
  const pending: PendingFile[] = [];

  const writer = await openWriter(sequelize);
  let began = false;
  try {
    await writer.begin();
    began = true;
    const tables = [...plans.values()].map((p) => p.target);

    // Drift: migrations and columns.
    const targetMigrations = await writer.migrations();
    const sourceMigrations = manifest.migrations?.names ?? null;
    if (sourceMigrations || targetMigrations) {
      const s = new Set(sourceMigrations ?? []);
      const t = new Set(targetMigrations ?? []);
      const onlySource = [...s].filter((x) => !t.has(x));
      const onlyTarget = [...t].filter((x) => !s.has(x));
      if (onlySource.length) warn(`schema drift: migrations applied in the backup but not here: ${onlySource.join(', ')}`);
      if (onlyTarget.length) warn(`schema drift: migrations applied here but not in the backup: ${onlyTarget.join(', ')}`);
    }
    for (const plan of plans.values()) {
      const existing = plan.existing;
      if (!existing) throw new RestoreError(`table ${plan.target.table} of model ${plan.target.model} does not exist in the target database`, { model: plan.target.model, hint: 'create the schema first (run your migrations or sequelize.sync()), then restore' });
      const missing = plan.target.columns.filter((c) => !existing.includes(c));
      if (missing.length) throw new RestoreError(`schema drift: table ${plan.target.table} lacks column(s) ${missing.join(', ')} that model ${plan.target.model} defines`, { model: plan.target.model, hint: 'run pending migrations on the target, then restore' });
      const extra = existing.filter((c) => !plan.target.columns.includes(c) && !plan.computed.includes(c));
      if (extra.length) warn(`schema drift: ${plan.target.table} has column(s) not in the backup: ${extra.join(', ')} (left to their defaults)`);
      if (await writer.hasRows(plan.target)) result.nonEmptyModels.push(plan.target.model);
    }
    if (!flush && result.nonEmptyModels.length) warn(`merge: these models already held rows (rows with the same primary key are replaced): ${result.nonEmptyModels.join(', ')}`);

    await writer.relaxConstraints(tables, flush ? tables : tables.filter((t) => !result.nonEmptyModels.includes(t.model)));
    if (flush) await writer.deleteAll([...tables].reverse());

    let plan: Plan | null = null;
    let count = 0;
    let file: { pending: PendingFile | null; path: string; size: number } | null = null;
    for (;;) {
      const next = await records.next();
      if (next.done) break;
      const { type, body } = next.value;
      switch (type) {
        case RecordType.TableBegin: {
          const info = parseJsonBody<{ model: string }>(body, 'TableBegin');
          plan = plans.get(info.model) ?? null;
          count = 0;
          if (plan) await writer.beginTable(plan.target, !flush && result.nonEmptyModels.includes(plan.target.model));
          else if (!manifest.models.some((m) => m.name === info.model)) throw new FormatError(`rows of model ${info.model}, which the header does not list`);
          break;
        }
        case RecordType.RowsPgCopy:
        case RecordType.RowsCells: {
          if (!plan) break; // a model this application does not define: reported above
          let batch: RowBatch;
          if (type === RecordType.RowsPgCopy) {
            const reader = new ByteReader(body);
            const rows = reader.u32();
            const bytes = body.subarray(reader.offset);
            if (plan.rawCopy) batch = { kind: 'pgcopy', bytes, rows };
            else batch = { kind: 'cells', rows: convertRows(plan, parseCopyText(bytes, plan.source.columns.length, plan.bytea)) };
            count += rows;
          } else if (plan.identity && writer.acceptsEncoded) {
            const rows = new ByteReader(body).u32();
            count += rows;
            batch = { kind: 'encoded', cells: body.subarray(4), rows, columns: plan.source.columns.length };
          } else {
            const rows = decodeCells(body, plan.source.columns.length);
            count += rows.length;
            batch = { kind: 'cells', rows: convertRows(plan, rows) };
          }
          await writer.writeBatch(batch);
          options.onProgress?.({ phase: 'rows', model: plan.target.model, rows: count });
          break;
        }
        case RecordType.TableEnd: {
          const info = parseJsonBody<{ model: string; rows: number }>(body, 'TableEnd');
          if (plan) {
            await writer.endTable();
            if (info.rows !== count) throw new FormatError(`model ${info.model}: ${count} rows read, the backup says ${info.rows}`);
            result.models.push({ model: plan.target.model, table: plan.target.table, rows: count });
            result.rows += count;
          }
          plan = null;
          break;
        }
        case RecordType.FileBegin: {
          const info = parseJsonBody<{ root: number; path: string; size: number }>(body, 'FileBegin');
          const root = roots.get(info.root);
          if (!root) throw new FormatError(`file ${info.path} names root ${info.root}, which the header does not list`);
          const target = await resolveRestorePath(rootTarget(root), info.path, allowed);
          const p = new PendingFile(target);
          if (!dryRun) {
            pending.push(p);
            await p.open();
          }
          file = { pending: p, path: info.path, size: info.size };
          break;
        }
        case RecordType.FileData:
          if (!file?.pending) throw new FormatError('file data outside a file');
          await file.pending.write(body);
          break;
        case RecordType.FileEnd: {
          if (!file?.pending) throw new FormatError('file end outside a file');
          const info = parseJsonBody<{ size: number; blake2b512: string }>(body, 'FileEnd');
          await file.pending.close();
          const digest = file.pending.digest();
          if (info.size !== file.pending.size || info.blake2b512 !== digest) throw new FormatError(`file ${file.path}: content does not match its recorded size and hash`);
          result.files.restored++;
          result.files.bytes += info.size;
          options.onProgress?.({ phase: 'files', files: result.files.restored });
          file = null;
          break;
        }
        case RecordType.FileSkipped: {
          const info = parseJsonBody<{ path: string; reason: string }>(body, 'FileSkipped');
          result.files.skipped.push({ path: info.path, reason: info.reason });
          warn(`file not in the backup (skipped at capture): ${info.path}: ${info.reason}`);
          break;
        }
        case RecordType.End:
          break;
        default:
          throw new FormatError(`unknown payload record type ${type}`, { offset: next.value.offset });
      }
    }
    if (plan || file) throw new FormatError('payload ended inside a table or a file');

    options.onProgress?.({ phase: 'commit' });
    await writer.finish(tables, flush);
    if (dryRun) await writer.rollback();
    else await writer.commit();
    began = false;
  } catch (error) {
    if (began) await writer.rollback();
    for (const p of pending) await p.discard();
    if (error instanceof DbsError) throw error;
    throw new RestoreError(`restore failed and was rolled back, the database is unchanged: ${(error as Error).message}`, { cause: error });
  } finally {
    await writer.release();
  }
  for (const p of pending) await p.commit();
  return result;
}

export type { Dialect };
