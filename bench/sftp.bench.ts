// SFTP transport: push and pull of one file (default 1 GiB; DBS_BENCH_SFTP_MIB sets the size, use a
// few dozen MiB while developing) over a private loopback sshd, MB/s next to OpenSSH's scp and
// sftp moving the same file over the same server in the same run, and the peak memory growth of
// this process during each transfer (the target: flat, whatever the file size).
// Needs root (the private sshd switches to a throw-away user); see test/helpers/sshd.ts.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pullBackup, pushBackup } from '../src/transports/sftp.js';
import { SSHTarget } from '../src/transports/target.js';
import { probeSshd, startSshd } from '../test/helpers/sshd.js';
import { fmt, hasTool, mbps, MiB, row, section, timeCommand } from './lib.js';

const sizeMiB = Number(process.env.DBS_BENCH_SFTP_MIB || 1024);
const size = sizeMiB * MiB;
/**
 * "Flat": the peak RSS growth while moving the full file is within FLAT_SLACK_MIB of the growth
 * while moving a file 1/8 of its size (so it does not scale with the file), and below
 * FLAT_LIMIT_MIB (the 8 MiB request window, ssh2's packet copies and read chunks awaiting GC).
 */
const FLAT_LIMIT_MIB = 96;
const FLAT_SLACK_MIB = 24;

try {
  await probeSshd();
} catch (error) {
  console.log(`SKIPPED: sftp bench needs a private sshd: ${(error as Error).message}`);
  process.exit(0);
}

const sshd = await startSshd();
try {
  const knownHosts = await sshd.writeKnownHosts('known_hosts');
  const remoteDir = await sshd.makeDir('bench');
  const localDir = join(sshd.dir, 'local');
  await import('node:fs/promises').then((fs) => fs.mkdir(localDir));
  const source = join(localDir, 'source.bin');

  // The file: random bytes (SSH does not compress by default, so content does not matter).
  const pattern = new Uint8Array(16 * MiB);
  randomFillSync(pattern);
  const handle = await open(source, 'w');
  for (let at = 0; at < size; at += pattern.length) await handle.write(pattern, 0, Math.min(pattern.length, size - at), at);
  await handle.close();

  const target = new SSHTarget({ host: sshd.host, port: sshd.port, username: sshd.user, remoteDir, knownHosts, privateKey: sshd.clientKey.privatePath });

  /** Runs fn while sampling this process's RSS; returns seconds and peak growth in MiB. */
  async function measure(fn: () => Promise<unknown>): Promise<{ seconds: number; growthMiB: number }> {
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const start = performance.now();
    try {
      await fn();
    } finally {
      clearInterval(timer);
    }
    const seconds = (performance.now() - start) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { seconds, growthMiB: (peak - base) / MiB };
  }

  const same = (a: string, b: string) => spawnSync('cmp', ['-s', a, b]).status === 0;

  section(`SFTP transport, ${fmt(sizeMiB)} MiB over loopback sshd (OpenSSH ${spawnSync('/usr/sbin/sshd', ['-V'], { encoding: 'utf8' }).stderr.split(',')[0].replace('OpenSSH_', '')})`);

  // A small run first (also warms the JIT): the reference for "memory does not grow with size".
  const smallSize = Math.max(MiB, Math.floor(size / 8 / MiB) * MiB);
  const small = join(localDir, 'small.bin');
  const smallHandle = await open(small, 'w');
  for (let at = 0; at < smallSize; at += pattern.length) await smallHandle.write(pattern, 0, Math.min(pattern.length, smallSize - at), at);
  await smallHandle.close();
  const sizeCheck = (want: number) => async (path: string) => ({ ok: (await stat(path)).size === want, healed: false, summary: 'size checked' });
  const smallPush = await measure(() => pushBackup(small, 'small.bin', target));
  const smallPull = await measure(() => pullBackup('small.bin', join(localDir, 'small-pulled.bin'), target, { validate: sizeCheck(smallSize) }));
  await rm(join(localDir, 'small-pulled.bin'));
  await rm(join(remoteDir, 'small.bin'));

  const push = await measure(() => pushBackup(source, 'pushed.bin', target));
  if (!same(source, join(remoteDir, 'pushed.bin'))) throw new Error('pushed file differs from the source');
  const pulledPath = join(localDir, 'pulled.bin');
  // The transfer alone: the file is random bytes, not a backup, so the container check is replaced
  // by a size check here (the tests cover validation; its own speed is in the container bench).
  const pull = await measure(() =>
    pullBackup('pushed.bin', pulledPath, target, {
      validate: sizeCheck(size),
    }),
  );
  if (!same(source, pulledPath)) throw new Error('pulled file differs from the source');
  await rm(pulledPath);
  await rm(join(remoteDir, 'pushed.bin'));

  const ssh = ['-i', sshd.clientKey.privatePath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-P', String(sshd.port)];
  const remote = (name: string) => `${sshd.user}@127.0.0.1:${join(remoteDir, name)}`;
  const anchors: Record<string, { up: number; down: number }> = {};
  if (hasTool('scp')) {
    for (const [label, extra] of [['scp', []], ['scp -c aes128-gcm', ['-c', 'aes128-gcm@openssh.com']]] as const) {
      const up = timeCommand('scp', ['-q', ...ssh, ...extra, source, remote('scp.bin')]);
      const down = timeCommand('scp', ['-q', ...ssh, ...extra, remote('scp.bin'), join(localDir, 'scp.bin')]);
      if (!same(source, join(localDir, 'scp.bin'))) throw new Error(`${label} copy differs`);
      await rm(join(localDir, 'scp.bin'));
      await rm(join(remoteDir, 'scp.bin'));
      anchors[label] = { up, down };
    }
  }
  if (hasTool('sftp')) {
    const batch = (line: string) => Buffer.from(line + '\n');
    const up = timeCommand('sftp', ['-q', '-b', '-', ...ssh, `${sshd.user}@127.0.0.1`], { input: batch(`put ${source} ${join(remoteDir, 'sftp.bin')}`) });
    const down = timeCommand('sftp', ['-q', '-b', '-', ...ssh, `${sshd.user}@127.0.0.1`], { input: batch(`get ${join(remoteDir, 'sftp.bin')} ${join(localDir, 'sftp.bin')}`) });
    if (!same(source, join(localDir, 'sftp.bin'))) throw new Error('sftp copy differs');
    anchors.sftp = { up, down };
  }

  const anchorText = (dir: 'up' | 'down') =>
    Object.entries(anchors)
      .map(([k, v]) => `${k} ${fmt(mbps(size, v[dir]))}`)
      .join(', ') + ' MB/s';
  row('pushBackup (ssh2, aes128-gcm)', `${fmt(mbps(size, push.seconds))} MB/s`, anchorText('up'));
  row('pullBackup (ssh2, aes128-gcm)', `${fmt(mbps(size, pull.seconds))} MB/s`, anchorText('down'));
  const flat = (big: number, little: number) => ({
    ok: big < FLAT_LIMIT_MIB && big < little + FLAT_SLACK_MIB,
    text: `flat: < ${FLAT_LIMIT_MIB} MiB and < ${fmt(smallSize / MiB)} MiB file's + ${FLAT_SLACK_MIB}`,
  });
  row('push: peak RSS growth', `${fmt(push.growthMiB, 1)} MiB`, `${fmt(smallSize / MiB)} MiB file: ${fmt(smallPush.growthMiB, 1)} MiB`, flat(push.growthMiB, smallPush.growthMiB));
  row('pull: peak RSS growth', `${fmt(pull.growthMiB, 1)} MiB`, `${fmt(smallSize / MiB)} MiB file: ${fmt(smallPull.growthMiB, 1)} MiB`, flat(pull.growthMiB, smallPull.growthMiB));
  const best = (dir: 'up' | 'down') => Math.min(...Object.values(anchors).map((v) => v[dir]));
  if (Object.keys(anchors).length) {
    row('push vs fastest OpenSSH tool', `${fmt((best('up') / push.seconds) * 100)} %`, '(of its MB/s)');
    row('pull vs fastest OpenSSH tool', `${fmt((best('down') / pull.seconds) * 100)} %`, '(of its MB/s)');
  }
} finally {
  await sshd.stop();
}
