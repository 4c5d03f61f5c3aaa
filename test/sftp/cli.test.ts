// `dbs push / list / pull / delete --target NAME` through the real CLI entry (run() of
// src/cli/main.ts, in process) against a real sshd, with the profile read from dbs.config.mjs.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { protect } from '../../src/container/index.js';
import { requireService, seededBytes } from '../helpers/env.js';
import { probeSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const enabled = await requireService('sshd', probeSshd);
const sshd: Sshd | undefined = enabled ? await startSshd() : undefined;
const work = await mkdtemp(join(tmpdir(), 'dbs-sftp-cli-'));
const sequelizeUrl = pathToFileURL(createRequire(import.meta.url).resolve('sequelize')).href;
let remoteDir = '';

async function dbs(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env, cwd: work });
}

async function writeConfig(name: string, profile: Record<string, unknown>): Promise<string> {
  const path = join(work, name);
  await writeFile(
    path,
    `import pkg from '${sequelizeUrl}';
const { Sequelize } = pkg;
export default { sequelize: new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false }), sshTargets: { offsite: ${JSON.stringify(profile)} } };
`,
  );
  return path;
}

let container: Uint8Array;

test.before(async () => {
  if (!sshd) return;
  remoteDir = await sshd.makeDir('offsite');
  const knownHosts = await sshd.writeKnownHosts('known_hosts', { hashed: true });
  const common = { host: sshd.host, port: sshd.port, username: sshd.user, remoteDir, knownHosts };
  await writeConfig('dbs.config.mjs', { ...common, privateKey: sshd.clientKey.privatePath });
  await writeConfig('password.config.mjs', { ...common, passwordEnv: 'OFFSITE_PASSWORD' });
  await writeConfig('typo.config.mjs', { ...common, privateKey: sshd.clientKey.privatePath, knownHost: '/dev/null' });
  await writeConfig('stranger.config.mjs', { ...common, privateKey: sshd.clientKey.privatePath, knownHosts: join(work, 'empty_known_hosts') });
  await writeFile(join(work, 'empty_known_hosts'), '');
  container = await protect(seededBytes(500_000, 21), { blockSize: 16 << 10 });
  await writeFile(join(work, 'backup.dbs'), container);
});

test('push, list, pull, delete', async () => {
  if (!sshd) return;
  const pushed = await dbs(['push', 'backup.dbs', '--target', 'offsite']);
  assert.is(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, new RegExp(`pushed ${container.length} bytes to .*offsite/backup\\.dbs`));
  assert.equal(await readdir(remoteDir), ['backup.dbs']);

  const listed = await dbs(['list', '--target', 'offsite', '--json']);
  assert.is(listed.code, 0, listed.stderr);
  const doc = JSON.parse(listed.stdout);
  assert.equal(doc.backups.map((b: { name: string; size: number }) => [b.name, b.size]), [['backup.dbs', container.length]]);
  const human = await dbs(['list', '--target', 'offsite']);
  assert.match(human.stdout, /backup\.dbs\s+\d+\s+20\d\d-/);

  const pulled = await dbs(['pull', 'backup.dbs', '--target', 'offsite', '-o', 'restored.dbs']);
  assert.is(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /clean/);
  assert.ok(Buffer.from(await readFile(join(work, 'restored.dbs'))).equals(Buffer.from(container)));

  const again = await dbs(['push', 'backup.dbs', '--target', 'offsite']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /already exists/);
  assert.match(again.stderr, /dbs: hint: .*--overwrite/);

  const deleted = await dbs(['delete', 'backup.dbs', '--target', 'offsite']);
  assert.is(deleted.code, 0, deleted.stderr);
  assert.equal(await readdir(remoteDir), []);
});

test('password from the environment variable the profile names', async () => {
  if (!sshd) return;
  const missing = await dbs(['list', '--target', 'offsite', '--config', 'password.config.mjs']);
  assert.is(missing.code, 2, 'an unset variable is a config error');
  assert.match(missing.stderr, /OFFSITE_PASSWORD, which is not set/);
  const ok = await dbs(['list', '--target', 'offsite', '--config', 'password.config.mjs'], { OFFSITE_PASSWORD: sshd.password });
  assert.is(ok.code, 0, ok.stderr);
  const wrong = await dbs(['list', '--target', 'offsite', '--config', 'password.config.mjs'], { OFFSITE_PASSWORD: 'nope' });
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, /authentication failed/);
  assert.ok(!wrong.stderr.includes('nope'), 'the secret is never printed');
});

test('a typo in the profile and an unknown host are refused with what to do', async () => {
  if (!sshd) return;
  const typo = await dbs(['list', '--target', 'offsite', '--config', 'typo.config.mjs']);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, /unknown key 'knownHost' \(did you mean 'knownHosts'\?\)/);
  const stranger = await dbs(['push', 'backup.dbs', '--target', 'offsite', '--config', 'stranger.config.mjs', '--json']);
  assert.is(stranger.code, 1);
  assert.match(stranger.stderr, /offered ssh-ed25519 key SHA256:[A-Za-z0-9+/]{43}/);
  assert.match(stranger.stderr, /dbs: hint: .*ssh-keyscan/);
  assert.is(JSON.parse(stranger.stdout).error.code, 'HOST_KEY');
});

test('a pulled file that is not a backup: exit 4, nothing kept', async () => {
  if (!sshd) return;
  await writeFile(join(remoteDir, 'junk.dbs'), seededBytes(100_000, 22));
  const before = (await readdir(work)).sort();
  const pulled = await dbs(['pull', 'junk.dbs', '--target', 'offsite']);
  assert.is(pulled.code, 4, pulled.stderr);
  assert.match(pulled.stderr, /does not validate/);
  assert.equal((await readdir(work)).sort(), before);
});

test.after(async () => {
  await sshd?.stop();
  await rm(work, { recursive: true, force: true });
});

test.run();
