// PostgreSQL: capture with COPY TO STDOUT (text format, the server's own representation) inside a
// REPEATABLE READ READ ONLY transaction; restore with COPY FROM STDIN in one transaction, foreign
// keys dropped and re-added (validated) inside it, sequences reset afterwards.
import type { Sequelize } from 'sequelize';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ModelInfo } from './manifest.js';
import { quoteIdent, quoteTable } from './manifest.js';
import type { RowBatch, SourceReader, TargetTable, TargetWriter } from './dialect-types.js';
import { copyLine, parseCopyText } from './pgcopy.js';
import { CopyOut } from './pg-copy-out.js';
import type { Cell } from './format.js';
import { FRAME_HEAD, connectionManager } from './dialect-types.js';

const BATCH_BYTES = 256 << 10;
const q = (name: string) => quoteIdent('postgres', name);
const qt = (t: { table: string; schema?: string }) => quoteTable('postgres', t);

const SESSION = [
  "SET LOCAL TIME ZONE 'UTC'",
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL IntervalStyle = 'postgres'",
  "SET LOCAL bytea_output = 'hex'",
  'SET LOCAL extra_float_digits = 3',
];

async function serverVersion(client: Client): Promise<string> {
  return String((await client.query('SHOW server_version')).rows[0].server_version);
}

/** Migration names from SequelizeMeta, in order; null when the app has no such table. */
async function migrations(client: Client): Promise<string[] | null> {
  if (!(await tableExists(client, { table: 'SequelizeMeta' }))) return null;
  const r = await client.query('SELECT "name" FROM "SequelizeMeta" ORDER BY "name"');
  return r.rows.map((row: { name: string }) => row.name);
}

async function tableExists(client: Client, t: { table: string; schema?: string }): Promise<boolean> {
  const r = await client.query('SELECT to_regclass($1) IS NOT NULL AS ok', [qt(t)]);
  return r.rows[0].ok === true;
}

export async function openPgReader(sequelize: Sequelize, onFileCells?: (model: ModelInfo, rows: Cell[][]) => void): Promise<SourceReader> {
  const cm = connectionManager(sequelize);
  const client = (await cm.getConnection({ type: 'SELECT' })) as Client;
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    for (const s of SESSION) await client.query(s);
  } catch (error) {
    await cm.releaseConnection(client);
    throw error;
  }
  return {
    serverVersion: () => serverVersion(client),
    migrations: () => migrations(client),
    async *rows(model: ModelInfo): AsyncGenerator<RowBatch> {
      const columns = model.columns.map((c) => q(c.column)).join(', ');
      // COPY refuses computed (GENERATED ... STORED) columns by name; a query's COPY reads them,
      // with the same text output, so a model that maps one still gets its values.
      const computed = model.generated && model.columns.some((c) => model.generated!.includes(c.column));
      const source = computed ? `(SELECT ${columns} FROM ${qt(model)})` : `${qt(model)} (${columns})`;
      const copy = new CopyOut(`COPY ${source} TO STDOUT`, FRAME_HEAD, BATCH_BYTES);
      // pg runs the COPY when its turn comes; an error before then (a bad column) is thrown by next().
      client.query(copy as never);
      const needsCells = onFileCells && model.columns.some((c) => c.field === 'FILE' || c.field === 'FILE_PATH');
      const bytea = model.columns.map((c) => c.type === 'BLOB');
      let finished = false;
      try {
        // Frames of whole COPY lines, FRAME_HEAD bytes free in front for the record header and row count.
        for (let next = await copy.next(); next; next = await copy.next()) {
          const bytes = next.frame.subarray(FRAME_HEAD);
          if (needsCells) onFileCells!(model, parseCopyText(bytes, model.columns.length, bytea));
          yield { kind: 'pgcopy', bytes, rows: next.rows, frame: next.frame };
        }
        finished = true;
      } finally {
        // Stopped mid-COPY (the consumer went away, or an error): the connection is in the middle
        // of a COPY and cannot take ROLLBACK; close() throws it away instead.
        if (!finished) {
          broken = true;
          copy.abandon();
        }
      }
    },
    async close() {
      if (broken) {
        await cm.destroyConnection(client);
        return;
      }
      try {
        await client.query('ROLLBACK');
      } finally {
        await cm.releaseConnection(client);
      }
    },
  };
}

/** Columns of the table that are GENERATED ALWAYS AS IDENTITY. */
async function alwaysIdentity(client: Client, t: TargetTable): Promise<string[]> {
  const r = await client.query(`SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attidentity = 'a' AND NOT attisdropped`, [qt(t)]);
  return r.rows.map((row: { attname: string }) => row.attname);
}

/**
 * Moves `seq` so its next value lies past every key in `col` (below them for a descending
 * sequence). Merge only ever moves it forward; after a flush the table holds just the restored
 * rows, so the sequence follows them (back to its start when the table is empty).
 */
async function resetSequence(client: Client, t: TargetTable, col: string, seq: string, flushed: boolean): Promise<void> {
  const def = (await client.query('SELECT seqincrement::text AS inc, seqmin::text AS min, seqmax::text AS max FROM pg_sequence WHERE seqrelid = $1::regclass', [seq])).rows[0] as { inc: string; min: string; max: string };
  const step = BigInt(def.inc);
  const up = step > 0n;
  const edge = (await client.query(`SELECT ${up ? 'max' : 'min'}(${q(col)})::text AS v FROM ${qt(t)}`)).rows[0].v as string | null;
  if (edge === null) {
    if (flushed) await client.query(`ALTER SEQUENCE ${seq} RESTART`);
    return;
  }
  const state = (await client.query(`SELECT last_value::text AS v, is_called AS c FROM ${seq}`)).rows[0] as { v: string; c: boolean };
  const next = state.c ? BigInt(state.v) + step : BigInt(state.v);
  let wanted = BigInt(edge) + step;
  if (!flushed && (up ? wanted <= next : wanted >= next)) return;
  // Keys at the sequence's bound leave nothing to hand out: RESTART at the bound (the database
  // then reports the collision or the exhausted sequence itself) rather than failing the restore.
  if (wanted > BigInt(def.max)) wanted = BigInt(def.max);
  if (wanted < BigInt(def.min)) wanted = BigInt(def.min);
  await client.query(`ALTER SEQUENCE ${seq} RESTART WITH ${wanted}`);
}

export async function openPgWriter(sequelize: Sequelize): Promise<TargetWriter> {
  const cm = connectionManager(sequelize);
  const client = (await cm.getConnection({ type: 'INSERT' })) as Client;
  let dropped: { table: string; name: string; def: string }[] = [];
  let rebuilt: string[] = [];
  let current: { t: TargetTable; upsert: boolean; stream: Writable; target: string } | null = null;
  let pendingError: Error | null = null;

  const write = async (stream: Writable, data: Uint8Array | string) => {
    if (pendingError) throw pendingError;
    if (!stream.write(data)) {
      // The listener that loses the race is removed (abort), so waits do not pile up listeners.
      const settled = new AbortController();
      try {
        await Promise.race([
          once(stream, 'drain', { signal: settled.signal }),
          once(stream, 'error', { signal: settled.signal }).then(([e]) => { throw e; }),
        ]);
      } finally {
        settled.abort();
      }
    }
  };

  return {
    async begin() {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      for (const s of SESSION) await client.query(s);
    },
    serverVersion: () => serverVersion(client),
    migrations: () => migrations(client),
    async hasRows(t) {
      const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${qt(t)}) AS has`);
      return r.rows[0].has === true;
    },
    async relaxConstraints(tables, empty) {
      // Foreign keys touching these tables are dropped inside the transaction and re-added (and so
      // validated against every row) in finish(): self-references and cycles load in any order,
      // and COPY does not check each row (3x faster than per-row checks, measured).
      const names = tables.map((t) => qt(t));
      const r = await client.query(
        `SELECT con.conname AS name, con.conrelid::regclass::text AS tbl, pg_get_constraintdef(con.oid) AS def
           FROM pg_constraint con
          WHERE con.contype = 'f' AND (con.conrelid = ANY($1::regclass[]) OR con.confrelid = ANY($1::regclass[]))
          ORDER BY con.conrelid::regclass::text, con.conname`,
        [names],
      );
      dropped = r.rows.map((row: { name: string; tbl: string; def: string }) => ({ table: row.tbl, name: row.name, def: row.def }));
      for (const c of dropped) await client.query(`ALTER TABLE ${c.table} DROP CONSTRAINT ${q(c.name)}`);
      // Tables that start empty load without their indexes (primary key and unique constraints
      // included), which are built once after the load, as pg_restore does; building them also
      // checks uniqueness, so duplicates still fail the restore.
      if (!empty.length) return;
      const ix = await client.query(
        `SELECT i.indexrelid::regclass::text AS idx, i.indrelid::regclass::text AS tbl, c.conname AS con,
                pg_get_constraintdef(c.oid) AS condef, pg_get_indexdef(i.indexrelid) AS idxdef
           FROM pg_index i
           LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
          WHERE i.indrelid = ANY($1::regclass[])
          ORDER BY 2, 1`,
        [empty.map((t) => qt(t))],
      );
      for (const row of ix.rows as { idx: string; tbl: string; con: string | null; condef: string; idxdef: string }[]) {
        if (row.con) {
          await client.query(`ALTER TABLE ${row.tbl} DROP CONSTRAINT ${q(row.con)}`);
          rebuilt.push(`ALTER TABLE ${row.tbl} ADD CONSTRAINT ${q(row.con)} ${row.condef}`);
        } else {
          await client.query(`DROP INDEX ${row.idx}`);
          rebuilt.push(row.idxdef);
        }
      }
    },
    async deleteAll(tables) {
      for (const t of tables) await client.query(`DELETE FROM ${qt(t)}`);
    },
    async beginTable(t, upsert) {
      let target = qt(t);
      if (upsert && t.primaryKey.length) {
        target = q(`dbs_stage_${t.table}`.slice(0, 60));
        await client.query(`CREATE TEMP TABLE ${target} ON COMMIT DROP AS SELECT ${t.columns.map(q).join(', ')} FROM ${qt(t)} WITH NO DATA`);
      }
      const stream = client.query(copyFrom(`COPY ${target} (${t.columns.map(q).join(', ')}) FROM STDIN`)) as unknown as Writable;
      pendingError = null;
      stream.on('error', (e) => {
        pendingError = e;
      });
      current = { t, upsert: upsert && t.primaryKey.length > 0, stream, target };
    },
    async writeBatch(batch) {
      if (!current) throw new Error('writeBatch before beginTable');
      if (batch.kind === 'pgcopy') await write(current.stream, batch.bytes);
      else if (batch.kind === 'framed' || batch.kind === 'encoded') throw new Error('internal: encoded cells handed to the PostgreSQL writer');
      else {
        let text = '';
        for (const row of batch.rows) {
          text += copyLine(row);
          if (text.length >= BATCH_BYTES) {
            await write(current.stream, text);
            text = '';
          }
        }
        if (text) await write(current.stream, text);
      }
    },
    async endTable() {
      if (!current) return;
      const { stream, t, upsert, target } = current;
      current = null;
      if (pendingError) throw pendingError;
      const done = Promise.race([once(stream, 'finish'), once(stream, 'error').then(([e]) => { throw e; })]);
      stream.end();
      await done;
      if (upsert) {
        const cols = t.columns.map(q).join(', ');
        const rest = t.columns.filter((c) => !t.primaryKey.includes(c));
        const action = rest.length ? `DO UPDATE SET ${rest.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ')}` : 'DO NOTHING';
        // COPY writes identity columns as given; an INSERT needs OVERRIDING SYSTEM VALUE for a
        // GENERATED ALWAYS one, and an UPDATE has no such clause: a non-key ALWAYS identity column
        // is made BY DEFAULT for this statement only (transactional DDL, undone on rollback).
        const always = rest.length ? await alwaysIdentity(client, t) : [];
        const relaxed = always.filter((c) => rest.includes(c));
        for (const c of relaxed) await client.query(`ALTER TABLE ${qt(t)} ALTER COLUMN ${q(c)} SET GENERATED BY DEFAULT`);
        await client.query(`INSERT INTO ${qt(t)} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM ${target} ON CONFLICT (${t.primaryKey.map(q).join(', ')}) ${action}`);
        for (const c of relaxed) await client.query(`ALTER TABLE ${qt(t)} ALTER COLUMN ${q(c)} SET GENERATED ALWAYS`);
        await client.query(`DROP TABLE ${target}`);
      }
    },
    async finish(tables, flushed) {
      for (const sql of rebuilt) await client.query(sql);
      rebuilt = [];
      for (const c of dropped) await client.query(`ALTER TABLE ${c.table} ADD CONSTRAINT ${q(c.name)} ${c.def}`);
      dropped = [];
      // Explicit keys do not advance sequences (pitfall 1): each one (serial or identity) moves
      // past the restored keys. ALTER SEQUENCE ... RESTART, unlike setval(), is transactional: a
      // dry run or a failed restore leaves the sequence as it was.
      for (const t of tables) {
        const r = await client.query(
          `SELECT a.attname AS col, pg_get_serial_sequence($1, a.attname) AS seq
             FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
          [qt(t)],
        );
        for (const { col, seq } of r.rows as { col: string; seq: string | null }[]) {
          if (seq) await resetSequence(client, t, col, seq, flushed);
        }
      }
    },
    async commit() {
      await client.query('COMMIT');
    },
    async rollback() {
      if (current) {
        current.stream.destroy();
        current = null;
      }
      await client.query('ROLLBACK').catch(() => {});
    },
    async release() {
      await cm.releaseConnection(client);
    },
  };
}
