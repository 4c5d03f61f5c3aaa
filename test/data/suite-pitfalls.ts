// One named test per trap of /work/shared/sequelize-pitfalls.md, on one dialect. Registered by
// pitfalls-<dialect>.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DataTypes, QueryTypes, Sequelize } from 'sequelize';
import type { TestDialect } from '../apps/databases.js';
import { createTestDatabase } from '../apps/databases.js';
import { fakeHash, logicalSnapshot, snapshotDatabase } from '../apps/app.js';
import { captureBytes, openApp, restoreBytes, serviceAvailable, type AppHandle } from './helpers.js';
import { capture } from '../../src/data/capture.js';
import { restore } from '../../src/data/restore.js';
import { BackupRegistry } from '../../src/data/registry.js';
import { collect } from '../../src/io/memory.js';

async function text(sequelize: Sequelize, sql: string): Promise<string[]> {
  const rows = (await sequelize.query(sql, { type: QueryTypes.SELECT })) as { v: unknown }[];
  return rows.map((r) => (r.v === null ? 'NULL' : String(r.v)));
}

export function pitfallSuite(dialect: TestDialect): void {
  const test = suite(`sequelize pitfalls (${dialect})`);
  let available = false;
  let source: AppHandle;
  let payload: Uint8Array;
  let target: AppHandle;
  const asText = dialect === 'mariadb' ? 'CHAR' : 'TEXT';
  const q = (s: string) => (dialect === 'mariadb' ? `\`${s}\`` : `"${s}"`);

  test.before(async () => {
    available = await serviceAvailable(dialect);
    if (!available) return;
    source = await openApp(dialect, { rows: 20 });
    payload = await captureBytes(source);
    target = await openApp(dialect, { seed: false, filesDir: source.filesDir });
    await restoreBytes(payload, target);
  });
  test.after(async () => {
    if (target) await target.close();
    if (source) await source.close();
  });

  test('pitfall 1: sequences are reset past explicit keys, so the first create() after restore does not collide', async () => {
    if (!available) return;
    for (const model of [target.app.Post, target.app.AuditLog, target.app.Category]) {
      const max = Number(await model.unscoped().max('id', { paranoid: false } as never));
      const row = await model.create(model === target.app.Post ? { title: 'after', authorId: 1 } : model === target.app.AuditLog ? { action: 'after' } : { name: 'after' });
      assert.is(Number(row.get('id')), max + 1, model.name);
      await row.destroy({ force: true } as never);
    }
  });

  test('pitfall 2: soft-deleted rows of paranoid models are captured and restored with their deletedAt', async () => {
    if (!available) return;
    assert.is(await target.app.Post.count({ paranoid: false }), 20);
    assert.is(await target.app.Post.count(), 18, 'two posts stay soft-deleted');
    const t = await text(target.db.sequelize, `SELECT CAST(deleted_at AS ${asText}) AS v FROM posts WHERE deleted_at IS NOT NULL ORDER BY id`);
    const s = await text(source.db.sequelize, `SELECT CAST(deleted_at AS ${asText}) AS v FROM posts WHERE deleted_at IS NOT NULL ORDER BY id`);
    assert.equal(t, s);
  });

  test('pitfall 3: flush removes soft-deleted rows too (raw DELETE, not a paranoid destroy)', async () => {
    if (!available) return;
    const other = await openApp(dialect, { rows: 25 });
    try {
      const extra = await other.app.Post.create({ title: 'not in backup', authorId: 1 });
      await extra.destroy();
      await restoreBytes(payload, other, { flush: true, restoreRoots: [source.filesDir], registry: source.registry });
      assert.is(await other.app.Post.count({ paranoid: false }), 20);
      assert.is(await other.app.Post.count({ paranoid: false, where: { title: 'not in backup' } }), 0);
    } finally {
      await other.close();
    }
  });

  test('pitfall 4: the default scope hides neither rows nor columns (inactive user, password hash)', async () => {
    if (!available) return;
    assert.is(await target.app.User.count(), 2, 'the app still sees two active users');
    const rows = await target.app.User.unscoped().findAll({ order: [['id', 'ASC']] });
    assert.is(rows.length, 3);
    assert.is(rows[2].get('email'), 'hidden@example.com');
    assert.is(rows[2].get('passwordHash'), fakeHash('secret-3'));
  });

  test('pitfall 5: BIGINT beyond 2^53 is exact (both ends of the range)', async () => {
    if (!available) return;
    const v = await text(target.db.sequelize, `SELECT CAST(karma AS ${asText}) AS v FROM ${q('Users')} ORDER BY id`);
    assert.equal(v, ['9007199254740993', '-9223372036854775808', '9223372036854775807']);
    const views = await text(target.db.sequelize, `SELECT CAST(views AS ${asText}) AS v FROM posts ORDER BY id LIMIT 2`);
    assert.equal(views, ['9007199254740992', '9007199254740993']);
  });

  test('pitfall 6: DECIMAL keeps full precision', async () => {
    if (!available) return;
    const v = await text(target.db.sequelize, `SELECT CAST(balance AS ${asText}) AS v FROM ${q('Users')} ORDER BY id`);
    if (dialect === 'sqlite') assert.equal(v, await text(source.db.sequelize, `SELECT CAST(balance AS TEXT) AS v FROM "Users" ORDER BY id`), 'SQLite stores DECIMAL as REAL: the same REAL comes back');
    else assert.equal(v, ['12345678901234.123456', '-0.000001', '0.000000']);
  });

  test('pitfall 7: dates keep full precision; DATEONLY and TIME are not shifted; the timezone is recorded and compared', async () => {
    if (!available) return;
    const dates = `SELECT CAST(last_login AS ${asText}) AS v FROM ${q('Users')} ORDER BY id`;
    assert.equal(await text(target.db.sequelize, dates), await text(source.db.sequelize, dates));
    if (dialect !== 'sqlite') assert.match((await text(target.db.sequelize, dates))[0], /56\.789123/);
    const day = await text(target.db.sequelize, `SELECT CAST(birthday AS ${asText}) AS v FROM ${q('Users')} ORDER BY id`);
    assert.equal(day.slice(0, 2), ['1815-12-10', '1906-12-09']);
    const time = await text(target.db.sequelize, `SELECT CAST(wake_up AS ${asText}) AS v FROM ${q('Users')} ORDER BY id`);
    assert.equal(time.slice(0, 2), ['06:30:15', '23:59:59']);

    // An application running with a non-UTC timezone: its values come back exactly, read the same.
    // (Sequelize refuses a custom timezone on SQLite.)
    if (dialect === 'sqlite') return;
    const a = await openApp(dialect, { rows: 3, sequelize: { timezone: '+05:30' } });
    const b = await openApp(dialect, { seed: false, filesDir: a.filesDir, sequelize: { timezone: '+05:30' } });
    const c = await openApp(dialect, { seed: false, filesDir: a.filesDir });
    try {
      const p = await captureBytes(a);
      const r = await restoreBytes(p, b);
      assert.ok(!r.warnings.some((w) => w.includes('timezone')));
      assert.equal((await snapshotDatabase(b.db.sequelize)).tables, (await snapshotDatabase(a.db.sequelize)).tables);
      assert.equal((await logicalSnapshot(b.db.sequelize)).User, (await logicalSnapshot(a.db.sequelize)).User);
      const r2 = await restoreBytes(p, c);
      assert.ok(r2.warnings.some((w) => w.includes('timezone +05:30') && w.includes('+00:00')), 'a different timezone is reported');
    } finally {
      await c.close();
      await b.close();
      await a.close();
    }
  });

  test('pitfall 8: createdAt / updatedAt are restored as captured, not overwritten', async () => {
    if (!available) return;
    const sql = `SELECT CAST(${q('createdAt')} AS ${asText}) AS v FROM ${q('Users')} ORDER BY id`;
    const upd = `SELECT CAST(updated_at AS ${asText}) AS v FROM posts ORDER BY id`;
    assert.equal(await text(target.db.sequelize, sql), await text(source.db.sequelize, sql));
    assert.equal(await text(target.db.sequelize, upd), await text(source.db.sequelize, upd));
  });

  test('pitfall 9: hooks do not run on restored rows (no re-hashed password, no duplicated audit rows)', async () => {
    if (!available) return;
    const users = await target.app.User.unscoped().findAll({ order: [['id', 'ASC']] });
    assert.is(users[0].get('passwordHash'), fakeHash('secret-1'), 'hashed once, not twice');
    assert.is(await target.app.AuditLog.count({ where: { action: 'signup' } }), 3);
    // Even hooks and validators that would reject every row do not stop a restore.
    const other = await openApp(dialect, { seed: false, filesDir: source.filesDir });
    try {
      other.app.User.addHook('beforeCreate', () => {
        throw new Error('hook ran');
      });
      other.app.User.addHook('beforeBulkCreate', () => {
        throw new Error('hook ran');
      });
      other.app.User.addHook('beforeValidate', () => {
        throw new Error('validation ran');
      });
      const result = await restoreBytes(payload, other);
      assert.is(result.models.find((m) => m.model === 'User')?.rows, 3);
    } finally {
      await other.close();
    }
  });

  test('pitfall 10: JSON keeps its exact text (key order, spacing); JSON values survive', async () => {
    if (!available) return;
    const sql = `SELECT CAST(meta AS ${asText}) AS v FROM posts ORDER BY id`;
    const got = await text(target.db.sequelize, sql);
    assert.equal(got, await text(source.db.sequelize, sql));
    if (dialect !== 'postgres') assert.ok(got.includes('{"b": 1,   "a": [1, 2, {"z": "ä"}]}'), 'whitespace and key order kept');
    const settings = await target.app.User.unscoped().findByPk(1);
    const s = settings!.get('settings');
    assert.equal(typeof s === 'string' ? JSON.parse(s) : s, { theme: 'dark', n: [1, 2.5, null], nested: { 'ключ': 'значение' } });
  });

  test('pitfall 11: ARRAY(ENUM) columns restore (COPY casts to the enum array type); JSON elsewhere', async () => {
    if (!available) return;
    const posts = await target.app.Post.findAll({ paranoid: false, order: [['id', 'ASC']], limit: 4 });
    const labels = posts.map((p) => {
      const v = p.get('labels');
      return typeof v === 'string' ? JSON.parse(v) : v;
    });
    assert.equal(labels, [null, ['red', 'green'], ['red', 'green', 'blue'], ['red']]);
  });

  test('pitfall 11 (schema): ARRAY(ENUM) and ENUM types in a non-public schema (PostgreSQL)', async () => {
    if (!available || dialect !== 'postgres') return;
    const a = await createTestDatabase(dialect);
    const b = await createTestDatabase(dialect);
    try {
      for (const db of [a, b]) {
        await db.sequelize.createSchema('app', {});
        const Paint = db.sequelize.define('Paint', { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, colors: DataTypes.ARRAY(DataTypes.ENUM('red', 'blue')), mood: DataTypes.ENUM('happy', 'sad') }, { schema: 'app', timestamps: false });
        const Brush = db.sequelize.define('Brush', { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true } }, { schema: 'app', timestamps: false });
        Brush.belongsTo(Paint, { foreignKey: 'paintId' });
        await db.sequelize.sync();
      }
      await a.sequelize.models.Paint.bulkCreate([{ colors: ['red', 'blue'], mood: 'sad' }, { colors: [], mood: null }]);
      await a.sequelize.models.Brush.bulkCreate([{ paintId: 2 }, { paintId: 1 }]);
      const p = await collect(capture({ sequelize: a.sequelize, registry: new BackupRegistry() }));
      const r = await restore((async function* () { yield p; })(), { sequelize: b.sequelize, registry: new BackupRegistry() });
      assert.equal(r.models.map((m) => m.rows), [2, 2]);
      const rows = await b.sequelize.models.Paint.findAll({ raw: true, order: [['id', 'ASC']] });
      assert.equal(rows, [{ id: 1, colors: ['red', 'blue'], mood: 'sad' }, { id: 2, colors: [], mood: null }]);
      assert.is(Number((await b.sequelize.models.Paint.create({ colors: ['blue'] })).get('id')), 3, 'sequence in the schema reset too');
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  test('pitfall 12: attribute != column (field, underscored): values land in the target model\'s column; unknown columns reported as discarded', async () => {
    if (!available) return;
    const a = await createTestDatabase(dialect);
    const b = await createTestDatabase(dialect);
    try {
      const A = a.sequelize.define('Person', { id: { type: DataTypes.INTEGER, primaryKey: true }, fullName: { type: DataTypes.STRING, field: 'full_name' }, legacy: DataTypes.STRING }, { timestamps: false, underscored: true });
      const B = b.sequelize.define('Person', { id: { type: DataTypes.INTEGER, primaryKey: true }, fullName: { type: DataTypes.STRING(300), field: 'name_of_person' } }, { timestamps: false });
      await a.sequelize.sync();
      await b.sequelize.sync();
      await A.bulkCreate([{ id: 1, fullName: 'Ada', legacy: 'x' }, { id: 2, fullName: 'Grace', legacy: 'y' }]);
      await a.sequelize.query('CREATE TABLE ' + q('SequelizeMeta') + ' (name VARCHAR(255) PRIMARY KEY)');
      await a.sequelize.query(`INSERT INTO ${q('SequelizeMeta')} (name) VALUES ('001-init.js'), ('002-legacy.js')`);
      await b.sequelize.query('CREATE TABLE ' + q('SequelizeMeta') + ' (name VARCHAR(255) PRIMARY KEY)');
      await b.sequelize.query(`INSERT INTO ${q('SequelizeMeta')} (name) VALUES ('001-init.js'), ('003-rename.js')`);
      const p = await collect(capture({ sequelize: a.sequelize, registry: new BackupRegistry() }));
      const r = await restore((async function* () { yield p; })(), { sequelize: b.sequelize, registry: new BackupRegistry() });
      assert.equal(r.discardedColumns, [{ model: 'Person', column: 'legacy' }]);
      assert.ok(r.warnings.some((w) => w.includes('002-legacy.js')), 'migration only in the backup is named');
      assert.ok(r.warnings.some((w) => w.includes('003-rename.js')), 'migration only here is named');
      assert.ok(r.warnings.some((w) => w.includes('discarded') && w.includes('Person.legacy')));
      assert.ok(r.warnings.some((w) => w.includes('Person.fullName is VARCHAR(255)') && w.includes('VARCHAR(300)')), 'a changed declaration is named');
      const rows = await B.findAll({ order: [['id', 'ASC']] });
      assert.equal(rows.map((x) => x.get('fullName')), ['Ada', 'Grace']);
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  test('pitfall 13: merge upserts by the full composite primary key (no duplicates, other rows kept)', async () => {
    if (!available) return;
    const other = await openApp(dialect, { seed: false, filesDir: source.filesDir });
    try {
      const { User, Membership } = other.app;
      await User.create({ email: 'ada@example.com' });
      await Membership.create({ userId: 1, groupKey: 'readers', level: 0 });
      await Membership.create({ userId: 1, groupKey: 'other', level: 7 });
      const r = await restoreBytes(payload, other);
      assert.ok(r.nonEmptyModels.includes('Membership'));
      const rows = await Membership.findAll({ order: [['userId', 'ASC'], ['groupKey', 'ASC']], raw: true });
      assert.equal((rows as unknown as Record<string, unknown>[]).map((m) => `${m.userId}/${m.groupKey}/${m.level}`), ['1/admins/3', '1/other/7', '1/readers/-32768', '2/readers/32767']);
    } catch (error) {
      throw error;
    } finally {
      await other.close();
    }
  });

  test('pitfall 14: flush deletes children first in one transaction (FKs, self-reference, users <-> teams cycle)', async () => {
    if (!available) return;
    const other = await openApp(dialect, { rows: 7 });
    try {
      await other.app.Category.create({ name: 'extra child', parentId: 1 });
      const r = await restoreBytes(payload, other, { flush: true, restoreRoots: [source.filesDir], registry: source.registry });
      assert.ok(r.flushed);
      assert.equal((await snapshotDatabase(other.db.sequelize)).tables, (await snapshotDatabase(source.db.sequelize)).tables);
    } finally {
      await other.close();
    }
  });

  test('pitfall 15: one path only: a raw bulk load per dialect, whatever the models say', async () => {
    if (!available) return;
    const other = await openApp(dialect, { seed: false, filesDir: source.filesDir });
    try {
      // A model-level default and validator the restored rows do not satisfy.
      const attrs = other.app.Tag.getAttributes() as Record<string, { validate?: object; defaultValue?: unknown }>;
      attrs.name.validate = { isNumeric: true };
      const r = await restoreBytes(payload, other);
      assert.is(r.models.find((m) => m.model === 'Tag')?.rows, 4);
      assert.equal((await other.app.Tag.findAll({ order: [['id', 'ASC']] })).map((t) => t.get('name')), ['sql', 'node', 'backup', 'ünïcode']);
    } finally {
      await other.close();
    }
  });

  test.run();
}
