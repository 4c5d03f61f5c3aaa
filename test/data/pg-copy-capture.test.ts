// PostgreSQL capture through the socket COPY reader (src/data/pg-copy-out.ts), on a real server:
// the rows records hold exactly the server's COPY text (compared with pg-copy-streams' reading of
// the same COPY), rows long and short, multi-byte, larger than a frame; an error inside the COPY
// fails the capture and leaves the pool usable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataTypes, type Sequelize } from 'sequelize';
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { createTestDatabase } from '../apps/databases.js';
import { capture } from '../../src/data/capture.js';
import { BackupRegistry } from '../../src/data/registry.js';
import { readRecords, RecordType } from '../../src/data/format.js';
import { openPgReader } from '../../src/data/dialect-pg.js';
import { collect, chunked } from '../../src/io/memory.js';
import { serviceAvailable } from './helpers.js';

async function referenceCopy(sequelize: Sequelize, sql: string): Promise<Buffer> {
  const cm = (sequelize as unknown as { connectionManager: { getConnection(o: object): Promise<Client>; releaseConnection(c: Client): Promise<void> } }).connectionManager;
  const client = await cm.getConnection({ type: 'SELECT' });
  try {
    const parts: Buffer[] = [];
    for await (const chunk of client.query(copyTo(sql)) as unknown as AsyncIterable<Buffer>) parts.push(chunk);
    return Buffer.concat(parts);
  } finally {
    await cm.releaseConnection(client);
  }
}

test('rows records hold the server COPY text byte for byte, frames at row ends', async () => {
  if (!(await serviceAvailable('postgres'))) return;
  const db = await createTestDatabase('postgres', { pool: { max: 1 } });
  try {
    const Note = db.sequelize.define('Note', { id: { type: DataTypes.INTEGER, primaryKey: true }, body: DataTypes.TEXT, blob: DataTypes.BLOB }, { timestamps: false });
    await db.sequelize.sync();
    const rows = Array.from({ length: 30000 }, (_, i) => ({
      id: i + 1,
      body: i % 997 === 0 ? 'ü€\t\\\n'.repeat(60000) : i % 3 === 0 ? null : `zeile ${i} ${'ä'.repeat(i % 50)}`,
      blob: i % 5 === 0 ? Buffer.from([i & 255, 0, 10, 9, 92]) : null,
    }));
    for (let i = 0; i < rows.length; i += 2000) await Note.bulkCreate(rows.slice(i, i + 2000));
    const payload = await collect(capture({ sequelize: db.sequelize, registry: new BackupRegistry() }));
    const bodies: Uint8Array[] = [];
    let counted = 0;
    for await (const r of readRecords(chunked(payload, 65536))) {
      if (r.type !== RecordType.RowsPgCopy) continue;
      const count = new DataView(r.body.buffer, r.body.byteOffset).getUint32(0, true);
      const lines = r.body.subarray(4);
      assert.is(lines[lines.length - 1], 10, 'a frame ends at a row end');
      assert.is(lines.filter((b) => b === 10).length, count, 'the row count matches the lines');
      assert.ok(lines.length <= 256 << 10 || count === 1, 'a frame is at most 256 KiB unless it holds one larger row');
      counted += count;
      bodies.push(lines);
    }
    assert.is(counted, rows.length);
    const expected = await referenceCopy(db.sequelize, 'COPY "Notes" ("id", "body", "blob") TO STDOUT');
    assert.ok(Buffer.concat(bodies).equals(expected), 'the same COPY text as pg-copy-streams reads');
  } finally {
    await db.drop();
  }
});

test('an error in the middle of the COPY fails the read; the pool of one still works after it', async () => {
  if (!(await serviceAvailable('postgres'))) return;
  const db = await createTestDatabase('postgres', { pool: { max: 1 } });
  try {
    const Thing = db.sequelize.define('Thing', { id: { type: DataTypes.INTEGER, primaryKey: true }, n: DataTypes.TEXT }, { timestamps: false });
    await db.sequelize.sync();
    await Thing.bulkCreate(Array.from({ length: 30000 }, (_, i) => ({ id: i + 1, n: String(i) })));
    // A view whose column fails on a late row: the server sends rows, then an ErrorResponse.
    await db.sequelize.query(`CREATE FUNCTION boom(i int) RETURNS text AS $$ BEGIN IF i > 25000 THEN RAISE EXCEPTION 'boom at %', i; END IF; RETURN i::text; END $$ LANGUAGE plpgsql`);
    await db.sequelize.query(`CREATE VIEW "Bad" AS SELECT id, boom(id) AS n FROM "Things" ORDER BY id`);
    const column = (name: string, type: string) => ({ attribute: name, column: name, type, sqlType: type, field: 'VALUE' });
    // Marked computed, so the reader copies it through a query (COPY (SELECT ...) TO STDOUT).
    const model = { name: 'Bad', table: 'Bad', columns: [column('id', 'INTEGER'), column('n', 'TEXT')], excluded: [], generated: ['n'], primaryKey: ['id'], foreignKeys: [], associations: [], paranoid: false, through: false };
    const reader = await openPgReader(db.sequelize);
    let rows = 0;
    let failure: unknown;
    try {
      for await (const batch of reader.rows(model as never)) rows += (batch as { rows: number }).rows;
    } catch (error) {
      failure = error;
    } finally {
      await reader.close();
    }
    assert.ok(rows > 0, 'rows arrived before the error');
    assert.match(String((failure as Error)?.message), /boom at 25001/);
    // The capture's connection was given back (or replaced): the pool of one serves the next query.
    const again = await collect(capture({ sequelize: db.sequelize, registry: new BackupRegistry() }));
    assert.ok(again.length > 30000);
  } finally {
    await db.drop();
  }
});

test.run();
