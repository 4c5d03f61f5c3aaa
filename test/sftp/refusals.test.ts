// Everything the transport must refuse, against a real OpenSSH server: unknown, changed and revoked
// host keys, bad credentials, nothing listening, a server that never answers, a missing, read-only
// or full remote directory, a name already taken, a broken source. Each refusal has its typed
// error and leaves nothing behind (no final file, no .part, no local file).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutputError } from '../../src/errors.js';
import {
  AuthFailedError,
  HostKeyError,
  PulledBackupInvalidError,
  RemoteDiskFullError,
  RemoteExistsError,
  RemoteNotFoundError,
  RemotePermissionError,
  UnreachableError,
} from '../../src/transports/errors.js';
import { fingerprintSha256 } from '../../src/transports/known-hosts.js';
import { listBackups, pullBackup, pushBackup } from '../../src/transports/sftp.js';
import { SSHTarget, type SSHTargetOptions } from '../../src/transports/target.js';
import { requireService, seededBytes } from '../helpers/env.js';
import { probeSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const enabled = await requireService('sshd', probeSshd);
const sshd: Sshd | undefined = enabled ? await startSshd() : undefined;
let knownHosts = '';
let counter = 0;

function target(s: Sshd, overrides: Partial<SSHTargetOptions> = {}): SSHTarget {
  const auth = overrides.password !== undefined || overrides.agent !== undefined || overrides.privateKey !== undefined ? {} : { privateKey: s.clientKey.privatePath };
  return new SSHTarget({ host: s.host, port: s.port, username: s.user, remoteDir: join(s.home, 'backups'), knownHosts, connectTimeoutMs: 10_000, ...auth, ...overrides });
}

async function rejects<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T, pattern?: RegExp): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof type)) throw new Error(`expected ${type.name}, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`, { cause: error });
    if (pattern) assert.match(error.message, pattern);
    assert.ok((error as { hint?: string }).hint, 'every refusal says what to do');
    return error;
  }
  throw new Error(`expected ${type.name}, but it succeeded`);
}

const serverFingerprint = (type: 'ed25519' | 'ecdsa') => fingerprintSha256(Buffer.from(sshd!.hostKeys[type].split(' ')[1], 'base64'));

async function freshDir(mode = 0o755): Promise<string> {
  return sshd!.makeDir(`d${counter++}`, mode);
}

test.before(async () => {
  if (!sshd) return;
  knownHosts = await sshd.writeKnownHosts('known_hosts');
  await sshd.makeDir('backups');
});

test('a host missing from known_hosts is refused, showing the offered fingerprint', async () => {
  if (!sshd) return;
  const other = await sshd.writeKnownHosts('kh_other', { types: [] , extraLines: [`other.example ${sshd.hostKeys.ed25519}`] });
  const error = await rejects(listBackups(target(sshd, { knownHosts: other })), HostKeyError, /not in/);
  assert.is(error.reason, 'unknown');
  assert.is(error.fingerprint, serverFingerprint('ed25519'));
  assert.ok(error.message.includes(serverFingerprint('ed25519')));
  // The printed fingerprint is the one OpenSSH prints for the server's key.
  const printed = spawnSync('ssh-keygen', ['-lf', join(sshd.dir, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' }).stdout;
  assert.ok(printed.includes(error.fingerprint), printed);
  assert.match(error.hint!, new RegExp(`ssh-keyscan -t ed25519 -p ${sshd.port} 127.0.0.1 >> `));
});

test('a missing known_hosts file is refused the same way (no trust on first use)', async () => {
  if (!sshd) return;
  const error = await rejects(listBackups(target(sshd, { knownHosts: join(sshd.dir, 'no-such-file') })), HostKeyError, /does not exist/);
  assert.is(error.reason, 'unknown');
  assert.ok(!existsSync(join(sshd.dir, 'no-such-file')), 'nothing was written to known_hosts');
});

test('a changed host key is refused', async () => {
  if (!sshd) return;
  const impostor = await sshd.makeKey('impostor_host', { authorize: false });
  const path = join(sshd.dir, 'kh_changed');
  await writeFile(path, `[127.0.0.1]:${sshd.port} ${impostor.publicLine.split(' ').slice(0, 2).join(' ')}\n`);
  const error = await rejects(listBackups(target(sshd, { knownHosts: path })), HostKeyError, /HAS CHANGED/);
  assert.is(error.reason, 'changed');
  assert.is(error.fingerprint, serverFingerprint('ed25519'));
  assert.match(error.hint!, /ssh-keygen -R/);
});

test('a revoked host key is refused even when also listed as good', async () => {
  if (!sshd) return;
  const path = await sshd.writeKnownHosts('kh_revoked', { extraLines: [`@revoked * ${sshd.hostKeys.ed25519}`] });
  const error = await rejects(listBackups(target(sshd, { knownHosts: path })), HostKeyError, /revoked/);
  assert.is(error.reason, 'revoked');
});

test('hashed known_hosts and a host known only by its ecdsa key both connect', async () => {
  if (!sshd) return;
  const hashed = await sshd.writeKnownHosts('kh_hashed', { hashed: true });
  assert.equal(await listBackups(target(sshd, { knownHosts: hashed })), []);
  const ecdsaOnly = await sshd.writeKnownHosts('kh_ecdsa', { types: ['ecdsa'] });
  assert.equal(await listBackups(target(sshd, { knownHosts: ecdsaOnly })), []);
});

test('wrong password, unauthorized key, wrong key passphrase', async () => {
  if (!sshd) return;
  await rejects(listBackups(target(sshd, { password: 'not-the-password' })), AuthFailedError, /authentication failed/);
  const stranger = await sshd.makeKey('stranger', { authorize: false });
  await rejects(listBackups(target(sshd, { privateKey: stranger.privatePath })), AuthFailedError, /authentication failed/);
  await rejects(listBackups(target(sshd, { privateKey: sshd.encryptedKey.privatePath, passphrase: 'wrong' })), AuthFailedError, /could not be decrypted/);
  await rejects(listBackups(target(sshd, { privateKey: sshd.encryptedKey.privatePath })), AuthFailedError, /no passphrase/);
});

test('connection refused, and a server that never answers, are unreachable (with the timeout)', async () => {
  if (!sshd) return;
  const closed = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  await rejects(listBackups(target(sshd, { port: closed })), UnreachableError, /connection refused/);
  const sockets: import('node:net').Socket[] = [];
  const silent: Server = createServer((socket) => sockets.push(socket));
  const port = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)));
  const started = Date.now();
  try {
    await rejects(listBackups(target(sshd, { port, connectTimeoutMs: 700 })), UnreachableError, /within 700 ms/);
    assert.ok(Date.now() - started < 5000, 'the timeout was honoured');
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('a missing remote directory: push, list and pull refuse, nothing is created', async () => {
  if (!sshd) return;
  const missing = join(sshd.home, 'no-such-dir');
  const t = target(sshd, { remoteDir: missing });
  const e = await rejects(pushBackup(seededBytes(1000, 1), 'a.dbs', t), RemoteNotFoundError, /remote directory/);
  assert.match(e.hint!, /mkdir -p/);
  await rejects(listBackups(t), RemoteNotFoundError, /remote directory/);
  await rejects(pullBackup('a.dbs', join(sshd.dir, 'pulled.dbs'), t), RemoteNotFoundError, /remote directory/);
  assert.ok(!existsSync(missing));
  assert.ok(!existsSync(join(sshd.dir, 'pulled.dbs')));
});

test('a read-only remote directory: push refused with permission denied, nothing left', async () => {
  if (!sshd) return;
  const dir = await freshDir(0o555);
  await rejects(pushBackup(seededBytes(100_000, 2), 'a.dbs', target(sshd, { remoteDir: dir })), RemotePermissionError, /permission denied/);
  assert.equal(await readdir(dir), []);
});

test('a full remote disk: refused before sending when the size is known, and mid-stream otherwise', async () => {
  if (!sshd) return;
  const mounted = await sshd.mountTmpfs('small', 1 << 20).catch((error) => {
    console.log(`NOTICE: cannot mount a tmpfs (${(error as Error).message.split('\n')[0]}); disk-full test not run`);
    return undefined;
  });
  if (!mounted) return;
  const t = target(sshd, { remoteDir: mounted });
  const early = await rejects(pushBackup(seededBytes(3 << 20, 3), 'big.dbs', t), RemoteDiskFullError, /disk is full/);
  assert.is(early.needed, 3 << 20);
  assert.ok(early.available! < 3 << 20);
  async function* stream() {
    for (let i = 0; i < 12; i++) yield seededBytes(256 << 10, 10 + i);
  }
  const late = await rejects(pushBackup(stream(), 'big.dbs', t), RemoteDiskFullError, /disk is full/);
  assert.ok(late.available! < 1 << 20);
  assert.equal(await readdir(mounted), [], 'no final file and no .part');
});

test('an existing name is not replaced unless asked; then it is replaced atomically', async () => {
  if (!sshd) return;
  const dir = await freshDir();
  const t = target(sshd, { remoteDir: dir });
  await pushBackup(seededBytes(5000, 4), 'same.dbs', t);
  await rejects(pushBackup(seededBytes(6000, 5), 'same.dbs', t), RemoteExistsError, /already exists/);
  let list = await listBackups(t);
  assert.equal(list.map((b) => [b.name, b.size]), [['same.dbs', 5000]]);
  await pushBackup(seededBytes(6000, 5), 'same.dbs', t, { overwrite: true });
  list = await listBackups(t);
  assert.equal(list.map((b) => [b.name, b.size]), [['same.dbs', 6000]]);
});

test('a source that fails mid-push leaves neither the final name nor a .part', async () => {
  if (!sshd) return;
  const dir = await freshDir();
  async function* failing() {
    yield seededBytes(1 << 20, 6);
    yield seededBytes(1 << 20, 7);
    throw new Error('disk read error in the source');
  }
  try {
    await pushBackup(failing(), 'broken.dbs', target(sshd, { remoteDir: dir }));
    assert.unreachable('the push must fail');
  } catch (error) {
    assert.match((error as Error).message, /disk read error/);
  }
  assert.equal(await readdir(dir), []);
});

test('an aborted push leaves neither the final name nor a .part', async () => {
  if (!sshd) return;
  const dir = await freshDir();
  const controller = new AbortController();
  try {
    await pushBackup(seededBytes(16 << 20, 14), 'aborted.dbs', target(sshd, { remoteDir: dir }), {
      signal: controller.signal,
      onProgress: (done) => done > 2 << 20 && controller.abort(),
    });
    assert.unreachable('the push must stop');
  } catch (error) {
    assert.is((error as Error).name, 'AbortError');
  }
  assert.equal(await readdir(dir), []);
});

test('pull: a missing backup, an existing local file, and a download that does not validate', async () => {
  if (!sshd) return;
  const dir = await freshDir();
  const t = target(sshd, { remoteDir: dir });
  const local = join(sshd.dir, `pull-${counter++}`);
  await rejects(pullBackup('nothing.dbs', join(local, 'x.dbs'), t), OutputError as never, /does not exist/); // local dir missing
  await import('node:fs/promises').then((fs) => fs.mkdir(local));
  await rejects(pullBackup('nothing.dbs', join(local, 'x.dbs'), t), RemoteNotFoundError, /backup .*nothing\.dbs does not exist/);
  await pushBackup(seededBytes(300_000, 8), 'junk.dbs', t);
  await writeFile(join(local, 'taken.dbs'), 'mine');
  await rejects(pullBackup('junk.dbs', join(local, 'taken.dbs'), t, { validate: async () => ({ ok: true, healed: false, summary: '' }) }), OutputError as never, /already exists/);
  let seen = '';
  const error = await rejects(
    pullBackup('junk.dbs', join(local, 'junk.dbs'), t, {
      validate: async (path) => {
        seen = path;
        return { ok: false, healed: false, summary: '2 block(s) cannot be recovered' };
      },
    }),
    PulledBackupInvalidError,
    /does not validate: 2 block/,
  );
  assert.is(error.exitCode, 4);
  assert.ok(seen && seen !== join(local, 'junk.dbs'), 'validation ran on a temporary file');
  assert.equal((await readdir(local)).sort(), ['taken.dbs'], 'neither the target nor the temporary file is left');
});

test.after(async () => {
  await sshd?.stop();
  if (sshd) await rm(sshd.dir, { recursive: true, force: true });
});

test.run();
