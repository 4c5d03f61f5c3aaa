// The round trip of the realistic test app on one dialect: byte for byte, then the modes and the
// all-or-nothing guarantee. Registered by roundtrip-<dialect>.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDialect } from '../apps/databases.js';
import { snapshotDatabase } from '../apps/app.js';
import { captureBytes, openApp, restoreBytes, serviceAvailable, type AppHandle } from './helpers.js';
import { RestoreError, TruncatedError, FormatError } from '../../src/errors.js';
import type { CaptureSummary } from '../../src/data/capture.js';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out.sort();
}

export function roundTripSuite(dialect: TestDialect): void {
  const test = suite(`data round trip (${dialect})`);
  let available = false;
  let source: AppHandle;
  let payload: Uint8Array;
  const summary: CaptureSummary = { models: {}, files: 0, skippedFiles: [] };
  let before: Awaited<ReturnType<typeof snapshotDatabase>>;

  test.before(async () => {
    available = await serviceAvailable(dialect);
    if (!available) return;
    source = await openApp(dialect, { rows: 60 });
    before = await snapshotDatabase(source.db.sequelize, { filesDirs: [source.filesDir] });
    payload = await captureBytes(source, summary);
  });
  test.after(async () => {
    if (source) await source.close();
  });

  test('realistic app: capture, drop, restore, every row and file byte for byte, then new inserts get fresh keys', async () => {
    if (!available) return;
    assert.equal(summary.models.Post, 60);
    assert.equal(summary.models.User, 3, 'the user hidden by the default scope is captured');
    assert.equal(summary.files, 6);
    assert.equal(summary.skippedFiles.map((s) => s.path), ['avatars/missing.png'], 'the missing avatar is reported, not dropped silently');
    // "drop": a brand-new database with the schema only, and the files gone.
    const target = await openApp(dialect, { seed: false, filesDir: source.filesDir });
    await rm(source.filesDir, { recursive: true, force: true });
    try {
      const result = await restoreBytes(payload, target);
      assert.equal(result.rows, Object.values(summary.models).reduce((a, b) => a + b, 0));
      assert.equal(result.files.restored, 6);
      assert.equal(result.files.skipped.length, 1);
      assert.equal(result.nonEmptyModels, []);
      assert.equal(result.discardedColumns, []);
      assert.equal(result.warnings.filter((w) => !w.startsWith('file not in the backup')), [], 'no drift reported for the same application');
      const after = await snapshotDatabase(target.db.sequelize, { filesDirs: [source.filesDir] });
      for (const name of Object.keys(before.tables)) assert.equal(after.tables[name], before.tables[name], `table of ${name}`);
      assert.equal(after.files, before.files);
      assert.equal((await listFiles(source.filesDir)).filter((f) => f.includes('dbs-tmp')), [], 'no temporary file left');

      // Sequences / AUTO_INCREMENT / sqlite_sequence are past the restored keys (pitfall 1).
      const { User, Post, AuditLog, Category, Team } = target.app;
      for (const model of [User, Post, AuditLog, Category, Team]) {
        const max = Number(await model.unscoped().max('id', { paranoid: false } as never));
        const created = await model.create(model === User ? { email: 'new@example.com' } : model === Post ? { title: 'new', authorId: 1 } : model === AuditLog ? { action: 'new' } : { name: 'new' });
        assert.is(Number(created.get('id')), max + 1, `${model.name}: next key after restore`);
      }
    } finally {
      await target.close();
    }
  });

  test('merge warns naming the models that held rows; flush replaces (children first); dryRun loads then rolls back, writes no file', async () => {
    if (!available) return;
    const target = await openApp(dialect, { seed: false });
    // Files go back where they were (the source's directory), which is allowed explicitly.
    const here = { restoreRoots: [source.filesDir], registry: source.registry };
    try {
      await restoreBytes(payload, target, here);
      const { User, Tag } = target.app;
      await User.create({ email: 'extra@example.com' });
      await Tag.update({ name: 'renamed' }, { where: { name: 'sql' } });
      const merged = await restoreBytes(payload, target, here);
      assert.ok(merged.nonEmptyModels.includes('User') && merged.nonEmptyModels.includes('Post'));
      assert.ok(merged.warnings.some((w) => w.startsWith('merge:') && w.includes('User')), 'merge warning names the models');
      assert.is(await User.unscoped().count({ where: { email: 'extra@example.com' } }), 1, 'merge keeps rows not in the backup');
      assert.is(await Tag.count({ where: { name: 'sql' } }), 1, 'merge replaces rows with the same primary key');

      const flushed = await restoreBytes(payload, target, { ...here, flush: true });
      assert.ok(flushed.flushed);
      const after = await snapshotDatabase(target.db.sequelize);
      assert.equal(after.tables, before.tables, 'flush leaves exactly the backup');

      const empty = await openApp(dialect, { seed: false });
      try {
        await rm(source.filesDir, { recursive: true, force: true });
        const dry = await restoreBytes(payload, empty, { ...here, dryRun: true });
        assert.ok(dry.dryRun);
        assert.is(dry.rows, Object.values(summary.models).reduce((a, b) => a + b, 0), 'dryRun reports what would load');
        assert.is(dry.files.restored, 6);
        const snap = await snapshotDatabase(empty.db.sequelize, { filesDirs: [source.filesDir] });
        for (const [name, rows] of Object.entries(snap.tables)) assert.equal(rows, [], `${name} is still empty after dryRun`);
        assert.equal(snap.files, {}, 'dryRun writes no file');
      } finally {
        await empty.close();
      }
    } finally {
      await target.close();
    }
  });

  test('a failure injected halfway leaves the target exactly as before (truncated payload, failing callback, altered byte, bad value)', async () => {
    if (!available) return;
    const target = await openApp(dialect, { rows: 5, filesDir: source.filesDir });
    const here = { restoreRoots: [source.filesDir], registry: source.registry };
    try {
      await target.app.Tag.create({ name: 'only-here' });
      const expected = await snapshotDatabase(target.db.sequelize, { filesDirs: [source.filesDir] });
      const unchanged = async (what: string) => {
        const now = await snapshotDatabase(target.db.sequelize, { filesDirs: [source.filesDir] });
        assert.equal(now.tables, expected.tables, `${what}: rows unchanged`);
        assert.equal(now.files, expected.files, `${what}: files unchanged, no temporary file left`);
      };

      // Cut inside the files, after every table was loaded: the rows must be rolled back too.
      const cut = payload.subarray(0, payload.length - 1000);
      let error = await restoreBytes(cut, target, { ...here, flush: true }).catch((e) => e);
      assert.instance(error, TruncatedError);
      await unchanged('truncated after the rows (flush)');

      error = await restoreBytes(payload.subarray(0, Math.floor(payload.length / 2)), target, here).catch((e) => e);
      assert.instance(error, TruncatedError);
      await unchanged('truncated halfway (merge)');

      let seen = 0;
      error = await restoreBytes(payload, target, {
        ...here,
        flush: true,
        onProgress: (p) => {
          if (p.phase === 'rows' && ++seen === 4) throw new Error('injected failure');
        },
      }).catch((e) => e);
      assert.instance(error, RestoreError);
      assert.match(error.message, /injected failure/);
      assert.match(error.message, /rolled back/);
      await unchanged('callback failing halfway (flush)');

      const altered = payload.slice();
      altered[Math.floor(altered.length * 0.4)] ^= 0x01;
      error = await restoreBytes(altered, target, here).catch((e) => e);
      assert.instance(error, FormatError);
      await unchanged('one altered byte');

      // Rows the database rejects (a duplicate primary key) halfway through the load.
      const { RecordWriter, RecordType, ByteWriter, readRecords, jsonBody } = await import('../../src/data/format.js');
      const { chunked } = await import('../../src/io/memory.js');
      const w = new RecordWriter();
      const parts: Uint8Array[] = [w.preamble()];
      for await (const r of readRecords(chunked(payload))) {
        if (r.type === RecordType.End) break;
        parts.push(w.record(r.type, r.body));
        if (r.type === RecordType.TableEnd && JSON.parse(new TextDecoder().decode(r.body)).model === 'Post') {
          const header = JSON.parse(new TextDecoder().decode(parts[1].subarray(5)));
          const tag = header.models.find((m: { name: string }) => m.name === 'Tag');
          parts.push(w.record(RecordType.TableBegin, jsonBody({ model: 'Tag', columns: tag.columns.length })));
          // Two rows with the same primary key: the database rejects the second.
          const cells = new ByteWriter();
          cells.u32(2);
          for (const id of ['999', '999']) for (let i = 0; i < tag.columns.length; i++) cells.cell(tag.columns[i].column === 'id' ? id : `dup ${id}`);
          parts.push(w.record(RecordType.RowsCells, cells.take()));
          parts.push(w.record(RecordType.TableEnd, jsonBody({ model: 'Tag', rows: 2 })));
        }
      }
      parts.push(w.end({}));
      const bad = Buffer.concat(parts);
      error = await restoreBytes(bad, target, { ...here, flush: true }).catch((e) => e);
      assert.instance(error, RestoreError);
      await unchanged('a row the database rejects');
    } finally {
      await target.close();
    }
  });

  test('a table larger than many records (rows split across COPY chunks and pages) round-trips byte for byte', async () => {
    if (!available) return;
    const { createTestDatabase } = await import('../apps/databases.js');
    const { DataTypes } = await import('sequelize');
    const { capture } = await import('../../src/data/capture.js');
    const { restore } = await import('../../src/data/restore.js');
    const { BackupRegistry } = await import('../../src/data/registry.js');
    const { collect, chunked } = await import('../../src/io/memory.js');
    const a = await createTestDatabase(dialect);
    const b = await createTestDatabase(dialect);
    try {
      const define = (s: typeof a.sequelize) => s.define('Line', { id: { type: DataTypes.INTEGER, primaryKey: true }, body: DataTypes.TEXT, n: DataTypes.BIGINT }, { timestamps: false });
      const A = define(a.sequelize);
      define(b.sequelize);
      await a.sequelize.sync();
      await b.sequelize.sync();
      const rows = Array.from({ length: 12_000 }, (_, i) => ({ id: i + 1, body: `line ${i}\t` + 'é\\n'.repeat(i % 97) + '\n'.repeat(i % 3), n: String(BigInt(i) * 1_000_000_007n) }));
      for (let i = 0; i < rows.length; i += 2000) await A.bulkCreate(rows.slice(i, i + 2000));
      const summary: CaptureSummary = { models: {}, files: 0, skippedFiles: [] };
      const payload = await collect(capture({ sequelize: a.sequelize, registry: new BackupRegistry() }, summary));
      let records = 0;
      const { readRecords, RecordType } = await import('../../src/data/format.js');
      for await (const r of readRecords(chunked(payload))) if (r.type === RecordType.RowsCells || r.type === RecordType.RowsPgCopy) records++;
      assert.ok(records >= 3, `rows spread over ${records} records`);
      await restore(chunked(payload, 4093), { sequelize: b.sequelize, registry: new BackupRegistry() });
      assert.equal((await snapshotDatabase(b.sequelize)).tables, (await snapshotDatabase(a.sequelize)).tables);
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  test('a consumer that stops early ends the snapshot and frees the connection (no hang, no leak)', async () => {
    if (!available) return;
    const { createTestDatabase } = await import('../apps/databases.js');
    const { DataTypes, QueryTypes } = await import('sequelize');
    const { capture } = await import('../../src/data/capture.js');
    const { BackupRegistry } = await import('../../src/data/registry.js');
    const a = await createTestDatabase(dialect, { pool: { max: 1 } });
    try {
      const Line = a.sequelize.define('Line', { id: { type: DataTypes.INTEGER, primaryKey: true }, body: DataTypes.TEXT }, { timestamps: false });
      await a.sequelize.sync();
      for (let i = 0; i < 4; i++) await Line.bulkCreate(Array.from({ length: 2000 }, (_, j) => ({ id: i * 2000 + j + 1, body: 'x'.repeat(400) })));
      for (let attempt = 0; attempt < 3; attempt++) {
        let chunks = 0;
        const started = Date.now();
        for await (const chunk of capture({ sequelize: a.sequelize, registry: new BackupRegistry() })) {
          if (chunk.length && ++chunks === 4) break; // header, table begin, one rows record: stop mid-table
        }
        assert.ok(Date.now() - started < 10_000, 'stopping early returns promptly');
        // With a pool of one connection, this only works if the capture's connection came back.
        const rows = (await a.sequelize.query('SELECT COUNT(*) AS n FROM ' + (dialect === 'mariadb' ? '`Lines`' : '"Lines"'), { type: QueryTypes.SELECT })) as { n: unknown }[];
        assert.is(Number(rows[0].n), 8000);
      }
    } finally {
      await a.drop();
    }
  });

  test.run();
}
