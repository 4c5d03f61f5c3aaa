// The registry (per-field mapping, excluded models, file roots) and the manifest (models, through
// models, associations, dependency order), on SQLite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequelize } from 'sequelize';
import { defineTestApp, seedTestApp, syncTestApp, type TestApp } from '../apps/app.js';
import { capture } from '../../src/data/capture.js';
import { restore } from '../../src/data/restore.js';
import { BackupRegistry, FieldType } from '../../src/data/registry.js';
import { readRecords, RecordType, parseJsonBody } from '../../src/data/format.js';
import { describeModels, dependencyOrder, type Manifest, type ModelInfo } from '../../src/data/manifest.js';
import { ConfigError } from '../../src/errors.js';
import { chunked, collect } from '../../src/io/memory.js';

let dir: string;
let app: TestApp;

test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbs-registry-'));
  app = defineTestApp(new Sequelize({ dialect: 'sqlite', storage: join(dir, 'a.sqlite'), logging: false }));
  await syncTestApp(app);
  await seedTestApp(app, { rows: 4, filesDir: join(dir, 'files') });
});
test.after.each(async () => {
  await app.sequelize.close();
  await rm(dir, { recursive: true, force: true });
});

async function manifestOf(payload: Uint8Array): Promise<Manifest> {
  for await (const r of readRecords(chunked(payload))) if (r.type === RecordType.Header) return parseJsonBody<Manifest>(r.body, 'Header');
  throw new Error('no header');
}

test('manifest: every model incl. the belongsToMany through model, field mapping, keys, associations, FK order', async () => {
  const payload = await collect(capture({ sequelize: app.sequelize, registry: new BackupRegistry() }));
  const m = await manifestOf(payload);
  assert.is(m.dialect, 'sqlite');
  assert.is(m.timezone, '+00:00');
  assert.match(m.sequelizeVersion, /^6\./);
  assert.is(m.driver.name, 'sqlite3');
  const names = m.models.map((x) => x.name);
  assert.equal([...names].sort(), ['AuditLog', 'Category', 'Document', 'Membership', 'Post', 'PostTag', 'Tag', 'Team', 'User']);
  const through = m.models.find((x) => x.name === 'PostTag')!;
  assert.ok(through.through);
  assert.equal(through.primaryKey.sort(), ['PostId', 'TagId']);
  const user = m.models.find((x) => x.name === 'User')!;
  assert.equal(user.columns.find((c) => c.attribute === 'displayName')?.column, 'display_name');
  assert.equal(user.columns.find((c) => c.attribute === 'role')?.enumValues, ['admin', 'member', 'guest']);
  const post = m.models.find((x) => x.name === 'Post')!;
  assert.ok(post.paranoid);
  assert.equal(post.foreignKeys.find((f) => f.columns[0] === 'author_id')?.table, 'Users');
  assert.ok(post.associations.some((a) => a.type === 'BelongsToMany' && a.through === 'PostTag' && a.target === 'Tag'));
  // Parents load before children (the cycle users <-> teams is broken somewhere, either way works).
  for (const model of m.models) {
    for (const fk of model.foreignKeys) {
      const parent = m.models.findIndex((x) => x.table === fk.table);
      if (parent >= 0 && m.models[parent] !== model) assert.ok(parent < names.indexOf(model.name), `${m.models[parent].name} before ${model.name}`);
    }
  }
});

test('manifest app: recorded as given (name, version), absent when not given, bad shapes refused', async () => {
  const registry = new BackupRegistry();
  const named = await collect(capture({ sequelize: app.sequelize, registry, app: { name: 'Shop <admin>', version: '2.1.0' } }));
  assert.equal((await manifestOf(named)).app, { name: 'Shop <admin>', version: '2.1.0' });
  const nameOnly = await manifestOf(await collect(capture({ sequelize: app.sequelize, registry, app: { name: 'Shop' } })));
  assert.equal(nameOnly.app, { name: 'Shop' });
  assert.not.ok('app' in (await manifestOf(await collect(capture({ sequelize: app.sequelize, registry })))), 'no app key when not told');
  // The payload with an app still restores (readers take what they need from the manifest).
  const target = defineTestApp(new Sequelize({ dialect: 'sqlite', storage: join(dir, 'app.sqlite'), logging: false }));
  try {
    await syncTestApp(target);
    const r = await restore(chunked(named), { sequelize: target.sequelize, registry, restoreRoots: [dir] });
    assert.is(r.models.find((m) => m.model === 'Post')?.rows, 4);
  } finally {
    await target.sequelize.close();
  }
  for (const bad of [{}, { name: '' }, { name: 'x', version: 3 }, { name: 'x'.repeat(201) }, { name: 'x', secret: 'y' }, 'Shop']) {
    const error = await collect(capture({ sequelize: app.sequelize, registry, app: bad as never })).catch((e) => e);
    assert.instance(error, ConfigError, JSON.stringify(bad));
    assert.match(error.message, /^app/);
  }
});

test('dependency order: self references ignored, cycles broken deterministically', () => {
  const mk = (name: string, parents: string[]): ModelInfo => ({ name, table: name, columns: [], excluded: [], primaryKey: ['id'], foreignKeys: parents.map((p) => ({ columns: [`${p}Id`], table: p, refColumns: ['id'] })), associations: [], paranoid: false, through: false });
  const order = dependencyOrder([mk('C', ['B']), mk('B', ['A', 'B']), mk('A', []), mk('X', ['Y']), mk('Y', ['X'])]).map((m) => m.name);
  assert.ok(order.indexOf('A') < order.indexOf('B') && order.indexOf('B') < order.indexOf('C'));
  assert.is(order.length, 5);
});

test('EXCLUDE leaves a column out (restored rows get the default); excludeModels leaves a model out', async () => {
  const registry = new BackupRegistry().configure({ excludeModels: ['AuditLog'] });
  registry.register(app.User, { overrides: { bio: FieldType.EXCLUDE, passwordHash: FieldType.EXCLUDE } });
  const payload = await collect(capture({ sequelize: app.sequelize, registry, excludeModels: ['Document'] }));
  const m = await manifestOf(payload);
  assert.ok(!m.models.some((x) => x.name === 'AuditLog' || x.name === 'Document'));
  const user = m.models.find((x) => x.name === 'User')!;
  assert.equal(user.excluded.sort(), ['bio', 'password_hash']);
  assert.not.ok(Buffer.from(payload).includes(Buffer.from('h$')), 'no password hash anywhere in the payload');

  const target = defineTestApp(new Sequelize({ dialect: 'sqlite', storage: join(dir, 'b.sqlite'), logging: false }));
  await syncTestApp(target);
  try {
    // Excluded on purpose (same registry): no warning. Unknown to the target's registry: a warning.
    const dry = await restore(chunked(payload), { sequelize: target.sequelize, registry, restoreRoots: [dir], dryRun: true });
    assert.not.ok(dry.warnings.some((w) => w.includes('User.bio')));
    const result = await restore(chunked(payload), { sequelize: target.sequelize, registry: new BackupRegistry(), restoreRoots: [dir] });
    assert.ok(result.warnings.some((w) => w.includes('User.bio') && w.includes('not in the backup')));
    const users = await target.User.unscoped().findAll({ order: [['id', 'ASC']] });
    assert.is(users.length, 3);
    assert.is(users[0].get('bio'), null);
    assert.is(users[0].get('email'), 'ada@example.com');
    assert.is(await target.AuditLog.count(), 0);
  } finally {
    await target.sequelize.close();
  }
});

test('register() rejects what is not a FieldType; model-level file roots are embedded', async () => {
  const registry = new BackupRegistry();
  assert.throws(() => registry.register('User', { overrides: { bio: 'BLOB' as FieldType } }), (e: unknown) => e instanceof ConfigError);
  const extra = join(dir, 'model-root');
  await mkdir(join(extra, 'sub'), { recursive: true });
  await writeFile(join(extra, 'sub', 'a.txt'), 'a');
  registry.register(app.Tag, { fileRoots: [extra] });
  const m = await manifestOf(await collect(capture({ sequelize: app.sequelize, registry })));
  assert.ok(m.roots.some((r) => r.kind === 'root' && r.path === extra));
  const { models } = describeModels(app.sequelize, registry, []);
  assert.is(models.length, 9);
});

test('a model without a table fails the capture with a hint; excluding it (or all its columns) works', async () => {
  const { DataTypes } = await import('sequelize');
  const { CaptureError } = await import('../../src/errors.js');
  app.sequelize.define('Ghost', { id: { type: DataTypes.INTEGER, primaryKey: true }, x: DataTypes.STRING }, { timestamps: false });
  const error = await collect(capture({ sequelize: app.sequelize, registry: new BackupRegistry() })).catch((e) => e);
  assert.instance(error, CaptureError);
  assert.is(error.model, 'Ghost');
  assert.match(error.hint, /excludeModels: \['Ghost'\]/);
  const ok = await collect(capture({ sequelize: app.sequelize, registry: new BackupRegistry(), excludeModels: ['Ghost'] }));
  assert.ok(ok.length > 0);
  const registry = new BackupRegistry().register('Ghost', { overrides: { id: FieldType.EXCLUDE, x: FieldType.EXCLUDE } });
  const m = await manifestOf(await collect(capture({ sequelize: app.sequelize, registry })));
  assert.equal(m.models.find((x) => x.name === 'Ghost')?.columns, []);
  const payload = await collect(capture({ sequelize: app.sequelize, registry }));
  const target = defineTestApp(new Sequelize({ dialect: 'sqlite', storage: join(dir, 'c.sqlite'), logging: false }));
  await syncTestApp(target);
  try {
    target.sequelize.define('Ghost', { id: { type: DataTypes.INTEGER, primaryKey: true }, x: DataTypes.STRING }, { timestamps: false });
    await target.sequelize.models.Ghost.sync();
    const r = await restore(chunked(payload), { sequelize: target.sequelize, registry, restoreRoots: [dir] });
    assert.ok(r.warnings.some((w) => w.startsWith('Ghost: no column')));
    assert.is(r.models.length, 9);
  } finally {
    await target.sequelize.close();
  }
});

test('describePayload reads counts and files without a database; a missing target table fails with a hint', async () => {
  const { describePayload } = await import('../../src/data/inspect.js');
  const { RestoreError } = await import('../../src/errors.js');
  const registry = new BackupRegistry().configure({ storageRoot: join(dir, 'files', 'storage') });
  registry.register(app.User, { overrides: { avatar: FieldType.FILE } });
  const payload = await collect(capture({ sequelize: app.sequelize, registry }));
  const d = await describePayload(chunked(payload, 999));
  assert.is(d.bytes, payload.length);
  assert.is(d.manifest.dialect, 'sqlite');
  assert.is(d.models.find((m) => m.model === 'Post')?.rows, 4);
  assert.is(d.models.find((m) => m.model === 'User')?.rows, 3);
  assert.is(d.files.count, 2);
  assert.equal(d.files.skipped.map((s) => s.path), ['avatars/missing.png']);

  const target = new Sequelize({ dialect: 'sqlite', storage: join(dir, 'd.sqlite'), logging: false });
  try {
    defineTestApp(target);
    await target.models.User.sync();
    const error = await restore(chunked(payload), { sequelize: target, registry, restoreRoots: [dir] }).catch((e) => e);
    assert.instance(error, RestoreError);
    assert.match(error.message, /does not exist in the target database/);
    assert.match(error.hint, /migrations|sync/);
  } finally {
    await target.close();
  }
});

test.run();
