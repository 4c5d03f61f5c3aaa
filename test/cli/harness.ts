// Shared by the CLI end-to-end suites: a work directory with a seeded app and its dbs.config.mjs,
// a second config for a fresh restore target, a runner for the real `dbs` process, and a helper
// that damages both copies of the blocks of a container file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { computeLayout } from '../../src/container/format.js';
import { inspectBackup } from '../../src/pipeline/api.js';

export type Dialect = 'sqlite' | 'postgres' | 'mariadb';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const mainTs = join(root, 'src/cli/main.ts');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Workdir {
  dir: string;
  dialect: Dialect;
  /** Source database name (or SQLite file) and its storage root. */
  source: string;
  storage: string;
  /** The fresh restore target and its storage root, reached through restore.config.mjs. */
  target: string;
  targetStorage: string;
  dbs(args: string[], options?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  spawnDbs(args: string[], options?: { env?: Record<string, string> }): ChildProcess;
  cleanup(): Promise<void>;
}

function configText(dialect: Dialect, database: string, storage: string, extra = ''): string {
  const app = pathToFileURL(join(root, 'test/cli/app.ts')).href;
  const data = pathToFileURL(join(root, 'src/data/index.ts')).href;
  return `import { connect, defineApp } from '${app}';
import { backupRegistry } from '${data}';
export default async () => {
  const sequelize = connect('${dialect}', ${JSON.stringify(database)});
  defineApp(sequelize);
  return {
    sequelize,
    registry: backupRegistry,
    storageRoot: ${JSON.stringify(storage)},
    restoreRoots: [${JSON.stringify(storage)}],
    kdf: { memoryKiB: 8192, passes: 1, parallelism: 1 },${extra}
  };
};
`;
}

/** Creates and drops databases on the server of a dialect (not needed for SQLite). */
export async function adminQuery(dialect: Dialect, sql: string): Promise<void> {
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  } else if (dialect === 'mariadb') {
    const mariadb = await import('mariadb');
    const conn = await mariadb.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  }
}

export async function makeWorkdir(dialect: Dialect, seedScale = 1): Promise<Workdir> {
  const dir = mkdtempSync(join(tmpdir(), `dbs-cli-${dialect}-`));
  const storage = join(dir, 'storage');
  const targetStorage = join(dir, 'restored-storage');
  mkdirSync(storage);
  mkdirSync(targetStorage);
  const tag = `${process.pid}_${Date.now() % 1e6}`;
  let source: string;
  let target: string;
  if (dialect === 'sqlite') {
    source = join(dir, 'app.sqlite');
    target = join(dir, 'restored.sqlite');
  } else {
    source = `dbs_cli_src_${tag}`;
    target = `dbs_cli_dst_${tag}`;
    for (const db of [source, target]) {
      await adminQuery(dialect, `DROP DATABASE IF EXISTS ${db}`);
      await adminQuery(dialect, `CREATE DATABASE ${db}`);
    }
  }
  const { connect, seed } = await import('./app.js');
  const seq = connect(dialect, source);
  await seed(seq, storage, seedScale);
  await seq.close();
  // The restore target gets the schema (the app's own migrations/sync would do that) but no rows.
  const { defineApp } = await import('./app.js');
  const t = connect(dialect, target);
  defineApp(t);
  await t.sync({ force: true });
  await t.close();
  writeFileSync(join(dir, 'dbs.config.mjs'), configText(dialect, source, storage));
  writeFileSync(join(dir, 'restore.config.mjs'), configText(dialect, target, targetStorage));

  const env = (extra?: Record<string, string>) => {
    const e: Record<string, string> = { ...(process.env as Record<string, string>), ...extra };
    delete e.DBS_PASSPHRASE;
    delete e.DBS_NEW_PASSPHRASE;
    return { ...e, ...extra };
  };
  const spawnDbs = (args: string[], options: { env?: Record<string, string> } = {}) =>
    spawn(process.execPath, ['--import', tsx, mainTs, ...args], { cwd: dir, env: env(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const dbs = (args: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}) =>
    new Promise<RunResult>((resolve) => {
      const started = Date.now();
      const child = spawnDbs(args, options);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
      });
      child.stdin!.end(options.input ?? '');
    });
  return {
    dir,
    dialect,
    source,
    storage,
    target,
    targetStorage,
    dbs,
    spawnDbs,
    async cleanup() {
      if (dialect !== 'sqlite') for (const db of [source, target]) await adminQuery(dialect, `DROP DATABASE IF EXISTS ${db}`).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Damages a container file in both copies of the blocks, in different blocks (so it must heal):
 * a burst over most of block `a` in copy 0, of block `b` in copy 1, plus scattered byte flips.
 */
export async function damageBothCopies(path: string, a = 0, b = 1): Promise<void> {
  const bytes = new Uint8Array(readFileSync(path));
  const info = (await inspectBackup(path)).info;
  const layout = computeLayout(info);
  if (layout.fileSize !== bytes.length) throw new Error(`layout says ${layout.fileSize} bytes, file has ${bytes.length}`);
  const blockA = Math.min(a, layout.blockCount - 1);
  const blockB = layout.blockCount > 1 ? Math.min(b, layout.blockCount - 1) : blockA;
  const zero = (from: number, length: number) => bytes.fill(0x5a, from, from + length);
  const frame = (i: number) => (i === layout.blockCount - 1 ? layout.lastFrame : layout.fullFrame);
  zero(layout.blocks[0] + blockA * layout.fullFrame + 64, frame(blockA) - 128);
  if (blockB !== blockA) zero(layout.blocks[1] + blockB * layout.fullFrame + 64, frame(blockB) - 128);
  zero(0, 64); // the first header
  writeFileSync(path, bytes);
}

/** Whether this process may mount a tmpfs (root in a container with CAP_SYS_ADMIN). */
export function canMount(dir: string): boolean {
  const probe = join(dir, 'mount-probe');
  mkdirSync(probe, { recursive: true });
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
}
