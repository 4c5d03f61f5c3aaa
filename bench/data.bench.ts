// Data layer: capture and restore of N rows (default 1,000,000; DBS_BENCH_ROWS to shrink) in three
// tables with foreign keys and mixed types, on PostgreSQL next to pg_dump -Fc / pg_restore and on
// MariaDB next to mysqldump --single-transaction / reload, measured in the same run. Each capture
// and restore runs in its own process so its peak memory is its own; the payload is written to a
// file (as the native tools write theirs).
// Knobs: DBS_BENCH_ROWS, DBS_BENCH_DIALECTS=postgres|mariadb, DBS_BENCH_STEPS=capture,
// DBS_BENCH_REPEAT=N, DBS_BENCH_BASELINE (see below), DBS_BENCH_PROF=<dir> (CPU profiles).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequelize } from 'sequelize';
import { fmt, hasTool, row, section, timeCommand } from './lib.js';

type Dialect = 'postgres' | 'mariadb';
const ROWS = Number(process.env.DBS_BENCH_ROWS || 1_000_000);
// DBS_BENCH_BASELINE=<a built data layer's index.js> (e.g. an older commit's dist/src/data/index.js):
// the same steps again with it, printed as "before" rows next to the others of the same run.
const BASELINE = process.env.DBS_BENCH_BASELINE;
// DBS_BENCH_STEPS=capture: only the captures (and the native dumps), no restores.
const CAPTURE_ONLY = process.env.DBS_BENCH_STEPS === 'capture';
// DBS_BENCH_REPEAT=N: the native dump and the capture N times each, alternated; medians reported
// (this machine is shared: single runs vary by 30% and more).
const REPEAT = Math.max(1, Number(process.env.DBS_BENCH_REPEAT || 1));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * CPU seconds the local MariaDB server has used (user + system, from /proc), or null when it
 * cannot be read. Taken around a capture and a dump it tells the server's share of each, which
 * varies far less with the machine's load than wall time does.
 */
function mariadbCpu(): number | null {
  for (const name of ['mariadbd', 'mysqld']) {
    try {
      const pid = execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n')[0];
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: USER_HZ is 100 on Linux
    } catch {
      // not this name, or no /proc: try the next
    }
  }
  return null;
}

function connect(dialect: Dialect, database: string): Sequelize {
  return dialect === 'postgres'
    ? new Sequelize(database, 'postgres', '', { host: '127.0.0.1', port: 5432, dialect, logging: false })
    : new Sequelize(database, 'root', '', { host: '127.0.0.1', port: 3306, dialect, logging: false });
}

async function createDatabase(dialect: Dialect, name: string): Promise<void> {
  const admin = dialect === 'postgres' ? connect(dialect, 'postgres') : connect(dialect, '');
  await admin.query(dialect === 'postgres' ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await admin.close();
  runChild(['schema', dialect, name]);
}

async function dropDatabase(dialect: Dialect, name: string): Promise<void> {
  const admin = dialect === 'postgres' ? connect(dialect, 'postgres') : connect(dialect, '');
  await admin.query(dialect === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
  await admin.close();
}

async function fill(dialect: Dialect, name: string): Promise<void> {
  const c = Math.round(ROWS * 0.1);
  const o = Math.round(ROWS * 0.3);
  const i = ROWS - c - o;
  const s = connect(dialect, name);
  if (dialect === 'postgres') {
    await s.query(`INSERT INTO "Customers" (name, email, balance, active, meta, joined)
      SELECT 'customer ' || g, 'c' || g || '@example.com', (g % 100000) / 100.0, g % 3 = 0, json_build_object('g', g, 'tags', json_build_array('a', 'b')),
             timestamptz '2020-01-01' + g * interval '1 second 123 microseconds' FROM generate_series(1, ${c}) g`);
    await s.query(`INSERT INTO "Orders" (total, status, placed, note, "customerId")
      SELECT (g % 50000) / 100.0, (ARRAY['new','paid','shipped'])[1 + g % 3]::"enum_Orders_status", timestamptz '2021-01-01' + g * interval '7 seconds 1 microsecond',
             CASE WHEN g % 5 = 0 THEN NULL ELSE 'note	' || g || E'\\n' || md5(g::text) END, 1 + g % ${c} FROM generate_series(1, ${o}) g`);
    await s.query(`INSERT INTO "Items" (sku, qty, price, "orderId")
      SELECT 'SKU-' || (g % 9973), 1 + g % 7, g / 7.0, 1 + g % ${o} FROM generate_series(1, ${i}) g`);
    await s.query('VACUUM ANALYZE');
  } else {
    await s.query(`INSERT INTO Customers (name, email, balance, active, meta, joined)
      SELECT CONCAT('customer ', seq), CONCAT('c', seq, '@example.com'), (seq % 100000) / 100.0, seq % 3 = 0, JSON_OBJECT('g', seq, 'tags', JSON_ARRAY('a', 'b')),
             TIMESTAMPADD(MICROSECOND, seq * 1000123, '2020-01-01') FROM seq_1_to_${c}`);
    await s.query(`INSERT INTO Orders (total, status, placed, note, customerId)
      SELECT (seq % 50000) / 100.0, ELT(1 + seq % 3, 'new', 'paid', 'shipped'), TIMESTAMPADD(MICROSECOND, seq * 7000001, '2021-01-01'),
             IF(seq % 5 = 0, NULL, CONCAT('note\t', seq, '\n', MD5(seq))), 1 + seq % ${c} FROM seq_1_to_${o}`);
    await s.query(`INSERT INTO Items (sku, qty, price, orderId)
      SELECT CONCAT('SKU-', seq % 9973), 1 + seq % 7, seq / 7.0, 1 + seq % ${o} FROM seq_1_to_${i}`);
  }
  await s.close();
}

const childScript = fileURLToPath(new URL('./data-child.mjs', import.meta.url));
const builtData = fileURLToPath(new URL('../dist/src/data/index.js', import.meta.url));

/** One step in its own process (bench/data-child.mjs): {seconds, peakMiB, bytes, rows, source}. `baseline`: another build of the data layer. */
function runChild(args: string[], baseline?: string): { seconds: number; peakMiB: number; bytes: number; rows: number; source: string } {
  const prof = process.env.DBS_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DBS_BENCH_PROF}`] : [];
  const loader = existsSync(builtData) ? [] : ['--import', 'tsx'];
  const env = baseline ? { ...process.env, DBS_DATA_MODULE: baseline } : process.env;
  const r = spawnSync(process.execPath, [...prof, ...loader, childScript, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function benchDialect(dialect: Dialect): Promise<void> {
  section(`data: ${dialect}, ${fmt(ROWS)} rows in 3 tables (customers 10%, orders 30%, items 60%, FKs), each step in its own process`);
  const tag = Math.random().toString(16).slice(2, 8);
  const src = `dbs_bench_${tag}_src`;
  const dst = `dbs_bench_${tag}_dst`;
  const nat = `dbs_bench_${tag}_nat`;
  const dir = await mkdtemp(join(tmpdir(), 'dbs-bench-data-'));
  try {
    await createDatabase(dialect, src);
    await fill(dialect, src);
    await createDatabase(dialect, dst);
    const payload = join(dir, 'payload.bin');
    const dump = join(dir, 'native.dump');
    const nativeDump = (): number => {
      if (dialect === 'postgres') return timeCommand('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', '-Fc', '-f', dump, src]);
      const tool = hasTool('mariadb-dump') ? 'mariadb-dump' : 'mysqldump';
      const start = performance.now();
      const r = spawnSync('sh', ['-c', `${tool} -h 127.0.0.1 -u root --single-transaction ${src} > ${dump}`]);
      if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
      return (performance.now() - start) / 1000;
    };
    const dumps: number[] = [];
    const caps: ReturnType<typeof runChild>[] = [];
    const baselineCaps: ReturnType<typeof runChild>[] = [];
    const baselinePayload = join(dir, 'baseline.bin');
    const dumpServerCpu: number[] = [];
    const capServerCpu: number[] = [];
    const baselineServerCpu: number[] = [];
    const serverCpu = (into: number[], run: () => void) => {
      const before = dialect === 'mariadb' ? mariadbCpu() : null;
      run();
      const after = before === null ? null : mariadbCpu();
      if (before !== null && after !== null) into.push(after - before);
    };
    for (let k = 0; k < REPEAT; k++) {
      serverCpu(dumpServerCpu, () => dumps.push(nativeDump()));
      serverCpu(capServerCpu, () => caps.push(runChild(['capture', dialect, src, payload])));
      if (BASELINE) serverCpu(baselineServerCpu, () => baselineCaps.push(runChild(['capture', dialect, src, baselinePayload], BASELINE)));
    }
    const nativeCapture = median(dumps);
    const cap = { ...caps[0], seconds: median(caps.map((c) => c.seconds)), peakMiB: Math.max(...caps.map((c) => c.peakMiB)) };
    const dumpBytes = (await stat(dump)).size;
    const nativeName = dialect === 'postgres' ? 'pg_dump -Fc' : 'mysqldump --single-transaction';
    const nativeLoad = dialect === 'postgres' ? 'pg_restore' : 'mariadb < dump';
    console.log(`  (steps run on ${cap.source}; peak memory is the whole process: Node, Sequelize, driver and the data layer)`);
    if (REPEAT > 1) console.log(`  (captures and native dumps ${REPEAT} times each, alternated: medians; peak memory the highest)`);
    row('capture (payload to a file)', `${cap.seconds.toFixed(2)} s`, `${nativeName}: ${nativeCapture.toFixed(2)} s`, { ok: cap.seconds <= 0.85 * nativeCapture, text: '<= 0.85x' });
    row('  rows/s, payload size', `${fmt(ROWS / cap.seconds)}`, `${(cap.bytes / 1e6).toFixed(0)} MB payload, dump ${(dumpBytes / 1e6).toFixed(0)} MB`);
    row('  peak memory (capture process)', `${cap.peakMiB.toFixed(0)} MiB`, '', { ok: cap.peakMiB < 128, text: '< 128 MiB' });
    if (dialect === 'mariadb' && capServerCpu.length && dumpServerCpu.length) {
      // The server formats every row for both; its CPU for each (medians) shows whose query costs more.
      row('  server CPU (mariadbd, user + system)', `${median(capServerCpu).toFixed(2)} s`, `during ${nativeName}: ${median(dumpServerCpu).toFixed(2)} s`);
    }
    if (dialect === 'mariadb') {
      // The same database through Sequelize's 'mysql' dialect (mysql2 driver, same SQL).
      const viaMysql2 = runChild(['capture', 'mysql', src, join(dir, 'mysql2.bin')]);
      row('  capture through mysql2 (dialect mysql)', `${viaMysql2.seconds.toFixed(2)} s`, `${viaMysql2.peakMiB.toFixed(0)} MiB peak`);
    }
    if (BASELINE) {
      row('  before (baseline build): capture', `${median(baselineCaps.map((c) => c.seconds)).toFixed(2)} s`, `${Math.max(...baselineCaps.map((c) => c.peakMiB)).toFixed(0)} MiB peak`);
      if (baselineServerCpu.length) row('  before: server CPU', `${median(baselineServerCpu).toFixed(2)} s`, '');
    }
    if (REPEAT > 1) {
      // Each run (seconds/peak MiB): a peak near the limit is seen as one run or all of them.
      const runs = (list: { seconds: number; peakMiB: number }[]) => list.map((c) => `${c.seconds.toFixed(2)}/${c.peakMiB.toFixed(0)}`).join(' ');
      console.log(`  runs, capture: ${runs(caps)}`);
      if (BASELINE) console.log(`  runs, before: ${runs(baselineCaps)}`);
    }
    if (CAPTURE_ONLY) return;
    let nativeRestore: number;
    if (dialect === 'postgres') {
      const admin = connect(dialect, 'postgres');
      await admin.query(`CREATE DATABASE ${nat}`);
      await admin.close();
      nativeRestore = timeCommand('pg_restore', ['-h', '127.0.0.1', '-U', 'postgres', '-d', nat, dump]);
    } else {
      const admin = connect(dialect, '');
      await admin.query(`CREATE DATABASE ${nat} CHARACTER SET utf8mb4`);
      await admin.close();
      const client = hasTool('mariadb') ? 'mariadb' : 'mysql';
      const s2 = performance.now();
      const r2 = spawnSync('sh', ['-c', `${client} -h 127.0.0.1 -u root ${nat} < ${dump}`]);
      if (r2.status !== 0) throw new Error(`${client} reload failed: ${r2.stderr}`);
      nativeRestore = (performance.now() - s2) / 1000;
    }
    const res = runChild(['restore', dialect, dst, payload]);
    if (res.rows !== ROWS) throw new Error(`restored ${res.rows} rows, expected ${ROWS}`);
    row(dialect === 'mariadb' ? 'restore (one transaction, INSERTs)' : 'restore (one transaction)', `${res.seconds.toFixed(2)} s`, `${nativeLoad}: ${nativeRestore.toFixed(2)} s`, { ok: res.seconds <= 1.25 * nativeRestore, text: '<= 1.25x' });
    row('  rows/s', `${fmt(ROWS / res.seconds)}`, '');
    row('  peak memory (restore process)', `${res.peakMiB.toFixed(0)} MiB`, '', { ok: res.peakMiB < 128, text: '< 128 MiB' });
    if (BASELINE) {
      const bdst = `dbs_bench_${tag}_bdst`;
      try {
        await createDatabase(dialect, bdst);
        const bres = runChild(['restore', dialect, bdst, payload], BASELINE);
        if (bres.rows !== ROWS) throw new Error(`baseline restored ${bres.rows} rows, expected ${ROWS}`);
        row('  before (baseline build): restore', `${bres.seconds.toFixed(2)} s`, `${bres.peakMiB.toFixed(0)} MiB peak`);
      } finally {
        await dropDatabase(dialect, bdst).catch(() => {});
      }
    }
    if (dialect === 'mariadb') {
      // The same restore with dialectOptions.permitLocalInfile: LOAD DATA LOCAL INFILE per table.
      const inf = `dbs_bench_${tag}_inf`;
      try {
        await createDatabase(dialect, inf);
        const r2 = runChild(['restore', dialect, inf, payload, 'infile']);
        if (r2.rows !== ROWS) throw new Error(`restored ${r2.rows} rows, expected ${ROWS}`);
        row('restore, permitLocalInfile (LOAD DATA)', `${r2.seconds.toFixed(2)} s`, `${nativeLoad}: ${nativeRestore.toFixed(2)} s`, { ok: r2.seconds <= 1.25 * nativeRestore, text: '<= 1.25x' });
        row('  peak memory (restore process)', `${r2.peakMiB.toFixed(0)} MiB`, '', { ok: r2.peakMiB < 128, text: '< 128 MiB' });
        if (BASELINE) {
          await dropDatabase(dialect, inf);
          await createDatabase(dialect, inf);
          const b2 = runChild(['restore', dialect, inf, payload, 'infile'], BASELINE);
          if (b2.rows !== ROWS) throw new Error(`baseline restored ${b2.rows} rows, expected ${ROWS}`);
          row('  before (baseline build): LOAD DATA', `${b2.seconds.toFixed(2)} s`, `${b2.peakMiB.toFixed(0)} MiB peak`);
        }
      } finally {
        await dropDatabase(dialect, inf).catch(() => {});
      }
    }
  } finally {
    for (const db of [src, dst, nat]) await dropDatabase(dialect, db).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

// DBS_BENCH_DIALECTS=postgres (or mariadb) runs one of the two.
const only = process.env.DBS_BENCH_DIALECTS?.split(',');
for (const dialect of (['postgres', 'mariadb'] as Dialect[]).filter((d) => !only || only.includes(d))) {
  try {
    await benchDialect(dialect);
  } catch (error) {
    console.log(`  ${dialect}: not measured: ${(error as Error).message.split('\n').slice(0, 12).join('\n')}`);
  }
}
