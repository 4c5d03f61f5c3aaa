// Finds and loads the application's config: `--config path`, else dbs.config.{js,mjs,cjs} in the
// working directory. The module exports (default or module.exports) `{ sequelize, ...settings }`
// or a possibly async function returning it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Sequelize } from 'sequelize';
import { checkAppInfo, type AppInfo } from '../data/manifest.js';
import { ConfigError } from '../errors.js';
import type { SSHProfile } from '../transports/target.js';

export const CONFIG_NAMES = ['dbs.config.js', 'dbs.config.mjs', 'dbs.config.cjs'];

/** An SFTP target profile (used by push/pull/backup --push): exactly what SSHTarget.fromSettings accepts. */
export type SshTarget = SSHProfile;

export interface DbsSettings {
  /** Model names never backed up (e.g. sessions, caches). */
  excludeModels?: string[];
  /** Extra directory trees embedded in every backup. */
  fileRoots?: string[];
  /** The directory FILE columns are relative to. */
  storageRoot?: string;
  /** Directories restored files may be written under (default: storageRoot and fileRoots). */
  restoreRoots?: string[];
  /** Argon2id cost of new passphrase slots: { memoryKiB?, passes?, parallelism? } (names as in src/crypto). */
  kdf?: Record<string, number>;
  /** Container block size in bytes (default 64 KiB). */
  blockSize?: number;
  /** Reed-Solomon parity symbols per codeword (default 16). */
  parity?: number;
  /** zlib level of the compression stage (default 1). */
  compressionLevel?: number;
  /** The application's name and version recorded in each backup (default: from package.json). */
  app?: AppInfo;
  /** Named SFTP targets for `dbs push` / `dbs pull` / `dbs backup --push`. */
  sshTargets?: Record<string, SshTarget>;
  /** The per-model registry (backupRegistry by default). */
  registry?: unknown;
}

export interface DbsConfig extends DbsSettings {
  sequelize: Sequelize;
  /** Where the config was loaded from. */
  path: string;
}

const KNOWN = new Set([
  'sequelize',
  'excludeModels',
  'fileRoots',
  'storageRoot',
  'restoreRoots',
  'kdf',
  'blockSize',
  'parity',
  'compressionLevel',
  'sshTargets',
  'registry',
  'app',
]);

/** The config file to use, or a ConfigError naming where it looked. */
export function findConfig(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`, { hint: 'check the --config path' });
    if (statSync(path).isDirectory()) throw new ConfigError(`config path ${path} is a directory`, { hint: 'give the path of a dbs.config.js file' });
    return path;
  }
  for (const name of CONFIG_NAMES) {
    const path = join(cwd, name);
    if (existsSync(path)) return path;
  }
  throw new ConfigError(`no config found: looked for ${CONFIG_NAMES.join(', ')} in ${cwd}`, {
    hint: "create dbs.config.js exporting { sequelize } (your Sequelize instance), or pass --config path",
  });
}

function checkList(value: unknown, name: string, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ConfigError(`${name} in ${path} must be an array of strings`);
  }
  return value;
}

function checkNumber(value: unknown, name: string, path: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} in ${path} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Loads and checks the config; unknown keys are reported through `warn`, never silently ignored. */
export async function loadConfig(explicit: string | undefined, options: { cwd?: string; warn?: (m: string) => void } = {}): Promise<DbsConfig> {
  const path = findConfig(explicit, options.cwd);
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigError(`cannot load ${path}: ${(error as Error).message}`, {
      hint: 'fix the error in the config file (run it with node to see the details)',
      cause: error,
    });
  }
  let exported: unknown = mod.default ?? mod;
  try {
    if (typeof exported === 'function') exported = await (exported as () => unknown)();
  } catch (error) {
    throw new ConfigError(`the function exported by ${path} failed: ${(error as Error).message}`, { cause: error });
  }
  if (!exported || typeof exported !== 'object') {
    throw new ConfigError(`${path} exports ${exported === null ? 'null' : typeof exported}, not an object`, {
      hint: 'export { sequelize, ...settings } or a function returning it',
    });
  }
  const raw = exported as Record<string, unknown>;
  const sequelize = raw.sequelize as Sequelize | undefined;
  if (!sequelize || typeof (sequelize as { query?: unknown }).query !== 'function' || !(sequelize as { models?: unknown }).models) {
    throw new ConfigError(`${path} does not export a Sequelize instance as "sequelize"`, {
      hint: 'export { sequelize } where sequelize is your app\'s Sequelize instance with its models defined',
    });
  }
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) options.warn?.(`unknown setting "${key}" in ${path} is ignored (known: ${[...KNOWN].join(', ')})`);
  }
  const kdf = raw.kdf;
  if (kdf !== undefined && (typeof kdf !== 'object' || kdf === null)) throw new ConfigError(`kdf in ${path} must be an object`);
  const sshTargets = raw.sshTargets;
  if (sshTargets !== undefined && (typeof sshTargets !== 'object' || sshTargets === null)) throw new ConfigError(`sshTargets in ${path} must be an object`);
  const storageRoot = raw.storageRoot;
  if (storageRoot !== undefined && typeof storageRoot !== 'string') throw new ConfigError(`storageRoot in ${path} must be a string`);
  return {
    path,
    sequelize,
    excludeModels: checkList(raw.excludeModels, 'excludeModels', path),
    fileRoots: checkList(raw.fileRoots, 'fileRoots', path),
    storageRoot: storageRoot as string | undefined,
    restoreRoots: checkList(raw.restoreRoots, 'restoreRoots', path),
    kdf: kdf as Record<string, number> | undefined,
    blockSize: checkNumber(raw.blockSize, 'blockSize', path, 4096, 16 << 20),
    parity: checkNumber(raw.parity, 'parity', path, 2, 64),
    compressionLevel: checkNumber(raw.compressionLevel, 'compressionLevel', path, 0, 9),
    sshTargets: sshTargets as Record<string, SshTarget> | undefined,
    registry: raw.registry,
    app: raw.app === undefined ? undefined : checkAppInfo(raw.app, `app in ${path}`),
  };
}

/** `name` and `version` of the package.json in `dir`, or undefined (none, or no name in it). */
function packageApp(dir: string, warn?: (m: string) => void): AppInfo | undefined {
  const path = join(dir, 'package.json');
  if (!existsSync(path)) return undefined;
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    warn?.(`cannot read the application name from ${path}: ${(error as Error).message}`);
    return undefined;
  }
  const { name, version } = (pkg ?? {}) as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || !name) return undefined;
  try {
    return checkAppInfo(typeof version === 'string' && version ? { name, version } : { name }, `package.json ${path}`);
  } catch (error) {
    warn?.((error as Error).message);
    return undefined;
  }
}

/**
 * The application recorded in a backup: the config's `app` setting, else name and version of the
 * package.json next to the config file, else of the one in `cwd`; undefined when none names it.
 */
export function resolveApp(config: Pick<DbsConfig, 'app' | 'path'>, cwd: string, warn?: (m: string) => void): AppInfo | undefined {
  if (config.app) return config.app;
  const dirs = [...new Set([dirname(config.path), resolve(cwd)])];
  for (const dir of dirs) {
    const app = packageApp(dir, warn);
    if (app) return app;
  }
  return undefined;
}
