// The admin router with the shared test application (relations, odd types, files on disk) on a real
// PostgreSQL database: the downloaded backup, uploaded into a fresh database after the files are
// gone, brings back every row and every file byte for byte, and the result page counts them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import express from 'express';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbsAdmin } from '../../src/admin/router.js';
import { requireService } from '../helpers/env.js';
import { defineTestApp, seedTestApp, snapshotDatabase, syncTestApp, testAppRegistry } from '../apps/app.js';
import { createTestDatabase, probe, type TestDatabase } from '../apps/databases.js';

const enabled = await requireService('PostgreSQL', () => probe('postgres'));
const PASSPHRASE = 'files test passphrase';
const KDF = { memoryKiB: 8192, passes: 1, parallelism: 1 };

let source: TestDatabase;
let target: TestDatabase;
let dir = '';
const logs: string[] = [];

test.before(async () => {
  if (!enabled) return;
  dir = await mkdtemp(join(tmpdir(), 'dbs-admin-files-'));
  source = await createTestDatabase('postgres');
  target = await createTestDatabase('postgres');
  const app = defineTestApp(source.sequelize);
  await syncTestApp(app);
  await seedTestApp(app, { rows: 60, filesDir: join(dir, 'files') });
  await syncTestApp(defineTestApp(target.sequelize));
});

test.after(async () => {
  if (!enabled) return;
  await source?.drop();
  await target?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function serve(sequelize: unknown, registry: unknown, filesDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(
    '/admin/dbs',
    dbsAdmin({
      sequelize,
      authorize: () => true,
      log: (line) => logs.push(line),
      backupOptions: { registry, kdf: KDF },
      restoreOptions: { registry, restoreRoots: [filesDir] },
    }),
  );
  const server = await new Promise<Server>((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/admin/dbs`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

async function formToken(url: string): Promise<{ cookie: string; token: string }> {
  const res = await fetch(url);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const token = /name="csrf" value="([^"]+)"/.exec(await res.text())?.[1] ?? '';
  return { cookie, token };
}

test('rows and files: download from one database, restore into another, byte for byte', async () => {
  if (!enabled) return;
  const filesDir = join(dir, 'files');
  const registry = testAppRegistry(filesDir);
  const expected = await snapshotDatabase(source.sequelize, { filesDirs: [filesDir] });
  assert.ok(Object.keys(expected.files).length >= 5, 'the app has files on disk');

  const from = await serve(source.sequelize, registry, filesDir);
  let backup: Uint8Array;
  try {
    const { cookie, token } = await formToken(from.url + '/backup');
    const res = await fetch(from.url + '/backup', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, passphrase: PASSPHRASE, confirm: PASSPHRASE }),
    });
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="backup-\d{8}-\d{6}Z\.dbs"/);
    backup = new Uint8Array(await res.arrayBuffer());
  } finally {
    await from.close();
  }

  await rm(filesDir, { recursive: true, force: true }); // the server lost its files too
  const to = await serve(target.sequelize, registry, filesDir);
  try {
    const { cookie, token } = await formToken(to.url + '/restore');
    const body = new FormData();
    body.set('csrf', token);
    body.set('passphrase', PASSPHRASE);
    body.set('backup', new Blob([backup as BlobPart]), 'backup.dbs');
    const res = await fetch(to.url + '/restore', { method: 'POST', headers: { cookie }, body });
    const page = await res.text();
    assert.is(res.status, 200, page);
    assert.match(page, 'Restore finished');
    const files = Number(/Files restored<\/th><td class="n">(\d+)</.exec(page)?.[1]);
    assert.is(files, Object.keys(expected.files).length, 'the page counts every file');
    assert.match(page, 'href="/admin/dbs/validator"', 'links use the mount path');
  } finally {
    await to.close();
  }
  const got = await snapshotDatabase(target.sequelize, { filesDirs: [filesDir] });
  assert.equal(got.tables, expected.tables);
  assert.equal(got.files, expected.files);
  assert.ok(logs.some((l) => l.startsWith('dbs: warning: file skipped')), 'the pipeline warnings reach the app log');
  assert.not.ok(logs.some((l) => l.includes(PASSPHRASE)));
});

test.run();
