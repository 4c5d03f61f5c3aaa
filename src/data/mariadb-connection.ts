// The part of a MariaDB driver connection (package mariadb) the MariaDB dialect uses.
export interface MariaConnection {
  query(sql: string | object, values?: unknown[]): Promise<unknown>;
  queryStream(sql: string | object, values?: unknown[]): AsyncIterable<unknown> & { close?: () => void };
}

/** What the driver hands a typeCast callback for each value. */
export interface CastColumn {
  name(): string;
  string(): string | null;
  buffer(): Buffer | null;
}

/** Rows of a small query, every value as the server's text. */
export async function rowsOf(conn: MariaConnection, sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await conn.query({ sql, typeCast: (c: CastColumn) => c.string() }, values)) as Record<string, unknown>[];
}
