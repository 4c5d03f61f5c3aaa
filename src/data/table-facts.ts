// What the database itself says about a table's columns, beyond the Sequelize model: the declared
// type (a DATETIME and a TIMESTAMP are both Sequelize DATE), computed columns (GENERATED ... AS
// (expr): never written, the database fills them) and identity columns. Read through the
// instance's pool, outside any transaction: schema only, no rows.
import { QueryTypes, type Sequelize } from 'sequelize';
import type { ModelInfo } from './manifest.js';
import { quoteIdent } from './manifest.js';

export interface ColumnFacts {
  /** The declared type as the database prints it, lower case ('timestamp without time zone', 'datetime(3)', ...). */
  dbType: string;
  /** Computed by the database (GENERATED ALWAYS AS (expr) STORED / VIRTUAL): cannot be written. */
  generated: boolean;
  /** PostgreSQL identity column: 'always' (GENERATED ALWAYS AS IDENTITY) or 'default' (BY DEFAULT). */
  identity: 'always' | 'default' | null;
}

type Row = Record<string, unknown>;

/** Column name -> facts; empty when the table does not exist. */
export async function tableFacts(sequelize: Sequelize, t: { table: string; schema?: string }): Promise<Map<string, ColumnFacts>> {
  const dialect = sequelize.getDialect();
  const out = new Map<string, ColumnFacts>();
  const select = (sql: string, replacements: unknown[]) => sequelize.query(sql, { type: QueryTypes.SELECT, raw: true, replacements }) as Promise<Row[]>;
  if (dialect === 'postgres') {
    const name = t.schema ? `${quoteIdent('postgres', t.schema)}.${quoteIdent('postgres', t.table)}` : quoteIdent('postgres', t.table);
    const rows = await select(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attgenerated AS generated, a.attidentity AS identity
         FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [name],
    );
    for (const r of rows) {
      const identity = r.identity === 'a' ? 'always' : r.identity === 'd' ? 'default' : null;
      out.set(String(r.name), { dbType: String(r.type).toLowerCase(), generated: r.generated === 's' || r.generated === 'v', identity });
    }
  } else if (dialect === 'sqlite') {
    // table_xinfo lists generated columns too: hidden 2 (VIRTUAL) or 3 (STORED).
    const rows = await select(`PRAGMA table_xinfo(${quoteIdent('sqlite', t.schema ? `${t.schema}.${t.table}` : t.table)})`, []);
    for (const r of rows) out.set(String(r.name), { dbType: String(r.type ?? '').toLowerCase(), generated: Number(r.hidden) === 2 || Number(r.hidden) === 3, identity: null });
  } else {
    // EXTRA reads 'VIRTUAL GENERATED' / 'STORED GENERATED' on MariaDB and MySQL ('PERSISTENT' on
    // old MariaDB); MySQL's 'DEFAULT_GENERATED' (an expression default) is an ordinary column.
    const rows = await select(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [t.schema ?? null, t.table],
    );
    for (const r of rows) out.set(String(r.name), { dbType: String(r.type).toLowerCase(), generated: /\b(VIRTUAL|STORED|PERSISTENT)\b/i.test(String(r.extra ?? '')), identity: null });
  }
  return out;
}

/**
 * Adds the database's facts to described models (capture): each column's `dbType`, and the
 * table's computed columns in `generated` (mapped by the model or not), so a restore knows they
 * are the database's to fill and does not report them as missing.
 */
export async function annotateModels(sequelize: Sequelize, models: ModelInfo[]): Promise<void> {
  for (const model of models) {
    const facts = await tableFacts(sequelize, model);
    for (const column of model.columns) {
      const f = facts.get(column.column);
      if (f) column.dbType = f.dbType;
    }
    const generated = [...facts].filter(([, f]) => f.generated).map(([name]) => name);
    if (generated.length) model.generated = generated;
  }
}
