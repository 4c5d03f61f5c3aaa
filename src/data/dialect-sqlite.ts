// SQLite: capture in a read transaction, pages by rowid (never OFFSET), each value with its
// storage class (integers as exact decimal text, reals as shortest round-trip text, text, blobs);
// restore with prepared statements in one IMMEDIATE transaction with foreign keys deferred to
// COMMIT. sqlite_sequence moves past explicit keys by itself.
import type { Sequelize } from 'sequelize';
import { randomUUID } from 'node:crypto';
import type { ModelInfo } from './manifest.js';
import { quoteIdent, quoteTable, sequelizeOptions } from './manifest.js';
import { connectionManager, type RowBatch, type SourceReader, type TargetTable, type TargetWriter } from './dialect-types.js';
import { Cell, CellTag, SqliteNumber } from './format.js';

const PAGE_ROWS = 2000;
const ROWS_PER_STATEMENT = 200;
/** SQLITE_MAX_VARIABLE_NUMBER of the SQLite that sqlite3 5 bundles (3.32+: 32766). */
const MAX_VARIABLES = 32766;
const q = (name: string) => quoteIdent('sqlite', name);
const qt = (t: { table: string; schema?: string }) => quoteTable('sqlite', t);

interface Statement {
  run(params: unknown[], cb: (this: unknown, err: Error | null) => void): void;
  finalize(cb?: (err: Error | null) => void): void;
}
interface Database {
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: Record<string, unknown>[]) => void): void;
  run(sql: string, params: unknown[], cb: (err: Error | null) => void): void;
  prepare(sql: string, cb: (err: Error | null) => void): Statement;
  uuid?: string;
  filename?: string;
}

function all(db: Database, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows))));
}
function run(db: Database, sql: string, params: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (err) => (err ? reject(err) : resolve())));
}

/** A private connection (the shared one for an in-memory database). */
async function connect(sequelize: Sequelize): Promise<{ db: Database; release: () => Promise<void> }> {
  const cm = connectionManager(sequelize);
  const uuid = `dbs-${randomUUID()}`;
  const db = (await cm.getConnection({ uuid })) as Database;
  const shared = db.filename === ':memory:' || db.filename === '';
  if (!shared) db.uuid = uuid;
  await run(db, `PRAGMA foreign_keys = ${sequelizeOptions(sequelize).foreignKeys === false ? 'OFF' : 'ON'}`);
  await run(db, 'PRAGMA busy_timeout = 10000');
  return {
    db,
    release: async () => {
      if (!shared) await cm.releaseConnection(db);
    },
  };
}

async function serverVersionOf(db: Database): Promise<string> {
  return String((await all(db, 'SELECT sqlite_version() AS v'))[0].v);
}

async function migrationsOf(db: Database): Promise<string[] | null> {
  const t = await all(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'SequelizeMeta'");
  if (!t.length) return null;
  return (await all(db, 'SELECT "name" FROM "SequelizeMeta" ORDER BY "name"')).map((r) => String(r.name));
}

function realText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

export async function openSqliteReader(sequelize: Sequelize, onFileCells?: (model: ModelInfo, rows: Cell[][]) => void): Promise<SourceReader> {
  const { db, release } = await connect(sequelize);
  await run(db, 'BEGIN');
  // A read transaction starts at the first read; take it now so every table sees one snapshot.
  await all(db, 'SELECT count(*) FROM sqlite_master');
  return {
    serverVersion: () => serverVersionOf(db),
    migrations: () => migrationsOf(db),
    async *rows(model): AsyncGenerator<RowBatch> {
      const select = model.columns
        .map((c, i) => `typeof(${q(c.column)}) AS t${i}, CASE WHEN typeof(${q(c.column)}) = 'integer' THEN CAST(${q(c.column)} AS TEXT) ELSE ${q(c.column)} END AS v${i}`)
        .join(', ');
      const needsCells = onFileCells && model.columns.some((c) => c.field === 'FILE' || c.field === 'FILE_PATH');
      let last: number | string = -Infinity as unknown as number;
      let first = true;
      for (;;) {
        const page = await all(db, `SELECT rowid AS __r, ${select} FROM ${qt(model)} ${first ? '' : 'WHERE rowid > ?'} ORDER BY rowid LIMIT ${PAGE_ROWS}`, first ? [] : [last]);
        first = false;
        if (!page.length) return;
        const rows: Cell[][] = page.map((r) =>
          model.columns.map((_, i): Cell => {
            const v = r[`v${i}`];
            switch (r[`t${i}`]) {
              case 'null':
                return null;
              case 'integer':
                return new SqliteNumber(CellTag.Int, String(v));
              case 'real':
                return new SqliteNumber(CellTag.Real, realText(v as number));
              case 'blob':
                return new Uint8Array(v as Buffer);
              default:
                return String(v);
            }
          }),
        );
        last = page[page.length - 1].__r as number;
        if (needsCells) onFileCells!(model, rows);
        yield { kind: 'cells', rows };
        if (page.length < PAGE_ROWS) return;
      }
    },
    async close() {
      try {
        await run(db, 'ROLLBACK');
      } finally {
        await release();
      }
    },
  };
}

function bindValue(cell: Cell): { value: unknown; cast: boolean } {
  if (cell === null) return { value: null, cast: false };
  if (typeof cell === 'string') return { value: cell, cast: false };
  if (cell instanceof Uint8Array) return { value: Buffer.from(cell.buffer, cell.byteOffset, cell.length), cast: false };
  if (cell.kind === CellTag.Real) return { value: Number(cell.text), cast: false };
  const n = Number(cell.text);
  // sqlite3 binds a BigInt as NULL: integers beyond 2^53 go in as text under CAST(... AS INTEGER).
  return Number.isSafeInteger(n) ? { value: n, cast: false } : { value: cell.text, cast: true };
}

export async function openSqliteWriter(sequelize: Sequelize): Promise<TargetWriter> {
  const { db, release } = await connect(sequelize);
  let current: { t: TargetTable; upsert: boolean; statements: Map<string, Statement> } | null = null;
  let open = false;

  /** A prepared INSERT for `rows` rows; `signature` marks ('1') the values bound under CAST. */
  const statementFor = (signature: string, rows: number): Statement => {
    const c = current!;
    const key = `${rows}:${signature}`;
    let s = c.statements.get(key);
    if (s) return s;
    const width = c.t.columns.length;
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) {
      const slots: string[] = [];
      for (let i = 0; i < width; i++) slots.push(signature[r * width + i] === '1' ? 'CAST(? AS INTEGER)' : '?');
      tuples.push(`(${slots.join(', ')})`);
    }
    let sql = `INSERT INTO ${qt(c.t)} (${c.t.columns.map(q).join(', ')}) VALUES ${tuples.join(', ')}`;
    if (c.upsert && c.t.primaryKey.length) {
      const rest = c.t.columns.filter((col) => !c.t.primaryKey.includes(col));
      sql += ` ON CONFLICT (${c.t.primaryKey.map(q).join(', ')}) ${rest.length ? `DO UPDATE SET ${rest.map((col) => `${q(col)} = excluded.${q(col)}`).join(', ')}` : 'DO NOTHING'}`;
    }
    s = db.prepare(sql, () => {});
    c.statements.set(key, s);
    return s;
  };

  return {
    async begin() {
      await run(db, 'BEGIN IMMEDIATE');
      open = true;
      // Checked once at COMMIT: self-references and cycles load in any order.
      await run(db, 'PRAGMA defer_foreign_keys = ON');
    },
    serverVersion: () => serverVersionOf(db),
    migrations: () => migrationsOf(db),
    async hasRows(t) {
      return (await all(db, `SELECT EXISTS (SELECT 1 FROM ${qt(t)}) AS has`))[0].has === 1;
    },
    async relaxConstraints() {},
    async deleteAll(tables) {
      for (const t of tables) await run(db, `DELETE FROM ${qt(t)}`);
    },
    async beginTable(t, upsert) {
      current = { t, upsert, statements: new Map() };
    },
    async writeBatch(batch) {
      if (!current) throw new Error('writeBatch before beginTable');
      if (batch.kind !== 'cells') throw new Error(`internal: ${batch.kind} batch handed to the SQLite writer`);
      // Several rows per statement (one round trip through the driver's thread pool per chunk);
      // chunks with no CAST slot share one cached statement per size.
      const width = current.t.columns.length;
      const perStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_VARIABLES / width)));
      const pending: Promise<void>[] = [];
      for (let start = 0; start < batch.rows.length; start += perStatement) {
        const chunk = batch.rows.slice(start, start + perStatement);
        let signature = '';
        const params: unknown[] = [];
        for (const row of chunk) {
          for (const cell of row) {
            const b = bindValue(cell);
            signature += b.cast ? '1' : '0';
            params.push(b.value);
          }
        }
        const s = statementFor(signature.includes('1') ? signature : '', chunk.length);
        pending.push(new Promise((resolve, reject) => s.run(params, (err) => (err ? reject(err) : resolve()))));
      }
      await Promise.all(pending);
    },
    async endTable() {
      if (!current) return;
      const statements = [...current.statements.values()];
      current = null;
      await Promise.all(statements.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
    },
    async finish(tables) {
      // Foreign keys are checked at COMMIT; report violations before it with a clear list.
      if (sequelizeOptions(sequelize).foreignKeys === false) return;
      const bad: Record<string, unknown>[] = [];
      for (const t of tables) bad.push(...(await all(db, `PRAGMA foreign_key_check(${q(t.table)})`)));
      if (bad.length) {
        const first = bad[0];
        throw new Error(`foreign key check failed: ${bad.length} row(s), first in table ${String(first.table)} (rowid ${String(first.rowid)}) -> ${String(first.parent)}`);
      }
    },
    async commit() {
      await run(db, 'COMMIT');
      open = false;
    },
    async rollback() {
      if (current) {
        for (const s of current.statements.values()) s.finalize();
        current = null;
      }
      if (open) await run(db, 'ROLLBACK').catch(() => {});
      open = false;
    },
    async release() {
      await release();
    },
  };
}
