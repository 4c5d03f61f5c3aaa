// The connection the MariaDB / MySQL dialect code talks to: the promise API of the mariadb
// package, as Sequelize's 'mariadb' dialect hands it out. Sequelize's 'mysql' dialect hands out a
// callback-style mysql2 connection instead: mysql2Connection() puts the same face on it, so one
// body of SQL serves both drivers.
import type { Sequelize } from 'sequelize';
import { connectionManager } from './dialect-types.js';

export interface MariaConnection {
  /**
   * Runs a statement or query; `sql` may be an options object: sql, typeCast (false: every value
   * as the bytes the server sent), rowsAsArray, infileStreamFactory (LOAD DATA LOCAL INFILE).
   */
  query(sql: string | object, values?: unknown[]): Promise<unknown>;
  /** The rows of a query as an object-mode Readable (same options as query). */
  queryStream(sql: string | object, values?: unknown[]): AsyncIterable<unknown> & { close?: () => void };
}

/** What the driver hands a typeCast callback for each value. */
export interface CastColumn {
  string(): string | null;
  buffer(): Buffer | null;
}

/** Rows of a small query, every value as the server's text. */
export async function rowsOf(conn: MariaConnection, sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await conn.query({ sql, typeCast: (c: CastColumn) => c.string() }, values)) as Record<string, unknown>[];
}

interface Mysql2Query {
  stream(options?: object): AsyncIterable<unknown>;
}
interface Mysql2Connection {
  query(options: object, values: unknown[], callback?: (error: Error | null, result: unknown) => void): Mysql2Query;
  destroy(): void;
  stream?: { destroy(): void };
}

const asBytes = (c: CastColumn) => c.buffer();

function mysql2Options(sql: string | object): object {
  const options = typeof sql === 'string' ? { sql } : { ...(sql as object) };
  // mysql2 replaces a typeCast that is not a function with the connection's (Sequelize sets one).
  const o = options as { typeCast?: unknown };
  if (o.typeCast === false) o.typeCast = asBytes;
  return options;
}

/** A mysql2 connection (callback API) behind the MariaConnection interface. */
export function mysql2Connection(raw: Mysql2Connection): MariaConnection {
  return {
    query: (sql, values = []) => new Promise((resolve, reject) => raw.query(mysql2Options(sql), values, (error, result) => (error ? reject(error) : resolve(result)))),
    queryStream: (sql, values = []) => raw.query(mysql2Options(sql), values).stream(),
  };
}

/** A private connection of the instance's pool, as a MariaConnection, and how to give it back. */
export async function acquireConnection(sequelize: Sequelize, type: 'SELECT' | 'INSERT'): Promise<{ conn: MariaConnection; release(): Promise<void>; destroy(): Promise<void> }> {
  const cm = connectionManager(sequelize);
  const raw = await cm.getConnection({ type });
  const mysql2 = sequelize.getDialect() === 'mysql';
  const conn = mysql2 ? mysql2Connection(raw as Mysql2Connection) : (raw as MariaConnection);
  return {
    conn,
    release: async () => {
      await cm.releaseConnection(raw);
    },
    destroy: async () => {
      if (mysql2) {
        // Sequelize ends a mysql2 connection politely (COM_QUIT after the running query), which
        // never comes while a result is left unread: close the socket first (marks it closing).
        (raw as Mysql2Connection).destroy();
        (raw as Mysql2Connection).stream?.destroy();
      }
      await cm.destroyConnection(raw);
    },
  };
}
