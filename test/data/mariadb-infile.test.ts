// MariaDB with dialectOptions.permitLocalInfile: tables that start empty load through LOAD DATA
// LOCAL INFILE. Same bytes as the INSERT path, and what LOCAL loads would only warn about (a
// duplicate key, a value that does not fit) still fails the restore and rolls it back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QueryTypes } from 'sequelize';
import { snapshotDatabase } from '../apps/app.js';
import { captureBytes, openApp, restoreBytes, serviceAvailable, type AppHandle } from './helpers.js';
import { RecordType, RecordWriter, ByteWriter, readRecords, jsonBody, parseJsonBody, type Cell } from '../../src/data/format.js';
import type { Manifest } from '../../src/data/manifest.js';
import { RestoreError } from '../../src/errors.js';
import { chunked } from '../../src/io/memory.js';

const infile = { dialectOptions: { permitLocalInfile: true } };

/** The payload with one cell of model `model`'s first row replaced (by column name). */
async function withCell(payload: Uint8Array, model: string, column: string, value: Cell, duplicateFirstRow = false): Promise<Uint8Array> {
  const w = new RecordWriter();
  const parts = [w.preamble()];
  let manifest: Manifest | null = null;
  let current = '';
  let extra = 0;
  for await (const r of readRecords(chunked(payload))) {
    if (r.type === RecordType.End) break;
    if (r.type === RecordType.Header) manifest = parseJsonBody<Manifest>(r.body, 'Header');
    if (r.type === RecordType.TableBegin) current = parseJsonBody<{ model: string }>(r.body, 'TableBegin').model;
    if (r.type === RecordType.TableEnd && current === model && extra) {
      const info = parseJsonBody<{ model: string; rows: number }>(r.body, 'TableEnd');
      parts.push(w.record(r.type, jsonBody({ ...info, rows: info.rows + extra })));
      continue;
    }
    if (r.type === RecordType.RowsCells && current === model && !extra) {
      const m = manifest!.models.find((x) => x.name === model)!;
      const { ByteReader } = await import('../../src/data/format.js');
      const reader = new ByteReader(r.body);
      const count = reader.u32();
      const rows: Cell[][] = Array.from({ length: count }, () => m.columns.map(() => reader.cell()));
      rows[0][m.columns.findIndex((c) => c.column === column)] = value;
      if (duplicateFirstRow) rows.push(rows[0]);
      extra = duplicateFirstRow ? 1 : 0;
      const out = new ByteWriter();
      out.u32(rows.length);
      for (const row of rows) for (const cell of row) out.cell(cell);
      parts.push(w.record(r.type, out.take()));
      if (!duplicateFirstRow) extra = -1;
      continue;
    }
    parts.push(w.record(r.type, r.body));
  }
  parts.push(w.end({}));
  return Buffer.concat(parts);
}

test('LOAD DATA LOCAL path: byte for byte; duplicate keys and bad values fail and roll back', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const source: AppHandle = await openApp('mariadb', { rows: 40 });
  const target = await openApp('mariadb', { seed: false, filesDir: source.filesDir, sequelize: infile });
  try {
    const payload = await captureBytes(source);
    const loads = async () => Number(((await target.db.sequelize.query("SHOW GLOBAL STATUS LIKE 'Com_load'", { type: QueryTypes.SELECT })) as { Value: string }[])[0].Value);
    const loadsBefore = await loads();
    await restoreBytes(payload, target);
    assert.ok((await loads()) - loadsBefore >= 9, 'every table went through LOAD DATA');
    assert.equal((await snapshotDatabase(target.db.sequelize)).tables, (await snapshotDatabase(source.db.sequelize)).tables);

    const empty = await openApp('mariadb', { seed: false, filesDir: source.filesDir, sequelize: infile });
    try {
      const before = await snapshotDatabase(empty.db.sequelize);
      const dup = await withCell(payload, 'Tag', 'name', 'dup', true);
      let error = await restoreBytes(dup, empty).catch((e) => e);
      assert.instance(error, RestoreError);
      assert.match(error.message, /Duplicate|rows loaded/);
      assert.equal((await snapshotDatabase(empty.db.sequelize)).tables, before.tables, 'duplicate key: rolled back');
      const bad = await withCell(payload, 'Membership', 'level', '99999999');
      error = await restoreBytes(bad, empty).catch((e) => e);
      assert.instance(error, RestoreError);
      assert.equal((await snapshotDatabase(empty.db.sequelize)).tables, before.tables, 'out-of-range value: rolled back');
    } finally {
      await empty.close();
    }
  } finally {
    await target.close();
    await source.close();
  }
});

test('LOAD DATA LOCAL path: a table larger than one LOAD statement (several statements, one transaction)', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const { createTestDatabase } = await import('../apps/databases.js');
  const { DataTypes } = await import('sequelize');
  const { capture } = await import('../../src/data/capture.js');
  const { restore } = await import('../../src/data/restore.js');
  const { BackupRegistry } = await import('../../src/data/registry.js');
  const { collect } = await import('../../src/io/memory.js');
  const a = await createTestDatabase('mariadb');
  const b = await createTestDatabase('mariadb', infile);
  try {
    const define = (s: typeof a.sequelize) => s.define('Big', { id: { type: DataTypes.INTEGER, primaryKey: true }, body: DataTypes.TEXT, bin: DataTypes.BLOB }, { timestamps: false });
    const A = define(a.sequelize);
    define(b.sequelize);
    await a.sequelize.sync();
    await b.sequelize.sync();
    // About 12 MB: more than one LOAD statement's worth (8 MiB with the default 16 MiB max_allowed_packet).
    await a.sequelize.query(`INSERT INTO Bigs (id, body, bin) SELECT seq, CONCAT(REPEAT('x\\t\\n', seq % 50), REPEAT(MD5(seq), 8)), UNHEX(REPEAT(MD5(seq), 4)) FROM seq_1_to_30000`);
    const payload = await collect(capture({ sequelize: a.sequelize, registry: new BackupRegistry() }));
    const loads = async () => Number(((await b.sequelize.query("SHOW GLOBAL STATUS LIKE 'Com_load'", { type: QueryTypes.SELECT })) as { Value: string }[])[0].Value);
    const before = await loads();
    const r = await restore(chunked(payload), { sequelize: b.sequelize, registry: new BackupRegistry() });
    assert.is(r.rows, 30000);
    assert.ok((await loads()) - before >= 2, 'split over several LOAD statements (half of max_allowed_packet each)');
    assert.equal((await snapshotDatabase(b.sequelize)).tables, (await snapshotDatabase(a.sequelize)).tables);
    assert.is(await A.count(), 30000);
  } finally {
    await a.drop();
    await b.drop();
  }
});

test.run();
