// One SSH connection with its SFTP channel: connect with the host key checked against known_hosts
// (never trust-on-first-use), authenticate with the target's one method, and turn ssh2's errors
// into the typed errors of ./errors.ts. The SFTP calls are wrapped as promises that map status
// codes (no such file, permission denied, failure) to those errors too.
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import {
  AuthFailedError,
  HostKeyError,
  RemoteNotFoundError,
  RemotePermissionError,
  TargetConfigError,
  TransportError,
  UnreachableError,
} from './errors.js';
import { expandHome, fingerprintSha256, hostKeyAlgorithmsFor, hostLookupName, keyTypeOf, loadKnownHosts, verifyHostKey } from './known-hosts.js';
import type { SSHTarget } from './target.js';

const { Client, utils } = ssh2;

// ssh2's own default list (ed25519 is supported by Node 20's crypto); reordered per host below.
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

// SFTP v3 status codes (draft-ietf-secsh-filexfer-02).
export const SFTP_STATUS = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, OP_UNSUPPORTED: 8 } as const;

export interface Session {
  readonly target: SSHTarget;
  readonly sftp: SFTPWrapper;
  /** Extensions the server announced (e.g. posix-rename@openssh.com). */
  has(extension: string): boolean;
  /** The largest read/write the server accepts in one request. */
  readonly maxReadLength: number;
  readonly maxWriteLength: number;
  close(): Promise<void>;
}

/** Opens a connection and its SFTP channel. Close it when done (or use `withSession`). */
export async function openSession(target: SSHTarget): Promise<Session> {
  const { entries, missing } = await loadKnownHosts(target.knownHosts).catch((error: NodeJS.ErrnoException) => {
    throw new TargetConfigError(`cannot read known_hosts: ${error.code ?? ''} ${error.message}`.trim(), {
      target: target.name,
      hint: 'make the knownHosts file of the profile readable by this user',
    });
  });
  const auth = await authConfig(target);
  const client = new Client();
  let hostKeyFailure: HostKeyError | undefined;
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.username,
    readyTimeout: target.connectTimeoutMs,
    keepaliveInterval: 15_000,
    keepaliveCountMax: 4,
    algorithms: { serverHostKey: hostKeyAlgorithmsFor(entries, target.host, target.port, HOST_KEY_ALGORITHMS) as never },
    hostVerifier: (key: Buffer) => {
      const verdict = verifyHostKey(entries, target.host, target.port, key);
      if (verdict.ok) return true;
      const known = target.knownHosts.map(expandHome);
      const missingNote = missing.length ? `${missing.join(', ')} does not exist` : undefined;
      hostKeyFailure = new HostKeyError(verdict.reason, {
        server: target.server,
        hostPattern: hostLookupName(target.host, target.port),
        keyType: keyTypeOf(key),
        fingerprint: fingerprintSha256(key),
        knownHosts: known,
        detail: [verdict.detail, missingNote].filter(Boolean).join('; ') || undefined,
      });
      return false;
    },
    ...auth,
  };

  return new Promise<Session>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(error);
    };
    client.on('error', (error: Error & { level?: string; code?: string }) => fail(hostKeyFailure ?? describeConnectError(error, target)));
    client.on('close', () =>
      fail(hostKeyFailure ?? new UnreachableError(`${target.server} closed the connection before the session was ready`, { server: target.server })),
    );
    client.on('ready', () => {
      client.sftp((error, sftp) => {
        if (error) return fail(new TransportError('SFTP_UNAVAILABLE', `${target.server} refused the SFTP subsystem: ${error.message}`, {
          server: target.server,
          hint: 'enable "Subsystem sftp" in the server\'s sshd_config',
          cause: error,
        }));
        settled = true;
        resolve(makeSession(target, client, sftp));
      });
    });
    try {
      client.connect(config);
    } catch (error) {
      fail(new TargetConfigError(`cannot connect to ${target.server}: ${(error as Error).message}`, { target: target.name }));
    }
  });
}

/** Runs `work` on a fresh session and always closes it. */
export async function withSession<T>(target: SSHTarget, work: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(target);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

function makeSession(target: SSHTarget, client: InstanceType<typeof Client>, sftp: SFTPWrapper): Session {
  const internals = sftp as unknown as { _extensions?: Record<string, string>; _maxReadLen?: number; _maxWriteLen?: number };
  let closed = false;
  const state: LinkState = { waiters: new Set() };
  links.set(sftp, state);
  const lose = (why: string) => {
    if (closed || state.lost) return;
    state.lost = new Error(`connection closed: ${why}`);
    for (const waiter of state.waiters) waiter(state.lost);
    state.waiters.clear();
  };
  client.on('close', () => lose('the server closed the connection'));
  client.on('error', (error: Error) => lose(error.message));
  sftp.on('close', () => lose('the server closed the SFTP channel'));
  return {
    target,
    sftp,
    has: (extension) => internals._extensions?.[extension] !== undefined,
    maxReadLength: Math.max(1 << 15, Math.min(internals._maxReadLen ?? 1 << 15, 1 << 18)),
    maxWriteLength: Math.max(1 << 15, Math.min(internals._maxWriteLen ?? 1 << 15, 1 << 18)),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        if (state.lost) {
          client.end();
          return resolve();
        }
        client.once('close', () => resolve());
        sftp.end();
        client.end();
        setTimeout(resolve, 2000).unref();
      }),
  };
}

async function authConfig(target: SSHTarget): Promise<Partial<ConnectConfig>> {
  const auth = target.auth;
  if (auth.kind === 'password') return { password: auth.password, tryKeyboard: false };
  if (auth.kind === 'agent') return { agent: auth.socket };
  let key: Buffer;
  if (typeof auth.privateKey === 'string' && !auth.privateKey.startsWith('-----BEGIN')) {
    const path = expandHome(auth.privateKey);
    try {
      key = await readFile(path);
    } catch (error) {
      throw new TargetConfigError(`cannot read the private key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        target: target.name,
        hint: 'check privateKey in the target profile (a path to the key file, readable by this user)',
      });
    }
  } else {
    key = Buffer.from(auth.privateKey);
  }
  // Parse now so a wrong or missing passphrase is reported as such, not as a failed login.
  const parsed = utils.parseKey(key, auth.passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase|decrypt|bad decrypt/i.test(parsed.message);
    throw new AuthFailedError(
      encrypted
        ? auth.passphrase === undefined
          ? 'the private key is encrypted and no passphrase was given'
          : 'the private key could not be decrypted with the given passphrase'
        : `the private key cannot be used: ${parsed.message}`,
      {
        server: target.server,
        hint: encrypted ? 'set passphraseEnv in the profile to a variable holding the key\'s passphrase, and check its value' : 'use an OpenSSH or PEM private key (ed25519, ecdsa or rsa)',
      },
    );
  }
  return { privateKey: key, passphrase: auth.passphrase };
}

function describeConnectError(error: Error & { level?: string; code?: string }, target: SSHTarget): TransportError {
  const server = target.server;
  const method = target.auth.kind === 'key' ? 'the private key' : target.auth.kind === 'password' ? 'the password' : 'the ssh-agent keys';
  if (error.level === 'client-authentication') {
    return new AuthFailedError(`authentication failed for ${server} with ${method}`, {
      server,
      cause: error,
      hint:
        target.auth.kind === 'password'
          ? 'check the password (the variable named by passwordEnv) and that the server allows PasswordAuthentication'
          : target.auth.kind === 'key'
            ? `add the public key to ~${target.username}/.ssh/authorized_keys on the server`
            : 'load the right key into the agent (ssh-add) and add its public key to authorized_keys on the server',
    });
  }
  if (error.level === 'client-timeout') {
    return new UnreachableError(`no SSH session with ${server} within ${target.connectTimeoutMs} ms`, {
      server,
      cause: error,
      hint: 'check the host and port, the network and firewalls; raise connectTimeoutMs for slow links',
    });
  }
  switch (error.code) {
    case 'ECONNREFUSED':
      return new UnreachableError(`connection refused by ${target.host}:${target.port}`, { server, cause: error, hint: 'check the port and that sshd is running on the server' });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UnreachableError(`host ${target.host} not found (${error.code})`, { server, cause: error, hint: 'check the host name in the target profile and DNS' });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EPIPE':
      return new UnreachableError(`cannot reach ${target.host}:${target.port} (${error.code})`, { server, cause: error, hint: 'check the network, firewalls and the host name' });
  }
  return new TransportError('TRANSPORT', `SSH connection to ${server} failed: ${error.message}`, { server, cause: error });
}

/** Turns an SFTP status error into a typed error. `doing` reads like "opening", "reading". */
export function describeSftpError(error: unknown, session: Session, path: string, doing: string, what = 'remote file'): TransportError {
  if (error instanceof TransportError) return error;
  const e = error as Error & { code?: number | string };
  const server = session.target.server;
  if (e?.code === SFTP_STATUS.NO_SUCH_FILE) return new RemoteNotFoundError(path, what, { server, cause: e });
  if (e?.code === SFTP_STATUS.PERMISSION_DENIED) return new RemotePermissionError(path, doing, { server, cause: e });
  if (typeof e?.code === 'number')
    return new TransportError('REMOTE_FAILURE', `the server failed ${doing} ${path}: ${e.message}`, { server, cause: e });
  if (/no response|not connected|closed|ECONNRESET|EPIPE|ETIMEDOUT|keepalive/i.test(e?.message ?? '') || typeof e?.code === 'string')
    return new UnreachableError(`the connection to ${server} broke while ${doing} ${path}: ${e?.message ?? String(error)}`, {
      server,
      cause: e,
      hint: 'run the command again; an interrupted push resumes where it stopped',
    });
  return new TransportError('TRANSPORT', `failed ${doing} ${path} on ${server}: ${e?.message ?? String(error)}`, { server, cause: e });
}

// Requests in flight when the connection drops are failed at once (ssh2 may never answer them).
interface LinkState {
  lost?: Error;
  waiters: Set<(error: Error) => void>;
}
const links = new WeakMap<SFTPWrapper, LinkState>();

function call<T>(s: SFTPWrapper, run: (ok: (value: T) => void, no: (error: unknown) => void) => void): Promise<T> {
  const state = links.get(s);
  if (state?.lost) return Promise.reject(state.lost);
  return new Promise<T>((resolve, reject) => {
    const onLost = (error: Error) => reject(error);
    state?.waiters.add(onLost);
    const settle = () => state?.waiters.delete(onLost);
    try {
      run(
        (value) => {
          settle();
          resolve(value);
        },
        (error) => {
          settle();
          reject(error);
        },
      );
    } catch (error) {
      settle();
      reject(error);
    }
  });
}

// Promise wrappers over the callback API. Each rejects with the raw ssh2 error (mapped by callers).
export const sftpCall = {
  stat: (s: SFTPWrapper, path: string) => call<Stats>(s, (ok, no) => s.stat(path, (e, st) => (e ? no(e) : ok(st)))),
  open: (s: SFTPWrapper, path: string, flags: 'r' | 'w' | 'r+', mode?: number) =>
    call<Buffer>(s, (ok, no) => s.open(path, flags, mode === undefined ? {} : { mode }, (e, h) => (e ? no(e) : ok(h)))),
  fstat: (s: SFTPWrapper, handle: Buffer) => call<Stats>(s, (ok, no) => s.fstat(handle, (e, st) => (e ? no(e) : ok(st)))),
  close: (s: SFTPWrapper, handle: Buffer) => call<void>(s, (ok, no) => s.close(handle, (e) => (e ? no(e) : ok()))),
  write: (s: SFTPWrapper, handle: Buffer, data: Uint8Array, position: number) =>
    call<void>(s, (ok, no) => {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
      s.write(handle, buffer, 0, buffer.length, position, (e) => (e ? no(e) : ok()));
    }),
  read: (s: SFTPWrapper, handle: Buffer, length: number, position: number) =>
    call<Buffer>(s, (ok, no) => {
      const buffer = Buffer.allocUnsafe(length);
      s.read(handle, buffer, 0, length, position, (e, n) => {
        if (e) return (e as { code?: number }).code === SFTP_STATUS.EOF ? ok(buffer.subarray(0, 0)) : no(e);
        ok(buffer.subarray(0, n));
      });
    }),
  unlink: (s: SFTPWrapper, path: string) => call<void>(s, (ok, no) => s.unlink(path, (e) => (e ? no(e) : ok()))),
  rename: (s: SFTPWrapper, from: string, to: string) => call<void>(s, (ok, no) => s.rename(from, to, (e) => (e ? no(e) : ok()))),
  posixRename: (s: SFTPWrapper, from: string, to: string) => call<void>(s, (ok, no) => s.ext_openssh_rename(from, to, (e) => (e ? no(e) : ok()))),
  fsync: (s: SFTPWrapper, handle: Buffer) => call<void>(s, (ok, no) => s.ext_openssh_fsync(handle, (e) => (e ? no(e) : ok()))),
  /** Bytes available to the SSH user on the file system holding `path` (statvfs@openssh.com). */
  available: (s: SFTPWrapper, path: string) =>
    call<number>(s, (ok, no) =>
      s.ext_openssh_statvfs(path, (e, info: { f_frsize: number | bigint | string; f_bavail: number | bigint | string }) =>
        e ? no(e) : ok(Number(info.f_frsize) * Number(info.f_bavail)),
      ),
    ),
  readdir: (s: SFTPWrapper, path: string) =>
    call<{ filename: string; attrs: Stats }[]>(s, (ok, no) => s.readdir(path, (e, list) => (e ? no(e) : ok(list as never)))),
};
