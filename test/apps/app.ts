// A realistic test application, shared by the data, pipeline, CLI, demo and admin tests:
// users (default scope, hooks, field mapping), posts (paranoid, underscored, JSON/JSONB, BLOB,
// ENUM, ARRAY(ENUM) on PostgreSQL), tags through a belongsToMany junction, a self-referencing
// category tree, a cycle between users and teams, UUID and composite keys, DECIMAL money, BIGINT
// beyond 2^53, dates with sub-second precision, files on disk (FILE, FILE_PATH and a file root).
//
//   const models = defineTestApp(sequelize); await sequelize.sync();
//   await seedTestApp(models, { rows: 100, filesDir });
//   const registry = testAppRegistry(filesDir);          // FILE / FILE_PATH overrides and roots
//   const before = await snapshotDatabase(sequelize, { filesDirs: [filesDir] });  // byte-exact
//   const logical = await logicalSnapshot(models);        // for cross-dialect comparisons
import { createHash } from 'node:crypto';
import { mkdir, writeFile, readdir, readFile, lstat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DataTypes, Model, QueryTypes, Sequelize, type ModelStatic } from 'sequelize';
import { BackupRegistry, FieldType } from '../../src/data/registry.js';
import { tableOf } from '../../src/data/manifest.js';

export interface TestApp {
  sequelize: Sequelize;
  User: ModelStatic<Model>;
  Team: ModelStatic<Model>;
  Post: ModelStatic<Model>;
  Tag: ModelStatic<Model>;
  PostTag: ModelStatic<Model>;
  Category: ModelStatic<Model>;
  Document: ModelStatic<Model>;
  Membership: ModelStatic<Model>;
  AuditLog: ModelStatic<Model>;
}

/** The stand-in for bcrypt: a visible, deterministic transformation a re-run hook would repeat. */
export function fakeHash(password: string): string {
  return 'h$' + createHash('sha256').update(password).digest('hex').slice(0, 24);
}

export function defineTestApp(sequelize: Sequelize): TestApp {
  const pg = sequelize.getDialect() === 'postgres';
  const Team = sequelize.define('Team', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    name: { type: DataTypes.STRING(80), allowNull: false },
    leaderId: { type: DataTypes.INTEGER, allowNull: true },
  });
  const User = sequelize.define(
    'User',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      uuid: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, unique: true },
      email: { type: DataTypes.STRING(190), allowNull: false, unique: true },
      displayName: { type: DataTypes.STRING, field: 'display_name' },
      passwordHash: { type: DataTypes.STRING, field: 'password_hash' },
      active: { type: DataTypes.BOOLEAN, defaultValue: true },
      balance: { type: DataTypes.DECIMAL(20, 6), defaultValue: '0' },
      karma: { type: DataTypes.BIGINT, defaultValue: 0 },
      bio: { type: DataTypes.TEXT },
      birthday: { type: DataTypes.DATEONLY },
      wakeUp: { type: DataTypes.TIME, field: 'wake_up' },
      lastLogin: { type: DataTypes.DATE(6), field: 'last_login' },
      role: { type: DataTypes.ENUM('admin', 'member', 'guest'), defaultValue: 'member' },
      settings: { type: DataTypes.JSON },
      avatar: { type: DataTypes.STRING },
      teamId: { type: DataTypes.INTEGER, allowNull: true },
    },
    {
      defaultScope: { where: { active: true }, attributes: { exclude: ['passwordHash'] } },
      hooks: {
        beforeCreate(user: Model) {
          const p = user.get('passwordHash') as string | null;
          if (p && !p.startsWith('h$')) user.set('passwordHash', fakeHash(p));
        },
      },
    },
  );
  const AuditLog = sequelize.define(
    'AuditLog',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      action: { type: DataTypes.STRING(40), allowNull: false },
      at: { type: DataTypes.DATE(6) },
    },
    { timestamps: false, underscored: true },
  );
  const Category = sequelize.define(
    'Category',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING, allowNull: false },
    },
    { timestamps: false },
  );
  const Post = sequelize.define(
    'Post',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      title: { type: DataTypes.STRING, allowNull: false },
      body: { type: DataTypes.TEXT },
      score: { type: DataTypes.FLOAT },
      rating: { type: DataTypes.DOUBLE },
      publishedAt: { type: DataTypes.DATE(6) },
      meta: { type: pg ? DataTypes.JSONB : DataTypes.JSON },
      cover: { type: DataTypes.BLOB },
      status: { type: DataTypes.ENUM('draft', 'published', 'archived'), defaultValue: 'draft' },
      labels: { type: pg ? DataTypes.ARRAY(DataTypes.ENUM('red', 'green', 'blue')) : DataTypes.JSON },
      views: { type: DataTypes.BIGINT },
    },
    { paranoid: true, underscored: true },
  );
  const Tag = sequelize.define('Tag', { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, name: { type: DataTypes.STRING(60), unique: true } }, { timestamps: false });
  const PostTag = sequelize.define('PostTag', { weight: { type: DataTypes.INTEGER, defaultValue: 1 } }, { timestamps: false });
  const Document = sequelize.define('Document', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
    name: { type: DataTypes.STRING },
    path: { type: DataTypes.STRING(500) },
    size: { type: DataTypes.BIGINT },
  });
  const Membership = sequelize.define(
    'Membership',
    {
      userId: { type: DataTypes.INTEGER, primaryKey: true, references: { model: 'Users', key: 'id' } },
      groupKey: { type: DataTypes.STRING(40), primaryKey: true },
      joinedAt: { type: DataTypes.DATE },
      level: { type: DataTypes.SMALLINT },
    },
    { timestamps: false },
  );

  User.belongsTo(Team, { foreignKey: 'teamId', as: 'team', constraints: true });
  // The other half of the users <-> teams cycle is added by syncTestApp (Sequelize's own sync of
  // cyclic models goes through ALTER, which breaks ARRAY(ENUM) columns).
  Team.belongsTo(User, { foreignKey: 'leaderId', as: 'leader', constraints: false });
  User.hasMany(Post, { foreignKey: { name: 'authorId', field: 'author_id' }, as: 'posts' });
  Post.belongsTo(User, { foreignKey: { name: 'authorId', field: 'author_id' }, as: 'author' });
  Post.belongsToMany(Tag, { through: PostTag, as: 'tags' });
  Tag.belongsToMany(Post, { through: PostTag, as: 'posts' });
  Category.belongsTo(Category, { as: 'parent', foreignKey: 'parentId' });
  Category.hasMany(Category, { as: 'children', foreignKey: 'parentId' });
  Post.belongsTo(Category, { foreignKey: 'categoryId' });
  User.hasMany(AuditLog, { foreignKey: 'userId' });
  Document.belongsTo(User, { foreignKey: 'ownerId' });
  User.hasMany(Membership, { foreignKey: 'userId' });
  // Side effect a restore must not repeat (pitfall 9): every created user writes an audit row.
  User.addHook('afterCreate', async (user: Model, options: { transaction?: unknown }) => {
    await AuditLog.create({ userId: user.get('id'), action: 'signup', at: new Date(Date.UTC(2024, 0, 1)) }, { transaction: options.transaction as never });
  });

  return { sequelize, User, Team, Post, Tag, PostTag, Category, Document, Membership, AuditLog };
}

/** sync() plus the foreign key that closes the users <-> teams cycle. */
export async function syncTestApp(app: TestApp): Promise<void> {
  await app.sequelize.sync();
  await app.sequelize.getQueryInterface().addConstraint(tableOf(app.Team).table, {
    type: 'foreign key' as const,
    name: 'teams_leader_fk',
    fields: ['leaderId'],
    references: { table: tableOf(app.User).table, field: 'id' },
    onDelete: 'SET NULL',
  } as never);
}

/** FILE (User.avatar under `<filesDir>/storage`), FILE_PATH (Document.path), file root `<filesDir>/extra`. */
export function testAppRegistry(filesDir: string): BackupRegistry {
  const registry = new BackupRegistry();
  registry.configure({ storageRoot: join(filesDir, 'storage'), fileRoots: [join(filesDir, 'extra')] });
  registry.register('User', { overrides: { avatar: FieldType.FILE } });
  registry.register('Document', { overrides: { path: FieldType.FILE_PATH } });
  return registry;
}

/** The test app on a fresh SQLite file in `dir`, synced and seeded (files under `filesDir`), with its registry. */
export async function seededSqliteApp(dir: string, options: { rows: number; filesDir: string }): Promise<{ sequelize: Sequelize; registry: BackupRegistry }> {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: join(dir, 'app.sqlite'), logging: false });
  const app = defineTestApp(sequelize);
  await syncTestApp(app);
  await seedTestApp(app, options);
  return { sequelize, registry: testAppRegistry(options.filesDir) };
}

export const HARD_TEXT = 'tab\there, newline\nthere, backslash \\ and \\N, quote \' " , CR\r, emoji 🦊, ü, 中文, zero-width\u200b';

/** Seeds the app: edge values first, then `rows` generated posts (default 40). Deterministic. */
export async function seedTestApp(app: TestApp, options: { rows?: number; filesDir?: string } = {}): Promise<void> {
  const { sequelize } = app;
  const dialect = sequelize.getDialect();
  const pg = dialect === 'postgres';
  const rows = options.rows ?? 40;
  if (options.filesDir) {
    const dir = options.filesDir;
    await mkdir(join(dir, 'storage', 'avatars'), { recursive: true });
    await mkdir(join(dir, 'docs', 'nested dir'), { recursive: true });
    await mkdir(join(dir, 'extra', 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'storage', 'avatars', 'ada.png'), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) & 0xff)));
    await writeFile(join(dir, 'storage', 'avatars', 'grace é.txt'), 'grace\n');
    await writeFile(join(dir, 'docs', 'nested dir', 'report.pdf'), Buffer.from('%PDF-1.4 fake report\n'));
    await writeFile(join(dir, 'docs', 'empty.bin'), Buffer.alloc(0));
    await writeFile(join(dir, 'extra', 'a', 'b', 'notes.md'), '# notes\n');
    await writeFile(join(dir, 'extra', 'top.txt'), 'top');
  }
  const t1 = await app.Team.create({ name: 'Core' });
  const t2 = await app.Team.create({ name: 'Ops' });
  const ada = await app.User.create({
    email: 'ada@example.com', displayName: 'Ada ' + HARD_TEXT, passwordHash: 'secret-1', balance: '12345678901234.123456', karma: '9007199254740993',
    bio: HARD_TEXT, birthday: '1815-12-10', wakeUp: '06:30:15', lastLogin: new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)), role: 'admin',
    settings: { theme: 'dark', n: [1, 2.5, null], nested: { 'ключ': 'значение' } }, avatar: 'avatars/ada.png', teamId: t1.get('id'),
  });
  const grace = await app.User.create({
    email: 'grace@example.com', displayName: null, passwordHash: 'secret-2', balance: '-0.000001', karma: '-9223372036854775808',
    birthday: '1906-12-09', wakeUp: '23:59:59', lastLogin: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)), role: 'member', settings: null,
    avatar: 'avatars/grace é.txt', teamId: t2.get('id'),
  });
  // Hidden by the default scope (active = false): a capture must still see it (pitfall 4).
  const hidden = await app.User.create({ email: 'hidden@example.com', passwordHash: 'secret-3', active: false, karma: '9223372036854775807', role: 'guest', avatar: 'avatars/missing.png' });
  await app.Team.update({ leaderId: ada.get('id') }, { where: { id: t1.get('id') } });
  await app.Team.update({ leaderId: grace.get('id') }, { where: { id: t2.get('id') } });

  const root = await app.Category.create({ name: 'root' });
  const child = await app.Category.create({ name: 'child', parentId: root.get('id') });
  await app.Category.create({ name: 'grandchild', parentId: child.get('id') });
  // A parent inserted after its child (higher id points to... lower id is the child): load order must not matter.
  const orphan = await app.Category.create({ name: 'late child' });
  const lateParent = await app.Category.create({ name: 'late parent' });
  await app.Category.update({ parentId: lateParent.get('id') }, { where: { id: orphan.get('id') } });

  const tags = [];
  for (const name of ['sql', 'node', 'backup', 'ünïcode']) tags.push(await app.Tag.create({ name }));
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const users = [ada, grace, hidden];
  const postRows = [];
  for (let i = 0; i < rows; i++) {
    postRows.push({
      title: i === 0 ? HARD_TEXT : `post ${i}`,
      body: i % 7 === 0 ? null : `body ${i} `.repeat(1 + (i % 5)),
      score: i === 1 ? 0.1 : i === 2 ? -3.4028234e38 : i * 1.25,
      rating: i === 1 ? 0.1 + 0.2 : i === 2 ? 1.7976931348623157e308 : i === 3 ? 5e-324 : i / 3,
      publishedAt: new Date(Date.UTC(2020, i % 12, 1 + (i % 28), i % 24, i % 60, i % 60, i % 1000)),
      meta: i % 3 === 0 ? null : { i, tags: ['x', 'y'], deep: { ok: i % 2 === 0 } },
      cover: i === 0 ? Buffer.from(all) : i % 4 === 0 ? Buffer.from(`cover ${i}`) : null,
      status: ['draft', 'published', 'archived'][i % 3],
      labels: i % 5 === 0 ? null : ['red', 'green', 'blue'].slice(0, 1 + (i % 3)),
      views: String(2n ** 53n + BigInt(i)),
      authorId: users[i % 3].get('id'),
      categoryId: i % 2 ? child.get('id') : null,
    });
  }
  await app.Post.bulkCreate(postRows);
  const posts = await app.Post.findAll({ order: [['id', 'ASC']] });
  // Soft-deleted posts: hidden from finds (pitfall 2), still backed up.
  await posts[1].destroy();
  await posts[posts.length - 1].destroy();
  for (let i = 0; i < posts.length; i += 2) await app.PostTag.create({ PostId: posts[i].get('id'), TagId: tags[i % tags.length].get('id'), weight: i });
  await app.AuditLog.create({ userId: null, action: 'boot', at: new Date(Date.UTC(2023, 5, 1)) });

  const filesDir = options.filesDir ?? '/nonexistent';
  await app.Document.create({ id: '00000000-0000-4000-8000-000000000001', name: 'report', path: join(filesDir, 'docs', 'nested dir', 'report.pdf'), size: 21, ownerId: ada.get('id') });
  await app.Document.create({ id: 'ffffffff-ffff-4fff-bfff-ffffffffffff', name: 'empty', path: join(filesDir, 'docs', 'empty.bin'), size: 0, ownerId: null });
  await app.Membership.create({ userId: ada.get('id'), groupKey: 'admins', joinedAt: new Date(Date.UTC(2021, 0, 1)), level: 3 });
  await app.Membership.create({ userId: ada.get('id'), groupKey: 'readers', joinedAt: null, level: -32768 });
  await app.Membership.create({ userId: grace.get('id'), groupKey: 'readers', joinedAt: new Date(Date.UTC(2022, 6, 4)), level: 32767 });

  // Sub-millisecond precision that a JS Date cannot carry, written in the database's own terms.
  const q = (s: string) => sequelize.getQueryInterface().quoteIdentifier(s);
  const users_ = q(tableOf(app.User).table);
  const posts_ = q(tableOf(app.Post).table);
  if (pg) {
    await sequelize.query(`UPDATE ${users_} SET last_login = '2024-02-29 12:34:56.789123+00' WHERE id = ${ada.get('id')}`);
    await sequelize.query(`UPDATE ${posts_} SET published_at = '2021-03-04 05:06:07.000001+00' WHERE id = ${posts[0].get('id')}`);
    await sequelize.query(`UPDATE ${posts_} SET meta = '{"b": 1, "a": [1, 2, {"z": "ä"}]}' WHERE id = ${posts[2].get('id')}`);
  } else if (dialect === 'mariadb' || dialect === 'mysql') {
    await sequelize.query(`UPDATE ${users_} SET last_login = '2024-02-29 12:34:56.789123' WHERE id = ${ada.get('id')}`);
    await sequelize.query(`UPDATE ${posts_} SET published_at = '2021-03-04 05:06:07.000001' WHERE id = ${posts[0].get('id')}`);
    await sequelize.query(`UPDATE ${posts_} SET meta = '{"b": 1,   "a": [1, 2, {"z": "ä"}]}' WHERE id = ${posts[2].get('id')}`);
  } else {
    await sequelize.query(`UPDATE ${users_} SET last_login = '2024-02-29 12:34:56.789 +00:00' WHERE id = ${ada.get('id')}`);
    await sequelize.query(`UPDATE ${posts_} SET meta = '{"b": 1,   "a": [1, 2, {"z": "ä"}]}' WHERE id = ${posts[2].get('id')}`);
  }
}

/** Every model of the instance, sorted by name. */
function modelsOf(sequelize: Sequelize): ModelStatic<Model>[] {
  return Object.values(sequelize.models).sort((a, b) => a.name.localeCompare(b.name));
}

async function hashTree(dir: string, out: Record<string, string>, base = dir): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isDirectory()) await hashTree(path, out, base);
    else out[relative(base, path)] = createHash('sha256').update(await readFile(path)).digest('hex') + ` ${st.size}`;
  }
}

/**
 * Every row of every model's table in the database's own representation (PostgreSQL row_to_json,
 * MariaDB CAST AS CHAR / HEX for binary, SQLite typeof + quote), ordered by primary key, plus every
 * file under `filesDirs` (sha256 and size). Independent of the capture code; equal snapshots mean
 * byte-for-byte equal data.
 */
export async function snapshotDatabase(sequelize: Sequelize, options: { filesDirs?: string[] } = {}): Promise<{ tables: Record<string, string[]>; files: Record<string, string> }> {
  const dialect = sequelize.getDialect();
  const qi = sequelize.getQueryInterface();
  const tables: Record<string, string[]> = {};
  for (const model of modelsOf(sequelize)) {
    const { table } = tableOf(model);
    const attrs = Object.values(model.getAttributes()) as { field?: string; type: { key: string } }[];
    const cols = attrs.filter((a) => a.type.key !== 'VIRTUAL').map((a) => ({ name: a.field!, blob: a.type.key === 'BLOB' }));
    const pk = model.primaryKeyAttributes.map((a) => (model.getAttributes() as Record<string, { field?: string }>)[a].field ?? a);
    const order = (pk.length ? pk : cols.map((c) => c.name)).map((c) => qi.quoteIdentifier(c)).join(', ');
    let sql: string;
    if (dialect === 'postgres') sql = `SELECT row_to_json(t)::text AS j FROM ${qi.quoteIdentifier(table)} t ORDER BY ${order}`;
    else if (dialect === 'sqlite') sql = `SELECT ${cols.map((c) => `typeof(${qi.quoteIdentifier(c.name)}) || ':' || quote(${qi.quoteIdentifier(c.name)})`).join(` || '|' || `)} AS j FROM ${qi.quoteIdentifier(table)} ORDER BY ${order}`;
    else sql = `SELECT JSON_ARRAY(${cols.map((c) => (c.blob ? `HEX(${qi.quoteIdentifier(c.name)})` : `CAST(${qi.quoteIdentifier(c.name)} AS CHAR)`)).join(', ')}) AS j FROM ${qi.quoteIdentifier(table)} ORDER BY ${order}`;
    const rows = await sequelize.query(sql, { type: QueryTypes.SELECT });
    tables[model.name] = (rows as { j: unknown }[]).map((r) => (typeof r.j === 'string' ? r.j : JSON.stringify(r.j)));
  }
  const files: Record<string, string> = {};
  for (const dir of options.filesDirs ?? []) await hashTree(dir, files);
  return { tables, files };
}

function normalize(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (type === 'DECIMAL') {
    const s = String(value);
    return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  }
  if (type === 'BIGINT') return String(value);
  if (type === 'BOOLEAN') return value === true || value === 1 || value === '1' || value === 't';
  if (type === 'JSON' || type === 'JSONB' || type === 'ARRAY') {
    const v = typeof value === 'string' ? JSON.parse(value) : value;
    const sort = (x: unknown): unknown => (Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])])) : x);
    return JSON.stringify(sort(v));
  }
  if (type === 'FLOAT' || type === 'REAL') return Math.fround(Number(value));
  if (type === 'DOUBLE PRECISION') return Number(value);
  if (type === 'TIME') return String(value).slice(0, 8);
  return value;
}

/**
 * The application's view of every row (through the models, unscoped, soft-deleted included),
 * normalized per logical type: what must be equal after a restore into another dialect.
 */
export async function logicalSnapshot(sequelize: Sequelize): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const model of modelsOf(sequelize)) {
    const attrs = model.getAttributes() as Record<string, { type: { key: string } }>;
    const order = model.primaryKeyAttributes.map((a) => [a, 'ASC'] as [string, string]);
    const rows = await model.unscoped().findAll({ paranoid: false, order });
    out[model.name] = rows.map((r) => {
      const plain = r.get({ plain: true }) as Record<string, unknown>;
      return Object.fromEntries(Object.keys(attrs).sort().map((k) => [k, normalize(plain[k], attrs[k].type.key)]));
    });
  }
  return out;
}
