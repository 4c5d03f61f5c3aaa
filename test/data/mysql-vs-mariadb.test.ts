// Sequelize's 'mysql' dialect (mysql2 driver) and its 'mariadb' dialect (mariadb driver) read the
// same database into the same rows and files, byte for byte: only the manifest (dialect, driver,
// time of capture) differs. Both on the MariaDB of this machine (no MySQL server here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequelize } from 'sequelize';
import { defineTestApp } from '../apps/app.js';
import { capture } from '../../src/data/capture.js';
import { readRecords, RecordType, parseJsonBody } from '../../src/data/format.js';
import type { Manifest } from '../../src/data/manifest.js';
import { collect, chunked } from '../../src/io/memory.js';
import { openApp, serviceAvailable } from './helpers.js';

/** Every record but the header and the end (whose hash covers the header), and the manifest. */
async function split(payload: Uint8Array): Promise<{ manifest: Manifest; records: string[] }> {
  let manifest: Manifest | null = null;
  const records: string[] = [];
  for await (const r of readRecords(chunked(payload))) {
    if (r.type === RecordType.Header) manifest = parseJsonBody<Manifest>(r.body, 'Header');
    else if (r.type !== RecordType.End) records.push(`${r.type}:${Buffer.from(r.body).toString('base64')}`);
  }
  return { manifest: manifest!, records };
}

test('mysql (mysql2) and mariadb capture the same rows and files byte for byte', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const h = await openApp('mariadb', { rows: 40 });
  const other = new Sequelize(h.db.name, 'root', '', { host: '127.0.0.1', port: 3306, dialect: 'mysql', logging: false });
  try {
    defineTestApp(other);
    const viaMariadb = await split(await collect(capture({ sequelize: h.db.sequelize, registry: h.registry })));
    const viaMysql2 = await split(await collect(capture({ sequelize: other, registry: h.registry })));
    assert.is(viaMariadb.manifest.dialect, 'mariadb');
    assert.is(viaMysql2.manifest.dialect, 'mysql');
    assert.is(viaMysql2.manifest.driver.name, 'mysql2');
    assert.equal(viaMysql2.manifest.models, viaMariadb.manifest.models);
    assert.ok(viaMariadb.records.filter((r) => r.startsWith(`${RecordType.RowsCells}:`)).length >= 9, 'rows of every table');
    assert.equal(viaMysql2.records, viaMariadb.records);
  } finally {
    await other.close();
    await h.close();
  }
});

test.run();
