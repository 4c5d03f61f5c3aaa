// Typed errors of the SFTP transport. Each names the server (user@host:port) and what was being
// done, carries the facts a script needs (fingerprint, remote path), and a hint. No secrets.
import { ConfigError, DbsError } from '../errors.js';

/** Base class: something went wrong talking to, or on, the remote side. */
export class TransportError extends DbsError {
  /** `user@host:port` of the target, when known. */
  readonly server?: string;
  constructor(code: string, message: string, options: { server?: string; hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.server = options.server;
  }
}

/** A profile is malformed: unknown key, missing field, two auth methods, unset env var. */
export class TargetConfigError extends ConfigError {
  /** The profile's name (e.g. 'offsite'), when it came from settings. */
  readonly target?: string;
  constructor(message: string, options: { target?: string; hint?: string } = {}) {
    super(message, { hint: options.hint ?? 'fix the sshTargets profile in the dbs config' });
    this.target = options.target;
  }
}

/** The TCP connection could not be made, or the handshake did not finish in time. */
export class UnreachableError extends TransportError {
  constructor(message: string, options: { server?: string; hint?: string; cause?: unknown } = {}) {
    super('UNREACHABLE', message, options);
  }
}

/** The host key offered by the server is not acceptable; the connection was refused by us. */
export class HostKeyError extends TransportError {
  /** 'unknown' (no entry for this host), 'changed' (entries exist, none match), 'revoked' (@revoked). */
  readonly reason: 'unknown' | 'changed' | 'revoked';
  /** The offered key's type, e.g. 'ssh-ed25519'. */
  readonly keyType: string;
  /** The offered key's fingerprint as OpenSSH prints it: 'SHA256:…' (base64, no padding). */
  readonly fingerprint: string;
  /** The known_hosts file(s) that were searched. */
  readonly knownHosts: string[];
  constructor(
    reason: 'unknown' | 'changed' | 'revoked',
    facts: { server: string; hostPattern: string; keyType: string; fingerprint: string; knownHosts: string[]; detail?: string },
  ) {
    const files = facts.knownHosts.join(', ') || '(none)';
    const what =
      reason === 'unknown'
        ? `host key for ${facts.hostPattern} is not in ${files}`
        : reason === 'changed'
          ? `HOST KEY FOR ${facts.hostPattern} HAS CHANGED: the server offered a key that matches none of the entries in ${files}`
          : `host key for ${facts.hostPattern} is marked @revoked in ${files}`;
    const hint =
      reason === 'unknown'
        ? `compare the fingerprint with the server's own (run there: ssh-keygen -lf /etc/ssh/ssh_host_${shortType(facts.keyType)}_key.pub); only if they match, add it: ssh-keyscan -t ${shortType(facts.keyType)} ${keyscanArgs(facts.hostPattern)} >> ${facts.knownHosts[0] ?? '~/.ssh/known_hosts'}`
        : reason === 'changed'
          ? `someone may be intercepting the connection, or the server was re-installed; verify the new fingerprint out of band, then replace the old entry: ssh-keygen -R '${facts.hostPattern}' -f ${facts.knownHosts[0] ?? '~/.ssh/known_hosts'}`
          : 'this key was revoked on purpose; ask the server administrator for the new host key';
    super('HOST_KEY', `${what}; offered ${facts.keyType} key ${facts.fingerprint}${facts.detail ? ` (${facts.detail})` : ''}; connection refused`, {
      server: facts.server,
      hint,
    });
    this.reason = reason;
    this.keyType = facts.keyType;
    this.fingerprint = facts.fingerprint;
    this.knownHosts = facts.knownHosts;
  }
}

/** The server rejected every authentication method we offered. */
export class AuthFailedError extends TransportError {
  constructor(message: string, options: { server?: string; hint?: string; cause?: unknown } = {}) {
    super('AUTH_FAILED', message, options);
  }
}

/** The remote side refused an operation for lack of permission (read-only directory, ownership). */
export class RemotePermissionError extends TransportError {
  readonly path: string;
  constructor(path: string, doing: string, options: { server?: string; cause?: unknown } = {}) {
    super('REMOTE_PERMISSION', `permission denied ${doing} ${path}`, {
      ...options,
      hint: 'make the remote directory writable (and readable) by the SSH user, or choose another remoteDir',
    });
    this.path = path;
  }
}

/** A remote path does not exist: the remoteDir, or a backup asked for by name. */
export class RemoteNotFoundError extends TransportError {
  readonly path: string;
  constructor(path: string, what: string, options: { server?: string; hint?: string; cause?: unknown } = {}) {
    super('REMOTE_NOT_FOUND', `${what} ${path} does not exist`, options);
    this.path = path;
  }
}

/** The remote file system has no room for the upload. */
export class RemoteDiskFullError extends TransportError {
  readonly path: string;
  /** Bytes free for the SSH user on the remote file system, when the server could tell. */
  readonly available?: number;
  /** Bytes the upload needed (or still needed), when known. */
  readonly needed?: number;
  constructor(path: string, facts: { server?: string; available?: number; needed?: number; cause?: unknown }) {
    const room = facts.available === undefined ? '' : `: ${facts.available} bytes free`;
    const need = facts.needed === undefined ? '' : `, ${facts.needed} needed`;
    super('REMOTE_DISK_FULL', `remote disk is full writing ${path}${room}${need}`, {
      server: facts.server,
      cause: facts.cause,
      hint: 'free space on the remote server (delete old backups with `dbs list` / deleteBackup) and push again',
    });
    this.path = path;
    this.available = facts.available;
    this.needed = facts.needed;
  }
}

/** The final name is already taken on the remote side and overwrite was not asked for. */
export class RemoteExistsError extends TransportError {
  readonly path: string;
  constructor(path: string, options: { server?: string } = {}) {
    super('REMOTE_EXISTS', `${path} already exists on the remote side`, {
      ...options,
      hint: 'push under another name, delete the old backup first, or pass overwrite: true (--overwrite)',
    });
    this.path = path;
  }
}

/** A pulled file did not validate: it was removed locally and is not reported as a good backup. */
export class PulledBackupInvalidError extends TransportError {
  /** The CLI's exit code for "unrecoverable or not a DBS file". */
  readonly exitCode = 4;
  /** The backup's remote name. */
  readonly backup: string;
  /** The integrity report, when the container could be opened. */
  readonly report?: unknown;
  constructor(name: string, detail: string, options: { server?: string; report?: unknown; cause?: unknown } = {}) {
    super('PULL_INVALID', `the pulled backup ${name} does not validate: ${detail}`, {
      server: options.server,
      cause: options.cause,
      hint: 'the copy on the server is damaged beyond repair or is not a dbs backup; pull another backup',
    });
    this.backup = name;
    this.report = options.report;
  }
}

function shortType(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ed25519';
  if (keyType.startsWith('ecdsa')) return 'ecdsa';
  if (keyType.startsWith('ssh-rsa') || keyType.startsWith('rsa')) return 'rsa';
  return '*';
}

function keyscanArgs(hostPattern: string): string {
  const m = /^\[(.*)\]:(\d+)$/.exec(hostPattern);
  return m ? `-p ${m[2]} ${m[1]}` : hostPattern;
}
