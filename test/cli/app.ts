// A small app for the CLI end-to-end suites: users, posts, tags (belongsToMany), a paranoid model,
// a self-reference, DECIMAL money, BIGINT, dates, JSON, BLOB and files on disk (a FILE column).
// `snapshot()` renders every row and file canonically so two databases can be compared.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DataTypes, Sequelize, type Options } from 'sequelize';
import { backupRegistry, FieldType } from '../../src/data/index.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

export function connect(dialect: 'sqlite' | 'postgres' | 'mariadb', database: string): Sequelize {
  const common: Options = { logging: false };
  if (dialect === 'sqlite') return new Sequelize({ ...common, dialect: 'sqlite', storage: database });
  if (dialect === 'postgres') return new Sequelize(database, 'postgres', '', { ...common, dialect: 'postgres', host: '127.0.0.1', port: 5432 });
  return new Sequelize(database, 'root', '', { ...common, dialect: 'mariadb', host: '127.0.0.1', port: 3306 });
}

export function defineApp(sequelize: Sequelize) {
  const User = sequelize.define('User', {
    name: { type: DataTypes.STRING, allowNull: false },
    email: { type: DataTypes.STRING, unique: true },
    balance: DataTypes.DECIMAL(18, 4),
    visits: DataTypes.BIGINT,
    profile: DataTypes.JSON,
    avatar: DataTypes.BLOB,
    born: DataTypes.DATEONLY,
  });
  const Post = sequelize.define('Post', {
    title: DataTypes.STRING,
    body: DataTypes.TEXT,
    status: DataTypes.ENUM('draft', 'published'),
    publishedAt: DataTypes.DATE(3),
  }, { paranoid: true });
  const Tag = sequelize.define('Tag', { label: { type: DataTypes.STRING, unique: true } }, { timestamps: false });
  const Folder = sequelize.define('Folder', { name: DataTypes.STRING }, { timestamps: false });
  const Attachment = sequelize.define('Attachment', { path: DataTypes.STRING, size: DataTypes.INTEGER }, { timestamps: false });
  User.hasMany(Post, { foreignKey: 'authorId' });
  Post.belongsTo(User, { foreignKey: 'authorId' });
  Post.belongsToMany(Tag, { through: 'PostTags' });
  Tag.belongsToMany(Post, { through: 'PostTags' });
  Folder.belongsTo(Folder, { as: 'parent', foreignKey: 'parentId' });
  Post.hasMany(Attachment, { foreignKey: 'postId' });
  Attachment.belongsTo(Post, { foreignKey: 'postId' });
  backupRegistry.register(Attachment, { overrides: { path: FieldType.FILE } });
  return { User, Post, Tag, Folder, Attachment };
}

/** Creates the tables and fills them (deterministically), with files under `storageRoot`. */
export async function seed(sequelize: Sequelize, storageRoot: string, scale = 1): Promise<void> {
  const { User, Post, Tag, Folder, Attachment } = defineApp(sequelize);
  await sequelize.sync({ force: true });
  const r = seededRandom(42);
  const users = Array.from({ length: 40 * scale }, (_, i) => ({
    name: `User ${i} ${['Zoë', 'Łukasz', '李', 'Ана'][i % 4]}`,
    email: `user${i}@example.com`,
    balance: `${r.int(1_000_000)}.${String(r.int(10000)).padStart(4, '0')}`,
    visits: String(2n ** 40n + BigInt(i)),
    profile: { theme: i % 2 ? 'dark' : 'light', tags: [i, i * 2] },
    avatar: Buffer.from(seededBytes(64, i + 1)),
    born: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
  }));
  await User.bulkCreate(users);
  const tags = await Tag.bulkCreate(['news', 'howto', 'misc', 'ünïcode'].map((label) => ({ label })));
  const posts = await Post.bulkCreate(
    Array.from({ length: 120 * scale }, (_, i) => ({
      title: `Post ${i}`,
      body: `Body of post ${i}. `.repeat(1 + r.int(20)),
      status: i % 3 ? 'published' : 'draft',
      publishedAt: new Date(Date.UTC(2024, i % 12, 1 + (i % 28), 10, 30, 0, i % 1000)),
      authorId: 1 + r.int(users.length),
    })),
  );
  for (const [i, post] of posts.entries()) await (post as any).setTags([tags[i % 4], tags[(i + 1) % 4]]);
  await posts[5].destroy(); // soft-deleted: must be backed up too
  const root = await Folder.create({ name: 'root' });
  const child = await Folder.create({ name: 'child', parentId: (root as any).id });
  await Folder.create({ name: 'leaf', parentId: (child as any).id });
  mkdirSync(join(storageRoot, 'uploads'), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const path = `uploads/file-${i}.bin`;
    const bytes = seededBytes(1000 + i * 3000, 100 + i);
    writeFileSync(join(storageRoot, path), bytes);
    await Attachment.create({ path, size: bytes.length, postId: (posts[i] as any).id });
  }
}

function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Buffer.isBuffer(value)) return `b:${value.toString('hex')}`;
  if (value instanceof Date) return `d:${value.toISOString()}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Every row of every table (sorted) and every file under storageRoot, with hashes. */
export async function snapshot(sequelize: Sequelize, storageRoot: string): Promise<{ rows: Record<string, string[]>; files: Record<string, string> }> {
  const rows: Record<string, string[]> = {};
  for (const model of Object.values(sequelize.models)) {
    const found = await (model as any).unscoped().findAll({ paranoid: false, raw: true });
    rows[model.name] = found.map((row: Record<string, unknown>) => Object.keys(row).sort().map((k) => `${k}=${canonical(row[k])}`).join('|')).sort();
  }
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(storageRoot, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(storageRoot);
  return { rows, files };
}
