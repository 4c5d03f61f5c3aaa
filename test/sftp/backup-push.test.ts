// `dbs backup FILE --push TARGET` through the real CLI entry (run() of src/cli/main.ts, in
// process) against a real sshd: the pushed copy is byte-identical to the local backup, validates
// and decrypts; an unknown target fails (exit 2) before any backup work; a failed push keeps the
// local backup and says how to push it later; ssh2 is loaded only when --push is given.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataTypes, Sequelize } from 'sequelize';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { openContainer } from '../../src/container/index.js';
import { decryptStream, openEnvelope } from '../../src/crypto/index.js';
import { describePayload } from '../../src/data/inspect.js';
import { fileSource } from '../../src/io/file.node.js';
import { validateBackup } from '../../src/pipeline/api.js';
import { decompressStream } from '../../src/pipeline/compress.js';
import { validateBackupFile } from '../../src/transports/validate.js';
import { requireService } from '../helpers/env.js';
import { probeSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const PASS = 'backup push passphrase';
const enabled = await requireService('sshd', probeSshd);
const sshd: Sshd | undefined = enabled ? await startSshd() : undefined;
const work = await mkdtemp(join(tmpdir(), 'dbs-sftp-backup-'));
const require = createRequire(import.meta.url);
const sequelizeUrl = pathToFileURL(require.resolve('sequelize')).href;
const database = join(work, 'app.sqlite');
/** Every connection the config's Sequelize instances take (any database access) is logged here. */
const queryLog = join(work, 'queries.log');
let remoteDir = '';

async function dbs(args: string[], env: Record<string, string> = { DBS_PASSPHRASE: PASS }) {
  return runCli(args, { env, cwd: work });
}

/** A config exporting a function: each run gets its own Sequelize instance (run() closes it). */
async function writeConfig(name: string, targets: Record<string, unknown>): Promise<void> {
  await writeFile(
    join(work, name),
    `import { appendFileSync } from 'node:fs';
import pkg from '${sequelizeUrl}';
const { Sequelize, DataTypes } = pkg;
export default () => {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ${JSON.stringify(database)}, logging: (sql) => appendFileSync(${JSON.stringify(queryLog)}, sql + '\\n') });
  sequelize.define('Note', { text: DataTypes.STRING, stars: DataTypes.INTEGER });
  const cm = sequelize.connectionManager;
  const getConnection = cm.getConnection.bind(cm);
  cm.getConnection = (...args) => {
    appendFileSync(${JSON.stringify(queryLog)}, 'connection\\n');
    return getConnection(...args);
  };
  return { sequelize, kdf: { memoryKiB: 8192, passes: 1, parallelism: 1 }, sshTargets: ${JSON.stringify(targets)} };
};
`,
  );
}

async function manifestOf(path: string) {
  const source = await fileSource(path);
  try {
    const reader = await openContainer(source);
    const opened = await openEnvelope(reader.meta, { passphrase: PASS });
    return (await describePayload(decompressStream(decryptStream(reader.payload(), opened)))).manifest;
  } finally {
    await source.close?.();
  }
}

test.before(async () => {
  if (!sshd) return;
  const seed = new Sequelize({ dialect: 'sqlite', storage: database, logging: false });
  const Note = seed.define('Note', { text: DataTypes.STRING, stars: DataTypes.INTEGER });
  await seed.sync({ force: true });
  await Note.bulkCreate(Array.from({ length: 300 }, (_, i) => ({ text: `note ${i} ${'ü'.repeat(i % 7)}`, stars: i % 5 })));
  await seed.close();
  await writeFile(join(work, 'package.json'), JSON.stringify({ name: 'shop-e2e', version: '3.1.4', private: true }));
  remoteDir = await sshd.makeDir('offsite');
  const knownHosts = await sshd.writeKnownHosts('known_hosts');
  const common = { host: sshd.host, port: sshd.port, username: sshd.user, knownHosts, privateKey: sshd.clientKey.privatePath };
  await writeConfig('dbs.config.mjs', {
    offsite: { ...common, remoteDir },
    missing: { ...common, remoteDir: `${remoteDir}-not-there` },
  });
});

test('backup --push: the remote copy is byte-identical, validates, decrypts and names the app', async () => {
  if (!sshd) return;
  const r = await dbs(['backup', 'nightly.dbs', '--push', 'offsite', '--json']);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const local = await readFile(join(work, 'nightly.dbs'));
  assert.is(doc.ok, true);
  assert.is(doc.verified, 'decryption');
  assert.is(doc.size, local.length);
  assert.equal(doc.models, { Note: 300 });
  assert.equal(doc.app, { name: 'shop-e2e', version: '3.1.4' });
  assert.equal(doc.push, {
    ok: true,
    target: 'offsite',
    server: `${sshd.user}@127.0.0.1:${sshd.port}`,
    name: 'nightly.dbs',
    remotePath: join(remoteDir, 'nightly.dbs'),
    size: local.length,
    resumedFrom: 0,
  });
  assert.equal(await readdir(remoteDir), ['nightly.dbs'], 'no .part left behind');
  const remote = join(remoteDir, 'nightly.dbs');
  assert.ok((await readFile(remote)).equals(local), 'byte-identical');
  const integrity = await validateBackupFile(remote);
  assert.ok(integrity.ok && !integrity.healed, integrity.summary);
  const full = await validateBackup(remote, PASS);
  assert.ok(full.ok && full.decrypted, full.summary());
  assert.is(full.payloadBytes, doc.payloadBytes);
  // No `app` setting in the config: the package.json of the working directory names it.
  assert.equal((await manifestOf(remote)).app, { name: 'shop-e2e', version: '3.1.4' });

  const human = await dbs(['backup', 'second.dbs', '--push', 'offsite']);
  assert.is(human.code, 0, human.stderr);
  assert.match(human.stdout, /^backup .*second\.dbs: 300 rows of 1 models/);
  assert.match(human.stdout, new RegExp(`\\npushed ${(await readFile(join(work, 'second.dbs'))).length} bytes to ${sshd.user}@127\\.0\\.0\\.1:${sshd.port}:${remoteDir}/second\\.dbs\\n$`));
  assert.equal((await readdir(remoteDir)).sort(), ['nightly.dbs', 'second.dbs']);

  // --force replaces the file locally and on the server (each backup has fresh keys: new bytes).
  const old = await readFile(join(remoteDir, 'second.dbs'));
  const forced = await dbs(['backup', 'second.dbs', '--push', 'offsite', '--force']);
  assert.is(forced.code, 0, forced.stderr);
  const replaced = await readFile(join(remoteDir, 'second.dbs'));
  assert.not.ok(replaced.equals(old));
  assert.ok(replaced.equals(await readFile(join(work, 'second.dbs'))));
  assert.equal((await readdir(remoteDir)).sort(), ['nightly.dbs', 'second.dbs']);
});

test('an unknown target fails with exit 2 before any backup work', async () => {
  if (!sshd) return;
  const before = (await readdir(work)).sort();
  const queries = await readFile(queryLog, 'utf8');
  const r = await dbs(['backup', 'never.dbs', '--push', 'nowhere', '--json']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /dbs: error: no SSH target named 'nowhere' in sshTargets \(known: offsite, missing\)/);
  assert.is(JSON.parse(r.stdout).error.code, 'CONFIG');
  assert.equal((await readdir(work)).sort(), before, 'no backup file, no temporary file');
  assert.ok(queries.length > 0, 'backups do show up in the log');
  assert.is(await readFile(queryLog, 'utf8'), queries, 'the database was not touched');
  assert.not.ok(existsSync(join(work, 'never.dbs')));
});

test('a failed push keeps the verified local backup and says how to push it later (exit 1)', async () => {
  if (!sshd) return;
  const r = await dbs(['backup', 'kept.dbs', '--push', 'missing']);
  assert.is(r.code, 1, r.stderr);
  const local = join(work, 'kept.dbs');
  assert.match(r.stderr, new RegExp(`dbs: error: the backup ${local} was written, but pushing it to target 'missing' failed: remote directory ${remoteDir}-not-there does not exist`));
  assert.match(r.stderr, new RegExp(`dbs: hint: create it on the server .*; then push the local backup with: dbs push ${local} --target missing`));
  assert.match(r.stdout, /^backup .*kept\.dbs: 300 rows/, 'the backup itself is still reported');
  const check = await validateBackup(local, PASS);
  assert.ok(check.ok && check.decrypted, check.summary());

  const j = await dbs(['backup', 'kept2.dbs', '--push', 'missing', '--json']);
  assert.is(j.code, 1);
  const doc = JSON.parse(j.stdout);
  assert.is(doc.ok, false);
  assert.is(doc.exitCode, 1);
  assert.is(doc.path, join(work, 'kept2.dbs'));
  assert.is(doc.push.ok, false);
  assert.is(doc.push.error.code, 'REMOTE_NOT_FOUND');
  assert.ok(existsSync(join(work, 'kept2.dbs')));
  assert.equal((await readdir(remoteDir)).sort(), ['nightly.dbs', 'second.dbs'], 'nothing was written on the server');
});

test('ssh2 is loaded only when --push is given', async () => {
  if (!sshd) return;
  // A resolve hook (chained after tsx's) records every bare specifier the real `dbs` process loads.
  const loaded = join(work, 'loaded.log');
  await writeFile(
    join(work, 'hook.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (/^[a-z@]/.test(specifier) && !specifier.startsWith('node:')) appendFileSync(${JSON.stringify(loaded)}, specifier + '\\n');
  return next(specifier, context);
}
`,
  );
  await writeFile(join(work, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(work, 'hook.mjs')).href)});\n`);
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const dbsProcess = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, '--import', join(work, 'register.mjs'), main, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', DBS_PASSPHRASE: PASS },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.is(r.status, 0, r.stderr);
    const names = new Set(existsSync(loaded) ? readFileSync(loaded, 'utf8').split('\n').filter(Boolean) : []);
    rmSync(loaded, { force: true });
    return names;
  };
  const plain = dbsProcess(['backup', 'lazy.dbs']);
  assert.ok(plain.has('yargs'), 'the hook sees bare imports');
  assert.not.ok(plain.has('ssh2'), 'no ssh2 without --push');
  const pushed = dbsProcess(['backup', 'lazy2.dbs', '--push', 'offsite']);
  assert.ok(pushed.has('ssh2'), 'ssh2 with --push');
});

test.after(async () => {
  await sshd?.stop();
  await rm(work, { recursive: true, force: true });
});

test.run();
