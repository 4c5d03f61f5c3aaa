// MariaDB capture: runs of small columns come packed by the server (one value per row, unpacked
// here) instead of one driver callback per value. The cells must be the bytes the per-value path
// reads, for every packable type, NULLs, empty strings and the packing's own delimiters in data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataTypes } from 'sequelize';
import { createTestDatabase } from '../apps/databases.js';
import { BackupRegistry } from '../../src/data/registry.js';
import { capturePlan } from '../../src/data/dialect-mariadb.js';
import { describeModels } from '../../src/data/manifest.js';
import { acquireConnection } from '../../src/data/mariadb-connection.js';
import { seededRandom } from '../helpers/env.js';
import { mariaCellsWith, serviceAvailable } from './helpers.js';

test('packed capture reads the same cells as the per-value path', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const db = await createTestDatabase('mariadb');
  try {
    const s = db.sequelize;
    s.define('Mixed', {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      tiny: DataTypes.BOOLEAN,
      small: DataTypes.SMALLINT,
      num: DataTypes.INTEGER,
      big: DataTypes.BIGINT,
      money: DataTypes.DECIMAL(30, 10),
      dbl: DataTypes.DOUBLE,
      flt: DataTypes.FLOAT,
      day: DataTypes.DATEONLY,
      at: DataTypes.DATE(6),
      clock: DataTypes.TIME,
      name: DataTypes.STRING(300),
      code: DataTypes.CHAR(4),
      latin: DataTypes.STRING(40),
      body: DataTypes.TEXT,
      long: DataTypes.TEXT('long'),
      latinLong: DataTypes.TEXT('medium'), // latin1 below: a single column converted by the server
      bin: DataTypes.BLOB,
      state: DataTypes.ENUM('a', 'b,c', 'N'),
      notNull: { type: DataTypes.STRING(10), allowNull: false },
      meta: DataTypes.JSON,
      yr: DataTypes.INTEGER, // YEAR and TIMESTAMP(6) below
      stamp: DataTypes.DATE(6),
    }, { timestamps: false, tableName: 'mixed' });
    await s.sync();
    await s.query('ALTER TABLE mixed MODIFY latin VARCHAR(40) CHARACTER SET latin1, MODIFY latinLong MEDIUMTEXT CHARACTER SET latin1, MODIFY yr YEAR NULL, MODIFY stamp TIMESTAMP(6) NULL');
    const texts = ['', ',', 'N', '0:', '12:ab', ':', ',,N,', 'héllo wörld', '🙂 emoji', 'tab\tnew\nline\\back', "quote'\"", '\0nul', 'x'.repeat(200), 'é'.repeat(150)];
    const rnd = seededRandom(5).next;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const rows: string[] = [];
    for (let i = 1; i <= 300; i++) {
      const n = (v: string) => (rnd() < 0.2 ? 'NULL' : v);
      const str = (t: string) => s.escape(t);
      rows.push(`(${[
        i,
        n(String(i % 2)),
        n(String(pick([-32768, 0, 32767, 7]))),
        n(String(pick([-2147483648, 0, 2147483647, 42]))),
        n(pick(['9223372036854775807', '-9223372036854775808', '0', '9007199254740993'])),
        n(pick(['12345678901234567890.0123456789', '-0.0000000001', '0', '1.5'])),
        n(pick(['1e300', '-2.2250738585072014e-308', '0.1', '1', '-0', '123456789.123456789', '5e-324', '1.7976931348623157e308', '0.30000000000000004', '1e15', '1e16', '123456789012345680', '-1.5e-7', '100', '1234567.5'])),
        n(pick(['3.4028234e38', '0.1', '1.17549435e-38', '-7'])),
        n(str(pick(['1000-01-01', '9999-12-31', '2024-02-29']))),
        n(str(pick(['1970-01-01 00:00:00.000001', '2038-01-19 03:14:07.999999', '9999-12-31 23:59:59.999999']))),
        n(str(pick(['-838:59:59', '838:59:59', '00:00:00', '12:34:56']))),
        n(str(pick(texts))),
        n(str(pick(['', 'ab', 'N', ',,,,']))),
        n(str(pick(['café', 'naïve', ',', '']))),
        n(str(pick(texts) + 'é'.repeat(Math.floor(rnd() * 3000)))),
        n(str(pick(texts))),
        n(str(pick(['café', 'naïve', ',', '', 'ÿ'.repeat(500)]))),
        n(pick(["X''", "X'00'", "X'2C4E3A2C'", "X'" + 'ff'.repeat(300) + "'"])),
        n(str(pick(['a', 'b,c', 'N']))),
        str(pick(texts.filter((t) => t.length <= 10))),
        n(str(pick(['{"a":1}', '[]', '"x"']))),
        n(String(pick([1901, 2155, 2024]))),
        n(str(pick(['1970-01-01 00:00:01.000000', '2038-01-19 03:14:07.999999', '2024-06-01 12:00:00.5']))),
      ].join(', ')})`);
    }
    await s.query(`INSERT INTO mixed (id, tiny, small, num, big, money, dbl, flt, day, at, clock, name, code, latin, body, \`long\`, latinLong, bin, state, notNull, meta, yr, stamp) VALUES ${rows.join(', ')}`);
    // The driver paths (packed or per value) and the socket reader (src/data/mariadb-rows.ts).
    const run = (packed: boolean, raw = false, binary = true) => mariaCellsWith(s, { packed, raw, binary });
    const compare = async () => {
      const perValue = await run(false);
      const packed = await run(true);
      const viaSocket = await run(false, true);
      const viaSocketText = await run(false, true, false);
      assert.is(perValue.rows, 300);
      assert.is(packed.rows, 300);
      assert.is(viaSocket.rows, 300);
      assert.ok(perValue.cells.length > 300 * 20);
      assert.ok(packed.cells.equals(perValue.cells), 'packed and per-value cells differ');
      assert.ok(viaSocket.cells.equals(perValue.cells), 'socket reader and per-value cells differ');
      assert.ok(viaSocketText.cells.equals(perValue.cells), 'socket reader (text protocol) and per-value cells differ');
    };
    const planOf = async () => {
      const { conn, release } = await acquireConnection(s, 'SELECT');
      try {
        const model = describeModels(s, new BackupRegistry()).models.find((m) => m.table === 'mixed')!;
        return { model, plan: await capturePlan(conn, model) };
      } finally {
        await release();
      }
    };
    // With a FLOAT column the result has one column read through the driver's cast callback.
    await compare();
    {
      // The packed path is the one taken: runs, and single columns only where packing cannot go.
      const { model, plan } = await planOf();
      const singles = plan.filter((p) => !p.run).map((p) => model.columns[p.column].column);
      assert.equal(singles.sort(), ['flt', 'latinLong', 'long', 'meta']);
      assert.equal(plan.filter((p) => !p.run && !p.binary).map((p) => model.columns[p.column].column), ['flt']); // read as DOUBLE, through the callback
      assert.is(plan.filter((p) => p.run).reduce((n, p) => n + p.run!.sized.length, 0), model.columns.length - 4);
    }
    // Without it every result column is bytes cast by the server: rows come without a callback.
    await s.query('ALTER TABLE mixed DROP COLUMN flt');
    s.models.Mixed.removeAttribute('flt');
    await compare();
    {
      const { plan } = await planOf();
      assert.ok(plan.every((p) => p.run || p.binary), 'a result column is not bytes');
    }
  } finally {
    await db.drop();
  }
});

test.run();
