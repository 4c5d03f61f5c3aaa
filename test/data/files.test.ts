// Files in a crafted backup: traversal attempts are refused (and the rows loaded before them are
// rolled back); good files land atomically inside the allowed roots; corrupt files are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DataTypes, Sequelize } from 'sequelize';
import { RecordType, RecordWriter, jsonBody, ByteWriter } from '../../src/data/format.js';
import { restore } from '../../src/data/restore.js';
import { capture, type CaptureSummary } from '../../src/data/capture.js';
import { BackupRegistry, FieldType } from '../../src/data/registry.js';
import { describeModels, type RootInfo } from '../../src/data/manifest.js';
import { FormatError, UnsafePathError } from '../../src/errors.js';
import { collect, chunked } from '../../src/io/memory.js';

let base: string;
let allowed: string;
let outside: string;
let sequelize: Sequelize;

test.before.each(async () => {
  base = await mkdtemp(join(tmpdir(), 'dbs-files-test-'));
  allowed = join(base, 'allowed');
  outside = join(base, 'outside');
  await mkdir(allowed);
  await mkdir(outside);
  sequelize = new Sequelize({ dialect: 'sqlite', storage: join(base, 'db.sqlite'), logging: false });
  sequelize.define('Note', { id: { type: DataTypes.INTEGER, primaryKey: true }, text: DataTypes.STRING }, { timestamps: false });
  await sequelize.sync();
});
test.after.each(async () => {
  await sequelize.close();
  await rm(base, { recursive: true, force: true });
});

/** A payload with one Note row and then the given files (root 0 is `rootPath`, kind `kind`). */
function crafted(files: { path: string; data: string; hash?: string; root?: number }[], roots: RootInfo[]): Uint8Array {
  const { models } = describeModels(sequelize, new BackupRegistry());
  const w = new RecordWriter();
  const parts = [w.preamble()];
  parts.push(w.record(RecordType.Header, jsonBody({ format: 'dbs-data', createdAt: '', dialect: 'sqlite', databaseVersion: '', timezone: '+00:00', sequelizeVersion: '', driver: {}, models, migrations: null, roots })));
  parts.push(w.record(RecordType.TableBegin, jsonBody({ model: 'Note', columns: 2 })));
  const cells = new ByteWriter();
  cells.u32(1);
  cells.cell('1');
  cells.cell('loaded before the files');
  parts.push(w.record(RecordType.RowsCells, cells.take()));
  parts.push(w.record(RecordType.TableEnd, jsonBody({ model: 'Note', rows: 1 })));
  for (const f of files) {
    const data = new TextEncoder().encode(f.data);
    parts.push(w.record(RecordType.FileBegin, jsonBody({ root: f.root ?? 0, path: f.path, size: data.length })));
    parts.push(w.record(RecordType.FileData, data));
    parts.push(w.record(RecordType.FileEnd, jsonBody({ size: data.length, blake2b512: f.hash ?? createHash('blake2b512').update(data).digest('hex') })));
  }
  parts.push(w.end({}));
  return Buffer.concat(parts);
}

async function notes(): Promise<number> {
  return sequelize.models.Note.count();
}

async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

const orig = '/srv/original/uploads';

test('path traversal in a crafted backup is refused: "..", absolute, backslash, NUL, symlink escape; the rows are rolled back', async () => {
  await symlink(outside, join(allowed, 'link'));
  const attempts = ['../evil.txt', 'a/../../evil.txt', '/etc/evil.txt', 'a\\..\\..\\evil.txt', 'a/\0/evil', 'link/evil.txt', 'link/../../outside/evil.txt', ''];
  for (const path of attempts) {
    const payload = crafted([{ path: 'fine.txt', data: 'fine' }, { path, data: 'evil' }], [{ id: 0, kind: 'root', path: orig }]);
    const error = await restore(chunked(payload), { sequelize, restoreRoots: [allowed], rootMap: { [orig]: allowed } }).catch((e) => e);
    assert.instance(error, UnsafePathError, `refused: ${JSON.stringify(path)}`);
    assert.is(await notes(), 0, `rows rolled back after ${JSON.stringify(path)}`);
    assert.equal(await tree(outside), [], 'nothing written outside');
    assert.equal(await tree(allowed), ['link'], 'the good file before it was not kept either (no temporary file left)');
  }
});

test('a root that is not allow-listed is refused; an absolute FILE_PATH outside the roots is refused', async () => {
  let payload = crafted([{ path: 'a.txt', data: 'x' }], [{ id: 0, kind: 'root', path: outside }]);
  let error = await restore(chunked(payload), { sequelize, restoreRoots: [allowed] }).catch((e) => e);
  assert.instance(error, UnsafePathError);
  assert.match(error.message, /outside the allowed restore roots/);
  payload = crafted([{ path: outside.slice(1) + '/b.txt', data: 'x' }], [{ id: 0, kind: 'absolute', path: '/' }]);
  error = await restore(chunked(payload), { sequelize, restoreRoots: [allowed] }).catch((e) => e);
  assert.instance(error, UnsafePathError);
  error = await restore(chunked(payload), { sequelize, registry: new BackupRegistry() }).catch((e) => e);
  assert.instance(error, UnsafePathError, 'no restore root at all: nothing may be written');
  assert.equal(await tree(outside), []);
});

test('good files land inside the allowed root atomically, replacing older versions; wrong content is refused', async () => {
  await mkdir(join(allowed, 'deep'), { recursive: true });
  await writeFile(join(allowed, 'deep', 'old.txt'), 'old version');
  const payload = crafted([{ path: 'deep/old.txt', data: 'new version' }, { path: 'x/y/z é.txt', data: 'made dirs' }], [{ id: 0, kind: 'root', path: orig }]);
  const result = await restore(chunked(payload, 7), { sequelize, restoreRoots: [allowed], rootMap: { [orig]: allowed } });
  assert.is(result.files.restored, 2);
  assert.is(await readFile(join(allowed, 'deep', 'old.txt'), 'utf8'), 'new version');
  assert.is(await readFile(join(allowed, 'x', 'y', 'z é.txt'), 'utf8'), 'made dirs');
  assert.equal((await tree(allowed)).filter((f) => f.includes('dbs-tmp')), []);

  await sequelize.models.Note.destroy({ where: {} });
  const bad = crafted([{ path: 'deep/old.txt', data: 'tampered', hash: '00'.repeat(64) }], [{ id: 0, kind: 'root', path: orig }]);
  const error = await restore(chunked(bad), { sequelize, restoreRoots: [allowed], rootMap: { [orig]: allowed } }).catch((e) => e);
  assert.instance(error, FormatError);
  assert.is(await readFile(join(allowed, 'deep', 'old.txt'), 'utf8'), 'new version', 'the existing file is untouched');
  assert.is(await notes(), 0);
});

test('capture: files that cannot be read are recorded as skipped and reported, never dropped silently', async () => {
  const storage = join(base, 'storage');
  await mkdir(join(storage, 'a-directory'), { recursive: true });
  await writeFile(join(storage, 'ok.bin'), Buffer.alloc(1000, 7));
  const Doc = sequelize.define('Doc', { id: { type: DataTypes.INTEGER, primaryKey: true }, file: DataTypes.STRING, abs: DataTypes.STRING }, { timestamps: false });
  await Doc.sync();
  await Doc.bulkCreate([
    { id: 1, file: 'ok.bin', abs: join(storage, 'ok.bin') },
    { id: 2, file: 'missing.bin', abs: '/nonexistent/dir/x' },
    { id: 3, file: 'a-directory', abs: 'relative/not/absolute' },
    { id: 4, file: '../../etc/passwd', abs: null },
  ]);
  const registry = new BackupRegistry().configure({ storageRoot: storage });
  registry.register(Doc, { overrides: { file: FieldType.FILE, abs: FieldType.FILE_PATH } });
  const warnings: string[] = [];
  const summary: CaptureSummary = { models: {}, files: 0, skippedFiles: [] };
  await collect(capture({ sequelize, registry, logger: { warn: (m) => warnings.push(m) } }, summary));
  assert.is(summary.files, 1, 'ok.bin once (both columns point at it: embedded once per root)');
  // Paths are relative to their root ('/' for absolute FILE_PATH values).
  const skipped = summary.skippedFiles.map((s) => s.path).sort();
  assert.equal(skipped, ['../../etc/passwd', 'a-directory', 'missing.bin', 'nonexistent/dir/x', 'relative/not/absolute']);
  assert.is(warnings.length, 5);
});

test('capture: a symlink inside a file root is reported as skipped, not followed and not dropped silently', async () => {
  const root = join(base, 'root');
  await mkdir(join(root, 'd'), { recursive: true });
  await writeFile(join(root, 'd', 'real.txt'), 'real');
  await writeFile(join(outside, 'secret.txt'), 'secret');
  await symlink(join(outside, 'secret.txt'), join(root, 'd', 'link.txt'));
  const registry = new BackupRegistry().configure({ fileRoots: [root] });
  const summary: CaptureSummary = { models: {}, files: 0, skippedFiles: [] };
  const payload = await collect(capture({ sequelize, registry }, summary));
  assert.is(summary.files, 1);
  assert.equal(summary.skippedFiles.map((s) => [s.path, s.reason]), [['d/link.txt', 'symbolic link (not followed)']]);
  assert.not.ok(Buffer.from(payload).includes(Buffer.from('secret')), 'the link target is not embedded');
});

test.run();
