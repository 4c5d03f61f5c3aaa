// The 3 x 3 matrix: the realistic app captured on each dialect restores into each dialect with the
// same logical rows (read back through the models), the same BIGINTs (as text), and working keys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QueryTypes, type Sequelize } from 'sequelize';
import { DIALECTS, type TestDialect } from '../apps/databases.js';
import { logicalSnapshot } from '../apps/app.js';
import { captureBytes, openApp, restoreBytes, serviceAvailable, type AppHandle } from './helpers.js';

const DATE_WITHOUT_FRACTION = new Set(['createdAt', 'updatedAt', 'deletedAt', 'joinedAt']);

/** Lowers both snapshots to what both sides can hold or read (seconds for MariaDB's plain DATETIME, doubles for SQLite's DECIMAL). */
function comparable(snap: Record<string, unknown[]>, dialects: TestDialect[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [model, rows] of Object.entries(snap)) {
    out[model] = rows.map((row) => {
      const r = { ...(row as Record<string, unknown>) };
      for (const key of Object.keys(r)) {
        if (['karma', 'views', 'size'].includes(key)) delete r[key]; // compared as text below
        if (DATE_WITHOUT_FRACTION.has(key) && typeof r[key] === 'string' && dialects.includes('mariadb')) r[key] = (r[key] as string).slice(0, 19);
        if (key === 'balance') delete r[key]; // the MariaDB driver reads DECIMAL as a JS number: compared as text below
        // The MariaDB driver prints FLOAT with 6 significant digits when it reads it back.
        if (key === 'score' && typeof r[key] === 'number' && dialects.includes('mariadb')) r[key] = Number((r[key] as number).toPrecision(6));
      }
      return r;
    });
  }
  return out;
}

async function bigints(sequelize: Sequelize): Promise<string[]> {
  const d = sequelize.getDialect();
  const t = d === 'mariadb' ? 'CHAR' : 'TEXT';
  const q = (s: string) => (d === 'mariadb' ? `\`${s}\`` : `"${s}"`);
  const sql = `SELECT CAST(karma AS ${t}) AS v FROM ${q('Users')} UNION ALL SELECT CAST(views AS ${t}) FROM posts UNION ALL SELECT CAST(id AS ${t}) FROM audit_logs`;
  return ((await sequelize.query(sql, { type: QueryTypes.SELECT })) as { v: string }[]).map((r) => String(r.v)).sort();
}

async function decimals(sequelize: Sequelize, lossy: boolean): Promise<unknown[]> {
  const d = sequelize.getDialect();
  const column = d === 'sqlite' ? 'balance' : `CAST(balance AS ${d === 'mariadb' ? 'CHAR' : 'TEXT'})`;
  const sql = `SELECT ${column} AS v FROM ${d === 'mariadb' ? '`Users`' : '"Users"'} ORDER BY id`;
  const rows = (await sequelize.query(sql, { type: QueryTypes.SELECT })) as { v: string }[];
  // SQLite keeps DECIMAL as a REAL (a double): compare as doubles when it is involved.
  return rows.map((r) => (lossy ? Number(r.v) : String(r.v).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')));
}

test('cross-dialect matrix: every source dialect restores into every target dialect with the same logical rows', async () => {
  const available: TestDialect[] = [];
  for (const d of DIALECTS) if (await serviceAvailable(d)) available.push(d);
  let pairs = 0;
  for (const from of available) {
    const source: AppHandle = await openApp(from, { rows: 12 });
    try {
      const payload = await captureBytes(source);
      const expected = await logicalSnapshot(source.db.sequelize);
      const expectedBig = await bigints(source.db.sequelize);
      for (const to of available) {
        const target = await openApp(to, { seed: false, filesDir: source.filesDir });
        try {
          const result = await restoreBytes(payload, target, { registry: source.registry, restoreRoots: [source.filesDir] });
          if (from !== to) assert.ok(result.warnings.some((w) => w.startsWith('cross-dialect')), `${from} -> ${to}: reported as cross-dialect`);
          assert.equal(result.discardedColumns, [], `${from} -> ${to}: nothing discarded`);
          const got = await logicalSnapshot(target.db.sequelize);
          const both: TestDialect[] = [from, to];
          for (const model of Object.keys(expected)) {
            assert.equal(comparable({ [model]: got[model] }, both), comparable({ [model]: expected[model] }, both), `${from} -> ${to}: ${model}`);
          }
          assert.equal(await bigints(target.db.sequelize), expectedBig, `${from} -> ${to}: BIGINT values`);
          const lossy = both.includes('sqlite');
          assert.equal(await decimals(target.db.sequelize, lossy), await decimals(source.db.sequelize, lossy), `${from} -> ${to}: DECIMAL values`);
          const post = await target.app.Post.create({ title: 'after restore', authorId: 1 });
          assert.is(Number(post.get('id')), 13, `${from} -> ${to}: next key`);
          pairs++;
        } finally {
          await target.close();
        }
      }
    } finally {
      await source.close();
    }
  }
  if (available.length === 3) assert.is(pairs, 9);
});

test.run();
