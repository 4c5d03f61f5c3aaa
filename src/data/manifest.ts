// The data manifest: what the backup holds (dialect, versions, every model with its table, columns,
// logical types, keys, associations, migration state, per-field mapping), built from a Sequelize
// instance. It is the Header record of the payload.
import { createRequire } from 'node:module';
import type { Sequelize, ModelStatic, Model } from 'sequelize';
import { BackupRegistry, FieldType } from './registry.js';
import type { Dialect } from './convert.js';
import { ConfigError } from '../errors.js';

export interface ColumnInfo {
  attribute: string;
  column: string;
  /** Logical type: the Sequelize type key (STRING, BIGINT, DATE, JSONB, ARRAY, ...). */
  type: string;
  /** The type as the source database declares it (Sequelize's SQL for it), for drift reports. */
  sqlType: string;
  /**
   * The column's type as the database itself reports it (lower case), when capture could read it:
   * tells a DATETIME from a TIMESTAMP (both Sequelize DATE) for time zone handling.
   */
  dbType?: string;
  /** ARRAY element type key. */
  arrayOf?: string;
  /** ENUM values (also for ARRAY(ENUM)). */
  enumValues?: string[];
  allowNull: boolean;
  primaryKey: boolean;
  autoIncrement: boolean;
  references?: { table: string; schema?: string; column: string };
  field: FieldType;
}

export interface AssociationInfo {
  as: string;
  type: string;
  target: string;
  foreignKey?: string;
  through?: string;
}

export interface ModelInfo {
  name: string;
  table: string;
  schema?: string;
  /** Captured columns, in the order cells appear in every row. */
  columns: ColumnInfo[];
  /** Columns left out (EXCLUDE overrides). */
  excluded: string[];
  /** Columns the database computes (GENERATED ALWAYS AS (expr)), mapped by the model or not. */
  generated?: string[];
  primaryKey: string[];
  foreignKeys: { columns: string[]; table: string; schema?: string; refColumns: string[] }[];
  associations: AssociationInfo[];
  paranoid: boolean;
  /** A belongsToMany junction model. */
  through: boolean;
}

export interface RootInfo {
  id: number;
  /** 'storage': the storage root of FILE columns; 'root': a file root embedded whole; 'absolute': FILE_PATH files not under another root. */
  kind: 'storage' | 'root' | 'absolute';
  path: string;
}

/** The application the backup is of, as its owner names it (shown by reports and the validator page). */
export interface AppInfo {
  name: string;
  version?: string;
}

export interface Manifest {
  format: 'dbs-data';
  createdAt: string;
  /** Absent when the capture was not told (older backups, API calls without `app`). */
  app?: AppInfo;
  dialect: Dialect;
  databaseVersion: string;
  timezone: string;
  sequelizeVersion: string;
  driver: { name: string; version: string };
  models: ModelInfo[];
  migrations: { table: string; names: string[] } | null;
  roots: RootInfo[];
}

const require = createRequire(import.meta.url);

/** Longest app name or version recorded: a label, not a place for data. */
export const MAX_APP_FIELD = 200;

/** Checks an `app` option and returns a copy with only `name` and `version`, or a ConfigError. */
export function checkAppInfo(app: unknown, where = 'app'): AppInfo {
  if (!app || typeof app !== 'object' || Array.isArray(app)) throw new ConfigError(`${where} must be an object { name, version? }, got ${JSON.stringify(app)}`);
  const { name, version } = app as Record<string, unknown>;
  const ok = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= MAX_APP_FIELD;
  if (!ok(name)) throw new ConfigError(`${where}.name must be a non-empty string of at most ${MAX_APP_FIELD} characters, got ${JSON.stringify(name)}`);
  if (version !== undefined && !ok(version))
    throw new ConfigError(`${where}.version must be a non-empty string of at most ${MAX_APP_FIELD} characters, got ${JSON.stringify(version)}`);
  for (const key of Object.keys(app)) {
    if (key !== 'name' && key !== 'version') throw new ConfigError(`${where} has an unknown key '${key}' (known: name, version)`);
  }
  return version === undefined ? { name: name as string } : { name: name as string, version: version as string };
}

export function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export const DRIVERS: Record<string, string> = { postgres: 'pg', mariadb: 'mariadb', mysql: 'mysql2', sqlite: 'sqlite3' };

interface SequelizeType {
  key?: string;
  type?: SequelizeType;
  values?: string[];
  options?: { values?: string[] };
  toSql?: () => string;
  toString?: (options?: unknown) => string;
}

function typeInfo(type: SequelizeType | undefined, sequelize: Sequelize): { type: string; sqlType: string; arrayOf?: string; enumValues?: string[] } {
  const key = String(type?.key ?? 'UNKNOWN');
  let sqlType = key;
  try {
    sqlType = String(type?.toString?.({ dialect: sequelize.getDialect() }) ?? key);
  } catch {
    sqlType = key;
  }
  const out: { type: string; sqlType: string; arrayOf?: string; enumValues?: string[] } = { type: key, sqlType };
  if (key === 'ARRAY' && type?.type) {
    out.arrayOf = String(type.type.key ?? 'UNKNOWN');
    if (type.type.values) out.enumValues = [...type.type.values];
  }
  if (key === 'ENUM' && type?.values) out.enumValues = [...type.values];
  return out;
}

export function tableOf(model: ModelStatic<Model>): { table: string; schema?: string } {
  const name = model.getTableName() as unknown as string | { tableName: string; schema?: string };
  if (typeof name === 'string') return { table: name };
  return { table: name.tableName, schema: name.schema && name.schema !== 'public' ? name.schema : undefined };
}

function referenceOf(references: unknown, sequelize: Sequelize): { table: string; schema?: string; column: string } | undefined {
  if (!references || typeof references !== 'object') return undefined;
  const r = references as { model?: unknown; key?: string };
  const key = r.key ?? 'id';
  const m = r.model;
  if (typeof m === 'string') {
    const byModel = sequelize.models[m];
    return byModel ? { ...tableOf(byModel), column: key } : { table: m, column: key };
  }
  if (typeof m === 'function') return { ...tableOf(m as ModelStatic<Model>), column: key };
  if (m && typeof m === 'object') {
    const t = m as { tableName?: string; schema?: string };
    return { table: String(t.tableName), schema: t.schema && t.schema !== 'public' ? t.schema : undefined, column: key };
  }
  return undefined;
}

/** Describes one model (no database access). */
export function describeModel(model: ModelStatic<Model>, sequelize: Sequelize, registry: BackupRegistry): ModelInfo {
  const { table, schema } = tableOf(model);
  const columns: ColumnInfo[] = [];
  const excluded: string[] = [];
  const raw = model.getAttributes() as Record<string, { type?: SequelizeType; field?: string; allowNull?: boolean; primaryKey?: boolean; autoIncrement?: boolean; references?: unknown }>;
  for (const [attribute, attr] of Object.entries(raw)) {
    if (attr.type?.key === 'VIRTUAL') continue;
    const column = attr.field ?? attribute;
    const field = registry.fieldType(model.name, attribute, column);
    if (field === FieldType.EXCLUDE) {
      excluded.push(column);
      continue;
    }
    const info: ColumnInfo = {
      attribute,
      column,
      ...typeInfo(attr.type, sequelize),
      allowNull: attr.allowNull !== false && !attr.primaryKey,
      primaryKey: attr.primaryKey === true,
      autoIncrement: attr.autoIncrement === true,
      field,
    };
    const ref = referenceOf(attr.references, sequelize);
    if (ref) info.references = ref;
    columns.push(info);
  }
  const pk = model.primaryKeyAttributes.map((a) => (raw[a]?.field ?? a));
  const foreignKeys = columns.filter((c) => c.references).map((c) => ({ columns: [c.column], table: c.references!.table, schema: c.references!.schema, refColumns: [c.references!.column] }));
  const associations: AssociationInfo[] = Object.entries(model.associations ?? {}).map(([as, a]) => {
    const assoc = a as unknown as { associationType: string; target: ModelStatic<Model>; foreignKey?: string; through?: { model?: ModelStatic<Model> } };
    const out: AssociationInfo = { as, type: assoc.associationType, target: assoc.target.name };
    if (typeof assoc.foreignKey === 'string') out.foreignKey = assoc.foreignKey;
    if (assoc.through?.model) out.through = assoc.through.model.name;
    return out;
  });
  return {
    name: model.name,
    table,
    schema,
    columns,
    excluded,
    primaryKey: pk,
    foreignKeys,
    associations,
    paranoid: (model.options as { paranoid?: boolean }).paranoid === true,
    through: false,
  };
}

const key = (t: { table: string; schema?: string }) => `${t.schema ?? ''}.${t.table}`;

/**
 * Orders models so that every model comes after the models its foreign keys point to. Self
 * references are ignored; a cycle is broken at the model with the fewest unresolved parents (the
 * restore defers or disables constraint checks, so any order loads, this one just loads fastest).
 */
export function dependencyOrder(models: ModelInfo[]): ModelInfo[] {
  const byTable = new Map(models.map((m) => [key(m), m]));
  const parents = new Map<ModelInfo, Set<ModelInfo>>();
  for (const m of models) {
    const set = new Set<ModelInfo>();
    for (const fk of m.foreignKeys) {
      const p = byTable.get(key(fk));
      if (p && p !== m) set.add(p);
    }
    parents.set(m, set);
  }
  const done = new Set<ModelInfo>();
  const out: ModelInfo[] = [];
  const remaining = [...models].sort((a, b) => a.name.localeCompare(b.name));
  while (remaining.length) {
    let index = remaining.findIndex((m) => [...parents.get(m)!].every((p) => done.has(p)));
    if (index < 0) {
      let best = Infinity;
      remaining.forEach((m, i) => {
        const open = [...parents.get(m)!].filter((p) => !done.has(p)).length;
        if (open < best) {
          best = open;
          index = i;
        }
      });
    }
    const [m] = remaining.splice(index, 1);
    done.add(m);
    out.push(m);
  }
  return out;
}

/** Every model of the instance except the excluded ones, in dependency order. */
export function describeModels(sequelize: Sequelize, registry: BackupRegistry, excludeModels: string[] = []): { models: ModelInfo[]; statics: Map<string, ModelStatic<Model>> } {
  const exclude = new Set([...(registry.settings.excludeModels ?? []), ...excludeModels]);
  const statics = new Map<string, ModelStatic<Model>>();
  const throughs = new Set<string>();
  for (const model of Object.values(sequelize.models)) {
    for (const a of Object.values(model.associations ?? {})) {
      const through = (a as unknown as { through?: { model?: ModelStatic<Model> } }).through?.model;
      if (through) throughs.add(through.name);
    }
  }
  const infos: ModelInfo[] = [];
  for (const model of Object.values(sequelize.models)) {
    if (exclude.has(model.name)) continue;
    statics.set(model.name, model);
    const info = describeModel(model, sequelize, registry);
    info.through = throughs.has(model.name);
    infos.push(info);
  }
  return { models: dependencyOrder(infos), statics };
}

export function quoteIdent(dialect: Dialect, name: string): string {
  if (dialect === 'mariadb' || dialect === 'mysql') return '`' + name.replace(/`/g, '``') + '`';
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteTable(dialect: Dialect, t: { table: string; schema?: string }): string {
  if (dialect === 'sqlite') return quoteIdent(dialect, t.schema ? `${t.schema}.${t.table}` : t.table);
  return t.schema ? `${quoteIdent(dialect, t.schema)}.${quoteIdent(dialect, t.table)}` : quoteIdent(dialect, t.table);
}

/** The instance's options (not in Sequelize 6's typings). */
export function sequelizeOptions(sequelize: Sequelize): { timezone?: string; foreignKeys?: boolean; storage?: string } {
  return (sequelize as unknown as { options: { timezone?: string; foreignKeys?: boolean; storage?: string } }).options;
}
