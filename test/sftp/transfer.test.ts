// Push, list, pull and delete round trips against a real OpenSSH server, with every way to log in
// (key, encrypted key, password, ssh-agent). Pulled files are byte-identical and validated by the
// container reader; a damaged remote copy is healed on validation and reported as such; a file
// that is not a backup is refused. An upload cut off by a dropped connection resumes.
import { spawnSync } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protect } from '../../src/container/index.js';
import { memorySource } from '../../src/io/memory.js';
import { PulledBackupInvalidError, RemoteExistsError, RemoteNotFoundError } from '../../src/transports/errors.js';
import { deleteBackup, listBackups, pullBackup, pushBackup } from '../../src/transports/sftp.js';
import { SSHTarget, type SSHTargetOptions } from '../../src/transports/target.js';
import { requireService, seededBytes } from '../helpers/env.js';
import { killUserProcesses, probeSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const enabled = await requireService('sshd', probeSshd);
const sshd: Sshd | undefined = enabled ? await startSshd() : undefined;
let knownHosts = '';
let local = '';
let counter = 0;

function target(s: Sshd, remoteDir: string, auth: Partial<SSHTargetOptions>): SSHTarget {
  return new SSHTarget({ host: s.host, port: s.port, username: s.user, remoteDir, knownHosts, ...auth });
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

test.before(async () => {
  if (!sshd) return;
  knownHosts = await sshd.writeKnownHosts('known_hosts');
  local = join(sshd.dir, 'local');
  await import('node:fs/promises').then((fs) => fs.mkdir(local));
});

const logins: [string, (s: Sshd) => Promise<Partial<SSHTargetOptions>>][] = [
  ['a private key', async (s) => ({ privateKey: s.clientKey.privatePath })],
  ['an encrypted private key and its passphrase', async (s) => ({ privateKey: s.encryptedKey.privatePath, passphrase: s.encryptedKey.passphrase })],
  ['a password', async (s) => ({ password: s.password })],
  ['ssh-agent', async (s) => ({ agent: await s.startAgent([s.clientKey]) })],
];

for (const [how, auth] of logins) {
  test(`push, list, pull, delete with ${how}`, async () => {
    if (!sshd) return;
    const dir = await sshd.makeDir(`rt${counter++}`);
    const t = target(sshd, dir, await auth(sshd));
    const container = await protect(seededBytes(700_000 + counter * 1000, 100 + counter), { blockSize: 16 << 10 });
    const file = join(local, `source-${counter}.dbs`);
    await writeFile(file, container);

    const pushed = await pushBackup(file, 'nightly.dbs', t);
    assert.is(pushed.size, container.length);
    assert.is(pushed.resumedFrom, 0);
    assert.ok(sameBytes(await readFile(join(dir, 'nightly.dbs')), container), 'the server holds the same bytes');
    assert.equal(await readdir(dir), ['nightly.dbs'], 'no .part left');

    const listed = await listBackups(t);
    assert.equal(listed.map((b) => [b.name, b.size]), [['nightly.dbs', container.length]]);
    assert.ok(Math.abs(listed[0].modifiedAt.getTime() - Date.now()) < 120_000);

    const dest = join(local, `pulled-${counter}.dbs`);
    const pulled = await pullBackup('nightly.dbs', dest, t);
    assert.ok(pulled.validation.ok);
    assert.not.ok(pulled.validation.healed);
    assert.is(pulled.size, container.length);
    assert.ok(sameBytes(await readFile(dest), container), 'byte-identical');

    await deleteBackup('nightly.dbs', t);
    assert.equal(await listBackups(t), []);
    try {
      await deleteBackup('nightly.dbs', t);
      assert.unreachable('a second delete has nothing to delete');
    } catch (error) {
      assert.instance(error, RemoteNotFoundError);
    }
  });
}

test('streams and random-access sources push too; list is newest first and hides .part files', async () => {
  if (!sshd) return;
  const dir = await sshd.makeDir(`src${counter++}`);
  const t = target(sshd, dir, { privateKey: sshd.clientKey.privatePath });
  const a = seededBytes(2_500_000, 1);
  async function* stream() {
    for (let at = 0; at < a.length; at += 100_003) yield a.slice(at, at + 100_003);
  }
  await pushBackup(stream(), 'a.dbs', t);
  await pushBackup(memorySource(a), 'b.dbs', t);
  await writeFile(join(dir, 'c.dbs.part'), 'unfinished');
  spawnSync('touch', ['-d', '2020-01-01', join(dir, 'a.dbs')]);
  assert.ok(sameBytes(await readFile(join(dir, 'a.dbs')), a));
  assert.ok(sameBytes(await readFile(join(dir, 'b.dbs')), a));
  assert.equal((await listBackups(t)).map((b) => b.name), ['b.dbs', 'a.dbs']);
  const all = await listBackups(t, { includePartial: true });
  assert.equal(all.find((b) => b.name === 'c.dbs.part')?.partial, true);
});

test('a damaged remote copy is pulled, healed on validation and reported; junk is refused', async () => {
  if (!sshd) return;
  const dir = await sshd.makeDir(`dmg${counter++}`);
  const t = target(sshd, dir, { privateKey: sshd.clientKey.privatePath });
  const container = await protect(seededBytes(400_000, 7), { blockSize: 16 << 10 });
  const damaged = container.slice();
  for (let i = 0; i < 2000; i++) damaged[Math.floor(damaged.length * 0.2) + i] ^= 0x5a; // one copy, one region
  await writeFile(join(dir, 'damaged.dbs'), damaged);
  const pulled = await pullBackup('damaged.dbs', join(local, 'damaged.dbs'), t);
  assert.ok(pulled.validation.ok, pulled.validation.summary);
  assert.ok(pulled.validation.healed, 'the damage is reported');

  await writeFile(join(dir, 'junk.dbs'), seededBytes(300_000, 9));
  const before = await readdir(local);
  try {
    await pullBackup('junk.dbs', join(local, 'junk.dbs'), t);
    assert.unreachable('junk must not be reported as a good backup');
  } catch (error) {
    assert.instance(error, PulledBackupInvalidError);
    assert.match((error as Error).message, /junk\.dbs does not validate/);
  }
  assert.equal((await readdir(local)).sort(), before.sort(), 'nothing left locally');
});

test('an upload cut off by a dropped connection keeps its part (name.<hex>.part) and resumes from it', async () => {
  if (!sshd) return;
  const dir = await sshd.makeDir(`resume${counter++}`);
  const t = target(sshd, dir, { privateKey: sshd.clientKey.privatePath });
  const container = seededBytes(24 << 20, 11); // resuming does not look inside the file
  const file = join(local, 'resume-source.dbs');
  await writeFile(file, container);
  let killed = false;
  try {
    await pushBackup(file, 'big.dbs', t, {
      onProgress: (done) => {
        if (!killed && done > 6 << 20) {
          killed = true;
          assert.ok(killUserProcesses(sshd.uid) > 0, 'the server side of the session dies');
        }
      },
    });
    assert.unreachable('the push must fail when the connection drops');
  } catch (error) {
    assert.ok(killed);
    assert.is((error as { code?: string }).code, 'UNREACHABLE', (error as Error).message);
  }
  const names = await readdir(dir);
  assert.is(names.length, 1, names.join());
  assert.match(names[0], /^big\.dbs\.[0-9a-f]{8}\.part$/, 'nothing under the final name, the push\'s own part kept');
  const partSize = (await readFile(join(dir, names[0]))).length;
  assert.ok(partSize > 0 && partSize < container.length);

  const resumed = await pushBackup(file, 'big.dbs', t);
  assert.is(resumed.resumedFrom, partSize);
  assert.equal(await readdir(dir), ['big.dbs']);
  assert.ok(sameBytes(await readFile(join(dir, 'big.dbs')), container), 'the resumed upload is byte-identical');
});

test('a .part that does not match the source is not resumed from', async () => {
  if (!sshd) return;
  const dir = await sshd.makeDir(`stale${counter++}`);
  const t = target(sshd, dir, { privateKey: sshd.clientKey.privatePath });
  const data = seededBytes(3 << 20, 12);
  await writeFile(join(dir, 'x.dbs.part'), seededBytes(1 << 20, 13));
  await import('node:fs/promises').then((fs) => fs.chown(join(dir, 'x.dbs.part'), sshd!.uid, sshd!.gid));
  const pushed = await pushBackup(data, 'x.dbs', t);
  assert.is(pushed.resumedFrom, 0);
  assert.ok(sameBytes(await readFile(join(dir, 'x.dbs')), data));
  assert.equal((await readdir(dir)).sort(), ['x.dbs', 'x.dbs.part'], 'the other part is left alone: it may be a running push');
});

test('a name.part left by an older version is resumed; a newer part of another source is passed over and kept', async () => {
  if (!sshd) return;
  const dir = await sshd.makeDir(`legacy${counter++}`);
  const t = target(sshd, dir, { privateKey: sshd.clientKey.privatePath });
  const data = seededBytes(5 << 20, 14);
  const fs = await import('node:fs/promises');
  const legacy = join(dir, 'old.dbs.part');
  const other = join(dir, 'old.dbs.0123abcd.part');
  await writeFile(legacy, data.subarray(0, 3 << 20));
  await writeFile(other, seededBytes(4 << 20, 15));
  await fs.utimes(legacy, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  for (const path of [legacy, other]) await fs.chown(path, sshd.uid, sshd.gid);

  const pushed = await pushBackup(data, 'old.dbs', t);
  assert.is(pushed.resumedFrom, 3 << 20);
  assert.ok(sameBytes(await readFile(join(dir, 'old.dbs')), data), 'the resumed upload is byte-identical');
  assert.equal((await readdir(dir)).sort(), ['old.dbs', 'old.dbs.0123abcd.part']);
});

test('two pushes of the same source resuming one part at once: the backup is that source, the loser is refused', async () => {
  if (!sshd) return;
  const dir = await sshd.makeDir(`same${counter++}`);
  const t = target(sshd, dir, { privateKey: sshd.clientKey.privatePath });
  const data = seededBytes(12 << 20, 16);
  const part = join(dir, 'twice.dbs.89abcdef.part');
  await writeFile(part, data.subarray(0, 2 << 20));
  await import('node:fs/promises').then((fs) => fs.chown(part, sshd!.uid, sshd!.gid));
  const results = await Promise.allSettled([pushBackup(data, 'twice.dbs', t), pushBackup(data, 'twice.dbs', t)]);
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 1, 'one push wins');
  const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
  assert.instance(lost.reason, RemoteExistsError, String(lost.reason));
  assert.ok(sameBytes(await readFile(join(dir, 'twice.dbs')), data), 'the backup is byte-identical to the source');
  assert.equal(await readdir(dir), ['twice.dbs'], 'no part left behind');
});

// Before each push had its own part, the second push truncated the shared name.part while the
// first was still writing into it, and a file mixing both sources could be renamed into place.
for (const overwrite of [false, true]) {
  test(`two pushes of different sources under one name at once never mix (overwrite: ${overwrite})`, async () => {
    if (!sshd) return;
    const dir = await sshd.makeDir(`race${counter++}`);
    const t = target(sshd, dir, { privateKey: sshd.clientKey.privatePath });
    for (let round = 0; round < 3; round++) {
      const name = `race-${round}.dbs`;
      const sources = [seededBytes(12 << 20, 20 + round * 2), seededBytes(12 << 20, 21 + round * 2)];
      const results = await Promise.allSettled(sources.map((source) => pushBackup(source, name, t, { overwrite })));
      const final = await readFile(join(dir, name));
      const matches = sources.filter((source) => sameBytes(final, source)).length;
      assert.is(matches, 1, `round ${round}: the backup is exactly one of the two sources, byte for byte`);
      if (overwrite) {
        for (const r of results) assert.is(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      } else {
        const won = results.findIndex((r) => r.status === 'fulfilled');
        const lost = results.findIndex((r) => r.status === 'rejected');
        assert.ok(won >= 0 && lost >= 0, `round ${round}: one push wins, the other is refused`);
        const reason = (results[lost] as PromiseRejectedResult).reason;
        assert.instance(reason, RemoteExistsError, String(reason));
        assert.ok(sameBytes(final, sources[won]), `round ${round}: the backup is the winner's source`);
      }
    }
    assert.equal((await readdir(dir)).sort(), ['race-0.dbs', 'race-1.dbs', 'race-2.dbs'], 'no part left behind');
  });
}

test.after(async () => {
  await sshd?.stop();
});

test.run();
