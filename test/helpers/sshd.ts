// A private OpenSSH server for the transport tests: Debian's /usr/sbin/sshd on a free loopback
// port, with host keys made by ssh-keygen, its own sshd_config (no PAM, StrictModes off so its
// files may live in /tmp, a per-server AuthorizedKeysFile), and a throw-away unprivileged user
// with a password (created with useradd, removed by stop()). Needs root, as sshd itself does to
// switch to that user. Everything is under one temp dir, removed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface KeyPair {
  privatePath: string;
  /** The public key line (`type base64 comment`). */
  publicLine: string;
  passphrase?: string;
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  dir: string;
  user: string;
  uid: number;
  gid: number;
  home: string;
  password: string;
  /** Public key lines of the server's host keys, by type. */
  hostKeys: { ed25519: string; ecdsa: string };
  /** An unencrypted ed25519 client key, already in authorized_keys. */
  clientKey: KeyPair;
  /** An encrypted (bcrypt, OpenSSH format) ed25519 client key, already in authorized_keys. */
  encryptedKey: KeyPair;
  /** Writes a known_hosts file listing this server ([127.0.0.1]:port) with the given host keys. */
  writeKnownHosts(name: string, options?: { types?: ('ed25519' | 'ecdsa')[]; hashed?: boolean; extraLines?: string[] }): Promise<string>;
  /** A directory in the user's home, owned by the user, with the given mode. */
  makeDir(name: string, mode?: number): Promise<string>;
  /** A small tmpfs owned by the user (for disk-full tests); unmounted by stop(). */
  mountTmpfs(name: string, bytes: number): Promise<string>;
  /** A fresh key pair (not authorized unless `authorize`). */
  makeKey(name: string, options?: { passphrase?: string; type?: 'ed25519' | 'rsa' | 'ecdsa'; pem?: boolean; authorize?: boolean }): Promise<KeyPair>;
  /** Runs ssh-agent with the given keys loaded; returns its socket. Stopped by stop(). */
  startAgent(keys: KeyPair[]): Promise<string>;
  stop(): Promise<void>;
}

/** Probe for requireService: root, sshd and ssh-keygen present. */
export async function probeSshd(): Promise<void> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is not installed (Debian package openssh-server)`);
  if (process.getuid?.() !== 0) throw new Error('the sshd tests need root (sshd switches to a test user)');
  for (const tool of ['ssh-keygen', 'useradd', 'userdel', 'chpasswd']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed`);
  }
}

/** SIGKILLs every process running as `uid` (the test user's sessions); reads /proc, needs no procps. */
export function killUserProcesses(uid: number): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      if (Number(real) === uid && /^State:\s+[^Z]/m.test(status)) {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return killed;
}

function run(cmd: string, args: string[], input?: string): string {
  const result = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'dbs-sshd-'));
  await chmod(dir, 0o755); // the test user must be able to reach its home below
  const user = `dbst${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const home = join(dir, 'home');
  const mounts: string[] = [];
  const agents: ChildProcess[] = [];
  let sshd: ChildProcess | undefined;
  let userCreated = false;
  let uid: number | undefined;

  const cleanupSync = () => {
    if (sshd && sshd.exitCode === null) sshd.kill('SIGTERM');
    for (const agent of agents) if (agent.exitCode === null) agent.kill('SIGTERM');
    if (userCreated) {
      if (uid !== undefined) killUserProcesses(uid); // only the test user's own sessions
      spawnSync('userdel', ['-f', user]);
      userCreated = false;
    }
    for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  };
  process.once('exit', cleanupSync);
  // A test killed by a signal (a timeout) still removes its user, mounts and server.
  const onSignal = (signal: NodeJS.Signals) => {
    cleanupSync();
    spawnSync('rm', ['-rf', dir]);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
    run('useradd', ['-M', '-d', home, '-s', '/bin/sh', user]);
    userCreated = true;
    run('chpasswd', [], `${user}:${password}\n`);
    const userId = Number(run('id', ['-u', user]).trim());
    uid = userId;
    const gid = Number(run('id', ['-g', user]).trim());
    await mkdir(home, { mode: 0o755 });
    await chown(home, userId, gid);

    const hostKey = (type: 'ed25519' | 'ecdsa') => {
      const path = join(dir, `ssh_host_${type}_key`);
      run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `dbs-test-host-${type}`, '-f', path]);
      return path;
    };
    const hostPaths = { ed25519: hostKey('ed25519'), ecdsa: hostKey('ecdsa') };
    const hostKeys = {
      ed25519: (await readFile(`${hostPaths.ed25519}.pub`, 'utf8')).trim(),
      ecdsa: (await readFile(`${hostPaths.ecdsa}.pub`, 'utf8')).trim(),
    };
    const authorizedKeys = join(dir, 'authorized_keys');
    await writeFile(authorizedKeys, '', { mode: 0o644 });

    const makeKey: Sshd['makeKey'] = async (name, options = {}) => {
      const path = join(dir, name);
      const type = options.type ?? 'ed25519';
      const args = ['-q', '-t', type, '-N', options.passphrase ?? '', '-C', `dbs-test-${name}`, '-f', path];
      if (type === 'rsa') args.push('-b', '2048');
      if (options.pem) args.push('-m', 'PEM');
      run('ssh-keygen', args);
      const publicLine = (await readFile(`${path}.pub`, 'utf8')).trim();
      if (options.authorize !== false) await appendFile(authorizedKeys, publicLine + '\n');
      return { privatePath: path, publicLine, passphrase: options.passphrase };
    };
    const clientKey = await makeKey('id_client');
    const encryptedKey = await makeKey('id_encrypted', { passphrase: `kp-${randomBytes(6).toString('hex')}` });

    const port = await freePort();
    const config = join(dir, 'sshd_config');
    await writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostPaths.ed25519}`,
        `HostKey ${hostPaths.ecdsa}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        'StrictModes no',
        'UsePAM no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        `AllowUsers ${user}`,
        'UseDNS no',
        'MaxStartups 100',
        'MaxAuthTries 10',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    run(SSHD, ['-t', '-f', config]);

    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    sshd = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s: ${log}`)), 10_000);
      child.stderr!.on('data', (d) => {
        log += d;
        if (log.includes('Server listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited with ${code}: ${log}`));
      });
    });
    child.stderr!.on('data', (d) => {
      if (process.env.DBS_SSHD_LOG) process.stderr.write(`[sshd] ${d}`);
    });

    const server: Sshd = {
      host: '127.0.0.1',
      port,
      dir,
      user,
      uid: userId,
      gid,
      home,
      password,
      hostKeys,
      clientKey,
      encryptedKey,
      async writeKnownHosts(name, options = {}) {
        const path = join(dir, name);
        const types = options.types ?? ['ed25519', 'ecdsa'];
        const lines = types.map((t) => `[127.0.0.1]:${port} ${hostKeys[t].split(' ').slice(0, 2).join(' ')}`);
        await writeFile(path, [...(options.extraLines ?? []), ...lines, ''].join('\n'));
        if (options.hashed) {
          run('ssh-keygen', ['-H', '-f', path]);
          await rm(`${path}.old`, { force: true });
        }
        return path;
      },
      async makeDir(name, mode = 0o755) {
        const path = join(home, name);
        await mkdir(path, { recursive: true });
        await chown(path, userId, gid);
        await chmod(path, mode);
        return path;
      },
      async mountTmpfs(name, bytes) {
        const path = join(home, name);
        await mkdir(path, { recursive: true });
        run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755,uid=${userId},gid=${gid}`, 'tmpfs', path]);
        mounts.push(path);
        return path;
      },
      makeKey,
      async startAgent(keys) {
        const socket = join(dir, `agent-${agents.length}.sock`);
        const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
        agents.push(agent);
        for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
        for (const key of keys) {
          const result = spawnSync('ssh-add', ['-q', key.privatePath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, encoding: 'utf8' });
          if (result.status !== 0) throw new Error(`ssh-add failed: ${result.stderr}`);
        }
        return socket;
      },
      async stop() {
        process.removeListener('exit', cleanupSync);
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        const exited = sshd && sshd.exitCode === null ? new Promise((r) => sshd!.once('exit', r)) : Promise.resolve();
        cleanupSync();
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        await rm(dir, { recursive: true, force: true });
      },
    };
    return server;
  } catch (error) {
    cleanupSync();
    process.removeListener('exit', cleanupSync);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
