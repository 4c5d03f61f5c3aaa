// Data layer: capture and restore of N rows (default 1,000,000; DBS_BENCH_ROWS to shrink) in three
// tables with foreign keys and mixed types, on PostgreSQL next to pg_dump -Fc / pg_restore and on
// MariaDB next to mysqldump --single-transaction / reload, measured in the same run. Each capture
// and restore runs in its own process so its peak memory is its own; the payload is written to a
// file (as the native tools write theirs).
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataTypes, Sequelize } from 'sequelize';
import { capture } from '../src/data/capture.js';
import { restore } from '../src/data/restore.js';
import { BackupRegistry } from '../src/data/registry.js';
import { fileSource } from '../src/io/file.node.js';
import { fmt, hasTool, row, section, timeCommand } from './lib.js';

type Dialect = 'postgres' | 'mariadb';
const ROWS = Number(process.env.DBS_BENCH_ROWS || 1_000_000);
const self = fileURLToPath(import.meta.url);

function connect(dialect: Dialect, database: string): Sequelize {
  return dialect === 'postgres'
    ? new Sequelize(database, 'postgres', '', { host: '127.0.0.1', port: 5432, dialect, logging: false })
    : new Sequelize(database, 'root', '', { host: '127.0.0.1', port: 3306, dialect, logging: false });
}

function defineModels(sequelize: Sequelize): void {
  const Customer = sequelize.define('Customer', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    name: DataTypes.STRING,
    email: DataTypes.STRING,
    balance: DataTypes.DECIMAL(12, 2),
    active: DataTypes.BOOLEAN,
    meta: DataTypes.JSON,
    joined: DataTypes.DATE(6),
  }, { timestamps: false });
  const Order = sequelize.define('Order', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    total: DataTypes.DECIMAL(12, 2),
    status: DataTypes.ENUM('new', 'paid', 'shipped'),
    placed: DataTypes.DATE(6),
    note: DataTypes.TEXT,
  }, { timestamps: false });
  const Item = sequelize.define('Item', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    sku: DataTypes.STRING(32),
    qty: DataTypes.INTEGER,
    price: DataTypes.DOUBLE,
  }, { timestamps: false });
  Order.belongsTo(Customer, { foreignKey: 'customerId' });
  Item.belongsTo(Order, { foreignKey: 'orderId' });
}

async function createDatabase(dialect: Dialect, name: string): Promise<void> {
  const admin = dialect === 'postgres' ? connect(dialect, 'postgres') : connect(dialect, '');
  await admin.query(dialect === 'postgres' ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await admin.close();
  const s = connect(dialect, name);
  defineModels(s);
  await s.sync();
  await s.close();
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

/** Child mode: one capture or restore, prints {seconds, peakMiB, bytes} as JSON. */
async function child(args: string[]): Promise<void> {
  const [what, dialect, name, file] = args as ['capture' | 'restore', Dialect, string, string];
  const s = connect(dialect, name);
  defineModels(s);
  const start = performance.now();
  let bytes = 0;
  if (what === 'capture') {
    const out = createWriteStream(file);
    for await (const chunk of capture({ sequelize: s, registry: new BackupRegistry() })) {
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
  } else {
    const source = await fileSource(file);
    const stream = async function* () {
      for (let at = 0; at < source.size; at += 1 << 20) yield await source.read(at, 1 << 20);
    };
    const result = await restore(stream(), { sequelize: s, registry: new BackupRegistry() });
    bytes = source.size;
    await source.close?.();
    if (result.rows !== ROWS) throw new Error(`restored ${result.rows} rows, expected ${ROWS}`);
  }
  const seconds = (performance.now() - start) / 1000;
  await s.close();
  console.log(JSON.stringify({ seconds, peakMiB: process.resourceUsage().maxRSS / 1024, bytes }));
}

function runChild(args: string[]): { seconds: number; peakMiB: number; bytes: number } {
  const prof = process.env.DBS_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DBS_BENCH_PROF}`] : [];
  const r = spawnSync(process.execPath, [...prof, '--import', 'tsx', self, 'child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, DBS_BENCH_ROWS: String(ROWS) } });
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
    let nativeCapture: number;
    let nativeRestore: number;
    if (dialect === 'postgres') {
      nativeCapture = timeCommand('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', '-Fc', '-f', dump, src]);
      const admin = connect(dialect, 'postgres');
      await admin.query(`CREATE DATABASE ${nat}`);
      await admin.close();
      nativeRestore = timeCommand('pg_restore', ['-h', '127.0.0.1', '-U', 'postgres', '-d', nat, dump]);
    } else {
      const tool = hasTool('mariadb-dump') ? 'mariadb-dump' : 'mysqldump';
      const start = performance.now();
      const r = spawnSync('sh', ['-c', `${tool} -h 127.0.0.1 -u root --single-transaction ${src} > ${dump}`]);
      if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
      nativeCapture = (performance.now() - start) / 1000;
      const admin = connect(dialect, '');
      await admin.query(`CREATE DATABASE ${nat} CHARACTER SET utf8mb4`);
      await admin.close();
      const client = hasTool('mariadb') ? 'mariadb' : 'mysql';
      const s2 = performance.now();
      const r2 = spawnSync('sh', ['-c', `${client} -h 127.0.0.1 -u root ${nat} < ${dump}`]);
      if (r2.status !== 0) throw new Error(`${client} reload failed: ${r2.stderr}`);
      nativeRestore = (performance.now() - s2) / 1000;
    }
    const dumpBytes = (await stat(dump)).size;
    const cap = runChild(['capture', dialect, src, payload]);
    const res = runChild(['restore', dialect, dst, payload]);
    const nativeName = dialect === 'postgres' ? 'pg_dump -Fc' : 'mysqldump --single-transaction';
    const nativeLoad = dialect === 'postgres' ? 'pg_restore' : 'mariadb < dump';
    row('capture (payload to a file)', `${cap.seconds.toFixed(2)} s`, `${nativeName}: ${nativeCapture.toFixed(2)} s`, { ok: cap.seconds <= 0.85 * nativeCapture, text: '<= 0.85x' });
    row('  rows/s, payload size', `${fmt(ROWS / cap.seconds)}`, `${(cap.bytes / 1e6).toFixed(0)} MB payload, dump ${(dumpBytes / 1e6).toFixed(0)} MB`);
    row('  peak memory (capture process)', `${cap.peakMiB.toFixed(0)} MiB`, '', { ok: cap.peakMiB < 128, text: '< 128 MiB' });
    row('restore (one transaction)', `${res.seconds.toFixed(2)} s`, `${nativeLoad}: ${nativeRestore.toFixed(2)} s`, { ok: res.seconds <= 1.25 * nativeRestore, text: '<= 1.25x' });
    row('  rows/s', `${fmt(ROWS / res.seconds)}`, '');
    row('  peak memory (restore process)', `${res.peakMiB.toFixed(0)} MiB`, '', { ok: res.peakMiB < 128, text: '< 128 MiB' });
  } finally {
    for (const db of [src, dst, nat]) await dropDatabase(dialect, db).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  await child(process.argv.slice(3));
} else {
  for (const dialect of ['postgres', 'mariadb'] as Dialect[]) {
    try {
      await benchDialect(dialect);
    } catch (error) {
      console.log(`  ${dialect}: not measured: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}
