// Where backups go: an SSH server, a directory on it, and how to log in. Profiles live in the dbs
// config under `sshTargets` and never have to hold a secret: passphrases and passwords are read
// from environment variables the profile names. Unknown keys are refused, so a typo can never
// turn a setting (least of all host key checking) off silently.
import { homedir } from 'node:os';
import { TargetConfigError } from './errors.js';

/** A profile as written in the dbs config (`sshTargets: { offsite: { … } }`). */
export interface SSHProfile {
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  /** Absolute directory on the server where backups are kept. Must exist. */
  remoteDir: string;
  /** known_hosts file(s) to verify the host key against. Default ~/.ssh/known_hosts. */
  knownHosts?: string | string[];
  /** Path of a private key file (OpenSSH or PEM). */
  privateKey?: string;
  /** Name of the environment variable holding the private key's passphrase (encrypted keys). */
  passphraseEnv?: string;
  /** Name of the environment variable holding the password (password authentication). */
  passwordEnv?: string;
  /** Use a running ssh-agent: true for $SSH_AUTH_SOCK, or the agent socket's path. */
  agent?: boolean | string;
  /** Give up connecting (TCP + handshake + authentication) after this many ms. Default 20000. */
  connectTimeoutMs?: number;
}

/** Options for `new SSHTarget(…)` from code: secrets may be passed directly here. */
export interface SSHTargetOptions {
  host: string;
  port?: number;
  username: string;
  remoteDir: string;
  knownHosts?: string | string[];
  /** Path of a private key file, or the key itself (Uint8Array, or a string starting "-----BEGIN"). */
  privateKey?: string | Uint8Array;
  passphrase?: string;
  password?: string;
  agent?: boolean | string;
  connectTimeoutMs?: number;
  /** The profile's name, for messages. */
  name?: string;
}

const PROFILE_KEYS = new Set([
  'host', 'port', 'username', 'remoteDir', 'knownHosts', 'privateKey', 'passphraseEnv', 'passwordEnv', 'agent', 'connectTimeoutMs',
]);

export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;

export class SSHTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly remoteDir: string;
  readonly knownHosts: string[];
  readonly connectTimeoutMs: number;
  readonly name?: string;
  readonly auth:
    | { kind: 'key'; privateKey: string | Uint8Array; passphrase?: string }
    | { kind: 'password'; password: string }
    | { kind: 'agent'; socket: string };

  constructor(options: SSHTargetOptions) {
    const where = options.name ? `target '${options.name}'` : 'SSH target';
    const fail = (message: string, hint?: string) => new TargetConfigError(`${where}: ${message}`, { target: options.name, hint });
    if (typeof options.host !== 'string' || !options.host) throw fail('host is required');
    if (typeof options.username !== 'string' || !options.username) throw fail('username is required');
    if (typeof options.remoteDir !== 'string' || !options.remoteDir.startsWith('/'))
      throw fail(`remoteDir must be an absolute path on the server, got ${JSON.stringify(options.remoteDir)}`);
    const port = options.port ?? 22;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw fail(`port must be an integer in 1..65535, got ${JSON.stringify(options.port)}`);
    const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0) throw fail(`connectTimeoutMs must be a positive number, got ${JSON.stringify(options.connectTimeoutMs)}`);
    const knownHosts = options.knownHosts === undefined ? [`${homedir()}/.ssh/known_hosts`] : [options.knownHosts].flat();
    if (knownHosts.length === 0 || knownHosts.some((p) => typeof p !== 'string' || !p))
      throw fail('knownHosts must be a path or a list of paths (host keys are always verified)');

    const methods = [
      options.privateKey !== undefined && 'privateKey',
      options.password !== undefined && 'password',
      options.agent !== undefined && options.agent !== false && 'agent',
    ].filter(Boolean);
    if (methods.length !== 1)
      throw fail(
        methods.length === 0 ? 'no authentication method: set one of privateKey, password, agent' : `set only one authentication method, got ${methods.join(' and ')}`,
      );
    if (options.passphrase !== undefined && options.privateKey === undefined) throw fail('passphrase is only for an encrypted privateKey');

    if (options.privateKey !== undefined) {
      this.auth = { kind: 'key', privateKey: options.privateKey, passphrase: options.passphrase };
    } else if (options.password !== undefined) {
      this.auth = { kind: 'password', password: options.password };
    } else {
      const socket = options.agent === true ? process.env.SSH_AUTH_SOCK : options.agent;
      if (typeof socket !== 'string' || !socket)
        throw fail('agent: true needs $SSH_AUTH_SOCK, which is not set', 'start ssh-agent (eval $(ssh-agent); ssh-add) or give the socket path');
      this.auth = { kind: 'agent', socket };
    }
    this.host = options.host;
    this.port = port;
    this.username = options.username;
    this.remoteDir = options.remoteDir.length > 1 ? options.remoteDir.replace(/\/+$/, '') : options.remoteDir;
    this.knownHosts = knownHosts;
    this.connectTimeoutMs = timeout;
    this.name = options.name;
  }

  /** `user@host:port`, for messages. */
  get server(): string {
    return `${this.username}@${this.host}:${this.port}`;
  }

  /** The remote path of a backup called `name` (a plain file name, no directories). */
  remotePath(name: string): string {
    checkBackupName(name);
    return this.pathInDir(name);
  }

  /** remoteDir/`file` for any file there, part files included (remotePath takes backup names only). */
  pathInDir(file: string): string {
    return this.remoteDir === '/' ? `/${file}` : `${this.remoteDir}/${file}`;
  }

  /**
   * Builds the target from the named profile in the dbs config's `sshTargets`. Secrets come from
   * the environment variables the profile names (`passphraseEnv`, `passwordEnv`).
   */
  static fromSettings(name: string, settings: { sshTargets?: unknown } | undefined, env: NodeJS.ProcessEnv = process.env): SSHTarget {
    const targets = settings?.sshTargets;
    if (targets === undefined || targets === null)
      throw new TargetConfigError(`no sshTargets in the dbs config, so there is no target '${name}'`, {
        target: name,
        hint: `add sshTargets: { ${name}: { host, username, remoteDir, knownHosts, privateKey } } to the dbs config`,
      });
    if (typeof targets !== 'object' || Array.isArray(targets))
      throw new TargetConfigError('sshTargets in the dbs config must be an object of named profiles', { target: name });
    const profile = (targets as Record<string, unknown>)[name];
    if (!Object.prototype.hasOwnProperty.call(targets, name) || profile === undefined) {
      const known = Object.keys(targets);
      throw new TargetConfigError(`no SSH target named '${name}' in sshTargets (known: ${known.join(', ') || 'none'})`, { target: name });
    }
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
      throw new TargetConfigError(`sshTargets.${name} must be an object`, { target: name });
    const p = profile as Record<string, unknown>;
    for (const key of Object.keys(p)) {
      if (!PROFILE_KEYS.has(key)) {
        const guess = closest(key, [...PROFILE_KEYS]);
        const secret = /^(password|passphrase)$/i.test(key);
        throw new TargetConfigError(`sshTargets.${name}: unknown key '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}`, {
          target: name,
          hint: secret
            ? `a profile never holds secrets: put it in an environment variable and name that variable in ${key}Env`
            : `allowed keys: ${[...PROFILE_KEYS].join(', ')}`,
        });
      }
    }
    const str = (key: string): string | undefined => {
      const v = p[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !v) throw new TargetConfigError(`sshTargets.${name}.${key} must be a non-empty string`, { target: name });
      return v;
    };
    const fromEnv = (key: string): string | undefined => {
      const variable = str(key);
      if (variable === undefined) return undefined;
      const value = env[variable];
      if (value === undefined || value === '')
        throw new TargetConfigError(`sshTargets.${name}.${key} names the environment variable ${variable}, which is not set`, {
          target: name,
          hint: `export ${variable}=… before running dbs`,
        });
      return value;
    };
    const knownHosts = p.knownHosts;
    if (knownHosts !== undefined && !(typeof knownHosts === 'string' || (Array.isArray(knownHosts) && knownHosts.every((k) => typeof k === 'string'))))
      throw new TargetConfigError(`sshTargets.${name}.knownHosts must be a path or a list of paths`, { target: name });
    const agent = p.agent;
    if (agent !== undefined && typeof agent !== 'boolean' && typeof agent !== 'string')
      throw new TargetConfigError(`sshTargets.${name}.agent must be true or a socket path`, { target: name });
    const num = (key: string): number | undefined => {
      const v = p[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number') throw new TargetConfigError(`sshTargets.${name}.${key} must be a number`, { target: name });
      return v;
    };
    if (p.passphraseEnv !== undefined && p.privateKey === undefined)
      throw new TargetConfigError(`sshTargets.${name}: passphraseEnv is only for an encrypted privateKey`, { target: name });
    return new SSHTarget({
      name,
      host: str('host')!,
      port: num('port'),
      username: str('username')!,
      remoteDir: str('remoteDir')!,
      knownHosts: knownHosts as string | string[] | undefined,
      privateKey: str('privateKey'),
      passphrase: fromEnv('passphraseEnv'),
      password: fromEnv('passwordEnv'),
      agent: agent === true ? (env.SSH_AUTH_SOCK || agentUnset(name)) : (agent as string | false | undefined),
      connectTimeoutMs: num('connectTimeoutMs'),
    });
  }
}

function agentUnset(name: string): never {
  throw new TargetConfigError(`target '${name}': agent: true needs $SSH_AUTH_SOCK, which is not set`, {
    target: name,
    hint: 'start ssh-agent (eval $(ssh-agent); ssh-add) or give the socket path',
  });
}

/** Backup names are plain file names: no directories, no `..`, no control characters. */
export function checkBackupName(name: string): void {
  if (typeof name !== 'string' || !name || name === '.' || name === '..' || name.includes('/') || /[\0-\x1f]/.test(name) || name.endsWith('.part'))
    throw new TargetConfigError(`invalid backup name ${JSON.stringify(name)}: use a plain file name (no '/', not ending in .part)`, {
      hint: 'e.g. backup-2026-01-31.dbs',
    });
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
