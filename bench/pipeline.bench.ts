// End to end on PostgreSQL: `dbs backup` and `dbs restore` of a 1,000,000-row database (3 tables,
// mixed types, foreign keys), wall time and peak memory of the process, next to what a careful
// user would run instead, measured in the same run on the same database:
//   pg_dump -Fc alone; pg_restore alone;
//   the chain: pg_dump -Fc | age, then par2 create -r10 (and back: par2 repair, age -d, pg_restore).
// Also: the compression stage's throughput against capture's (is compression the bottleneck?),
// the compression ratio, and peak memory at a tenth of the rows (flat memory).
// DBS_BENCH_ROWS scales it (default 1,000,000; e.g. 100000 while developing). DBS_BENCH_RUNS
// (default 3): pg_dump -Fc and dbs backup run that many times, interleaved, and the best wall time
// of each is compared (interference from other work only slows a run); memory is the highest peak.
// DBS_BENCH_ONLY=backup (while iterating on backup speed): only pg_dump -Fc against dbs backup,
// without the chain, the restores, the tenth-size database and the compression stage.
// The floor under any backup, measured in the same loop: the server's time to COPY every table
// out (psql ... > /dev/null, one table after another and all at once), a bare `node -e ''`, and a
// least-work program (bench/floor-child.mjs: node, the app, capture, DEFLATE-1, bytes dropped),
// with the CPU time of each run in Node and in the PostgreSQL server.
// DBS_TRACE=1 on a single `dbs backup` prints where its time goes (see src/pipeline/trace.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequelize } from 'sequelize';
import { capture } from '../src/data/index.js';
import { compressStream } from '../src/pipeline/compress.js';
import { fmt, hasTool, MB, row, section } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROWS = Number(process.env.DBS_BENCH_ROWS ?? 1_000_000);
const RUNS = Math.max(1, Number(process.env.DBS_BENCH_RUNS ?? 3));
const BACKUP_ONLY = process.env.DBS_BENCH_ONLY === 'backup';
const PASS = 'bench passphrase';
const work = mkdtempSync(join(tmpdir(), 'dbs-bench-pipeline-'));
const PG = ['-h', '127.0.0.1', '-U', 'postgres'];
const tag = `${process.pid}`;
const cores = availableParallelism();
const TABLES = ['bench_users', 'bench_orders', 'bench_events'];

function psql(database: string, sql: string): void {
  execFileSync('psql', [...PG, '-d', database, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The bench app's models, as a config module (the CLI loads it like a user's dbs.config.mjs). */
function configFor(database: string): string {
  return `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(root, 'package.json'))});
const { Sequelize, DataTypes } = require('sequelize');
export function define(sequelize) {
  const User = sequelize.define('BenchUser', {
    email: DataTypes.STRING, name: DataTypes.TEXT, balance: DataTypes.DECIMAL(12, 2),
    createdAt: DataTypes.DATE, profile: DataTypes.JSONB,
  }, { tableName: 'bench_users', timestamps: false });
  const Order = sequelize.define('BenchOrder', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    total: DataTypes.DECIMAL(12, 2), status: DataTypes.STRING(16), placedAt: DataTypes.DATE, note: DataTypes.TEXT,
  }, { tableName: 'bench_orders', timestamps: false });
  const Event = sequelize.define('BenchEvent', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    kind: DataTypes.STRING(32), payload: DataTypes.JSONB, at: DataTypes.DATE,
  }, { tableName: 'bench_events', timestamps: false });
  Order.belongsTo(User, { foreignKey: 'userId' });
  Event.belongsTo(Order, { foreignKey: 'orderId' });
  return sequelize;
}
export default () => ({
  sequelize: define(new Sequelize(${JSON.stringify(database)}, 'postgres', '', { dialect: 'postgres', host: '127.0.0.1', logging: false })),
});
`;
}

async function createDatabase(name: string, rows: number, fill: boolean): Promise<void> {
  psql('postgres', `DROP DATABASE IF EXISTS ${name}`);
  psql('postgres', `CREATE DATABASE ${name}`);
  const config = join(work, `${name}.config.mjs`);
  writeFileSync(config, configFor(name));
  const mod = await import(config);
  const sequelize: Sequelize = mod.default().sequelize;
  await sequelize.sync();
  await sequelize.close();
  if (!fill) return;
  const users = Math.round(rows * 0.1);
  const orders = Math.round(rows * 0.3);
  const events = rows - users - orders;
  psql(name, `INSERT INTO bench_users (email, name, balance, "createdAt", profile)
    SELECT 'user' || i || '@example.com', md5(i::text) || ' ' || md5((i * 7)::text), round((random() * 100000)::numeric, 2),
           timestamptz '2020-01-01 00:00:00.123456+00' + i * interval '1 second 17 microseconds',
           jsonb_build_object('theme', CASE WHEN i % 2 = 0 THEN 'dark' ELSE 'light' END, 'n', i, 'tags', jsonb_build_array(i % 7, i % 11))
    FROM generate_series(1, ${users}) AS i`);
  psql(name, `INSERT INTO bench_orders (total, status, "placedAt", note, "userId")
    SELECT round((random() * 1000)::numeric, 2), (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + i % 4],
           timestamptz '2021-06-01 12:00:00+00' + i * interval '3 seconds 250 microseconds',
           'order note ' || md5(i::text) || CASE WHEN i % 5 = 0 THEN ' gift wrap, leave at the door' ELSE '' END, 1 + i % ${users}
    FROM generate_series(1, ${orders}) AS i`);
  psql(name, `INSERT INTO bench_events (kind, payload, at, "orderId")
    SELECT (ARRAY['created', 'paid', 'packed', 'shipped', 'delivered'])[1 + i % 5],
           jsonb_build_object('ip', '10.0.' || (i % 250) || '.' || (i % 13), 'agent', 'Mozilla/5.0', 'seq', i),
           timestamptz '2021-06-01 12:00:00+00' + i * interval '1 second 3 microseconds', 1 + i % ${orders}
    FROM generate_series(1, ${events}) AS i`);
  psql(name, 'VACUUM ANALYZE');
}

/** Runs a command under GNU time: wall seconds and peak RSS (MiB) of the process tree's largest member. */
function timed(command: string, options: { input?: string; cwd?: string } = {}): { seconds: number; peakMiB: number; stderr: string; cpu: number; serverCpu: number } {
  const out = join(work, 'time.txt');
  const server0 = postgresCpu();
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', out, 'sh', '-c', command], {
    cwd: options.cwd ?? work,
    input: options.input,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, PGHOST: '127.0.0.1', PGUSER: 'postgres' },
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr?.toString().slice(-2000)}`);
  const serverCpu = postgresCpu() - server0;
  const [seconds, kib, user, system] = readFileSync(out, 'utf8').trim().split(/\s+/).map(Number);
  return { seconds, peakMiB: kib / 1024, stderr: result.stderr.toString(), cpu: user + system, serverCpu };
}

/**
 * CPU seconds used so far by the PostgreSQL server on this machine: every live postgres process,
 * plus what the postmaster has collected from its exited children (the backends of finished
 * connections). NaN where /proc cannot tell (not Linux, or the server runs elsewhere).
 */
function postgresCpu(): number {
  try {
    const ticks = 100; // USER_HZ on Linux
    let total = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[11..14] = utime stime cutime cstime (stat fields 14-17)
      total += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    }
    return total > 0 ? total / ticks : NaN;
  } catch {
    return NaN;
  }
}

const dbs = `${process.execPath} ${join(root, 'bin/dbs.js')}`;
const size = (p: string) => statSync(p).size;
const s = (x: number) => `${fmt(x, 2)} s`;
const mib = (x: number) => `${fmt(x, 0)} MiB`;

async function compressionVsCapture(database: string): Promise<void> {
  const mod = await import(join(work, `${database}.config.mjs`));
  const sequelize: Sequelize = mod.default().sequelize;
  const rawPath = join(work, 'payload.raw');
  const started = performance.now();
  const { createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const { Readable } = await import('node:stream');
  await pipeline(Readable.from(capture({ sequelize })), createWriteStream(rawPath));
  const captureSeconds = (performance.now() - started) / 1000;
  await sequelize.close();
  const raw = size(rawPath);
  const compress = async (parallel: number) => {
    const t = performance.now();
    let out = 0;
    for await (const part of compressStream(createReadStream(rawPath, { highWaterMark: 1 << 20 }), { parallel })) out += part.length;
    return { seconds: (performance.now() - t) / 1000, out };
  };
  const one = await compress(1);
  const many = await compress(Math.max(2, (await import('node:os')).availableParallelism()));
  section(`compression stage (deflate level 1, 1 MiB frames) on the captured payload, ${fmt(raw / MB, 1)} MB`);
  row('capture alone (rows out of PostgreSQL)', `${fmt(raw / MB / captureSeconds, 0)} MB/s`, `${s(captureSeconds)}`);
  row('compression, one frame at a time', `${fmt(raw / MB / one.seconds, 0)} MB/s`, `anchor: gzip -1 ~200 MB/s per core`);
  row('compression, frames in parallel (thread pool)', `${fmt(raw / MB / many.seconds, 0)} MB/s`, `ratio ${fmt(raw / many.out, 2)}`, {
    ok: raw / many.seconds > raw / captureSeconds,
    text: 'faster than capture (not the bottleneck)',
  });
  rmSync(rawPath);
}

async function main(): Promise<void> {
  for (const tool of ['pg_dump', 'pg_restore', 'age', 'age-keygen', 'par2']) if (!hasTool(tool)) throw new Error(`${tool} is needed for this bench`);
  if (!existsSync(join(root, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
  const src = `dbs_bench_src_${tag}`;
  const dst = `dbs_bench_dst_${tag}`;
  section(`setup: ${fmt(ROWS)} rows in 3 tables (users, orders, events) on PostgreSQL`);
  let t = performance.now();
  await createDatabase(src, ROWS, true);
  row('generated', s((performance.now() - t) / 1000));

  // Anchors, same run, same database.
  const dump = join(work, 'db.dump');
  const out = join(work, 'db.dbs');
  // pg_dump -Fc and dbs backup interleaved, RUNS times each: best wall time, highest peak memory.
  const dumps: ReturnType<typeof timed>[] = [];
  const backups: ReturnType<typeof timed>[] = [];
  const copies: ReturnType<typeof timed>[] = [];
  const parallelCopies: ReturnType<typeof timed>[] = [];
  const bareNode: ReturnType<typeof timed>[] = [];
  const leastBackups: ReturnType<typeof timed>[] = [];
  const copyOut = (table: string) => `psql -d ${src} -c 'COPY ${table} TO STDOUT' > /dev/null`;
  for (let i = 0; i < RUNS; i++) {
    dumps.push(timed(`pg_dump -Fc -d ${src} -f ${dump}`));
    rmSync(out, { force: true });
    backups.push(timed(`${dbs} backup ${out} --config ${src}.config.mjs --passphrase-stdin --quiet`, { input: PASS }));
    copies.push(timed(TABLES.map(copyOut).join(' && ')));
    parallelCopies.push(timed(`${TABLES.map((t) => `${copyOut(t)} &`).join(' ')} wait`));
    bareNode.push(timed(`${process.execPath} -e ''`));
    leastBackups.push(timed(`${process.execPath} ${join(root, 'bench/floor-child.mjs')} ${src}.config.mjs`));
  }
  const best = (runs: ReturnType<typeof timed>[]) => ({
    seconds: Math.min(...runs.map((r) => r.seconds)),
    /** Least CPU seconds of a run: this process tree, and the PostgreSQL server meanwhile. */
    cpu: Math.min(...runs.map((r) => r.cpu)),
    serverCpu: Math.min(...runs.map((r) => r.serverCpu)),
    peakMiB: Math.max(...runs.map((r) => r.peakMiB)),
    all: runs.map((r) => fmt(r.seconds, 2)).join(' '),
  });
  const pgDump = best(dumps);
  const backup = best(backups);
  const floorRows = () => {
    const one = best(copies);
    const all = best(parallelCopies);
    // psql > /dev/null: the server's work (and one psql start per table), nothing else.
    row('floor: COPY TO STDOUT, table by table', s(one.seconds), `best of ${RUNS}; runs ${one.all}`);
    row(`floor: COPY TO STDOUT, ${TABLES.length} tables at once`, s(all.seconds), `best of ${RUNS}; runs ${all.all}`);
    row("floor: node -e ''", s(best(bareNode).seconds), `best of ${RUNS}; runs ${best(bareNode).all}`);
    // bench/floor-child.mjs: node + the app's config + capture + DEFLATE-1 on the thread pool, bytes
    // thrown away; no Argon2id, encryption, hashes, parity, file or verification.
    const least = best(leastBackups);
    row('floor: node, load app, capture, deflate-1 only', s(least.seconds), `best of ${RUNS}; runs ${least.all}`);
    row('  ... its CPU: node + PostgreSQL server', s(least.cpu + least.serverCpu),
      `${s(least.cpu)} + ${s(least.serverCpu)} (least of ${RUNS}); on ${cores} cores at least ${s((least.cpu + least.serverCpu) / cores)}`);
  };
  if (BACKUP_ONLY) {
    section('backup (wall time; peak memory of the process) -- DBS_BENCH_ONLY=backup');
    floorRows();
    row(`pg_dump -Fc (best of ${RUNS})`, s(pgDump.seconds), `${mib(pgDump.peakMiB)}, ${fmt(size(dump) / MB, 1)} MB; runs ${pgDump.all}`);
    row(`dbs backup (verified; best of ${RUNS})`, s(backup.seconds), `${mib(backup.peakMiB)}, ${fmt(size(out) / MB, 1)} MB; runs ${backup.all}`, {
      ok: backup.seconds <= pgDump.seconds,
      text: `<= pg_dump -Fc (${s(pgDump.seconds)}); ratio ${fmt(backup.seconds / pgDump.seconds, 2)}`,
    });
    psql('postgres', `DROP DATABASE IF EXISTS ${src}`);
    return;
  }
  psql('postgres', `DROP DATABASE IF EXISTS ${dst}`);
  psql('postgres', `CREATE DATABASE ${dst}`);
  const pgRestore = timed(`pg_restore -d ${dst} ${dump}`);
  execFileSync('age-keygen', ['-o', join(work, 'key.txt')], { stdio: 'ignore' });
  const pub = /public key: (\S+)/.exec(readFileSync(join(work, 'key.txt'), 'utf8'))![1];
  const chainDump = timed(`pg_dump -Fc -d ${src} | age -r ${pub} -o db.dump.age`);
  const chainPar2 = timed(`par2 create -q -r10 db.dump.age`);
  psql('postgres', `DROP DATABASE IF EXISTS ${dst}`);
  psql('postgres', `CREATE DATABASE ${dst}`);
  const backPar2 = timed(`par2 repair -q db.dump.age.par2`);
  const backAge = timed(`age -d -i key.txt db.dump.age | pg_restore -d ${dst}`);
  const chainBackup = chainDump.seconds + chainPar2.seconds;
  const chainRestore = backPar2.seconds + backAge.seconds;

  // DBS through its CLI, as a user runs it (the backup ran above, beside pg_dump).
  await createDatabase(dst, 0, false);
  const restore = timed(`${dbs} restore ${out} --config ${dst}.config.mjs --passphrase-stdin --quiet`, { input: PASS });
  const validate = timed(`${dbs} validate ${out} --passphrase-stdin --quiet`, { input: PASS });

  section('backup (wall time; peak memory of the process)');
  floorRows();
  row(`pg_dump -Fc (best of ${RUNS})`, s(pgDump.seconds), `${mib(pgDump.peakMiB)}, ${fmt(size(dump) / MB, 1)} MB; runs ${pgDump.all}`);
  row('pg_dump -Fc | age -r, then par2 create -r10', s(chainBackup), `${s(chainDump.seconds)} + ${s(chainPar2.seconds)}`);
  row(`dbs backup (verified; best of ${RUNS})`, s(backup.seconds), `${mib(backup.peakMiB)}, ${fmt(size(out) / MB, 1)} MB; runs ${backup.all}`, {
    ok: backup.seconds <= pgDump.seconds,
    text: `<= pg_dump -Fc (${s(pgDump.seconds)}); ratio ${fmt(backup.seconds / pgDump.seconds, 2)}`,
  });
  row('  ... against the chain', `${fmt(chainBackup / backup.seconds, 2)}x faster`, '', {
    ok: backup.seconds <= chainBackup / 3,
    text: `<= chain / 3 (${s(chainBackup / 3)})`,
  });
  // Whether chain / 3 is reachable at all here: the least-work floor above does a fraction of a
  // backup's work; if it alone takes longer than chain / 3, no backup of this app can meet it.
  // Its CPU time over the cores is a bound no parallelism gets under.
  const least = best(leastBackups);
  const bound = Math.max(least.seconds, (least.cpu + least.serverCpu) / cores);
  row('  ... the least-work floor against chain / 3', `${fmt(bound / (chainBackup / 3), 2)}x`,
    `floor ${s(least.seconds)} wall, ${s((least.cpu + least.serverCpu) / cores)} CPU over ${cores} cores, vs chain / 3 ${s(chainBackup / 3)}: ` +
    (bound > chainBackup / 3 ? 'the floor alone takes longer, out of reach here' : 'the floor is faster'));
  row('  ... dbs backup CPU: node + PostgreSQL server', s(backup.cpu + backup.serverCpu), `${s(backup.cpu)} + ${s(backup.serverCpu)} (least of ${RUNS})`);
  row('  ... peak memory', mib(backup.peakMiB), '', { ok: backup.peakMiB < 256, text: '< 256 MiB' });

  section('restore (wall time; peak memory of the process)');
  row('pg_restore', s(pgRestore.seconds), mib(pgRestore.peakMiB));
  row('par2 repair, then age -d | pg_restore', s(chainRestore), `${s(backPar2.seconds)} + ${s(backAge.seconds)}`);
  row('dbs restore (validates, decrypts, one transaction)', s(restore.seconds), mib(restore.peakMiB), {
    ok: restore.seconds <= 1.5 * pgRestore.seconds,
    text: `<= 1.5x pg_restore (${s(1.5 * pgRestore.seconds)})`,
  });
  row('  ... peak memory', mib(restore.peakMiB), '', { ok: restore.peakMiB < 256, text: '< 256 MiB' });
  row('dbs validate --passphrase-stdin (every hash and tag)', s(validate.seconds), mib(validate.peakMiB));

  // Flat memory: the same backup at a tenth of the rows.
  if (ROWS >= 100_000) {
    const small = `dbs_bench_small_${tag}`;
    await createDatabase(small, Math.round(ROWS / 10), true);
    const smallBackup = timed(`${dbs} backup small.dbs --config ${small}.config.mjs --passphrase-stdin --quiet`, { input: PASS });
    section('memory does not grow with the database');
    row(`dbs backup, ${fmt(ROWS / 10)} rows`, mib(smallBackup.peakMiB), s(smallBackup.seconds));
    row(`dbs backup, ${fmt(ROWS)} rows`, mib(backup.peakMiB), s(backup.seconds), {
      ok: backup.peakMiB < 256 && backup.peakMiB <= smallBackup.peakMiB * 1.25 + 16,
      text: 'flat (within 25 % + 16 MiB) and < 256 MiB',
    });
    psql('postgres', `DROP DATABASE IF EXISTS ${small}`);
  }

  await compressionVsCapture(src);
  psql('postgres', `DROP DATABASE IF EXISTS ${src}`);
  psql('postgres', `DROP DATABASE IF EXISTS ${dst}`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
