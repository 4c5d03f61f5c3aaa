// `npm run demo`: the main job end to end on a small embedded SQLite app with files (the shared
// test app of test/apps: users, teams, posts, tags, a category tree, documents, files on disk).
// 1. build the app; 2. back it up; 3. damage the file in both copies (whole blocks overwritten,
// a header zeroed, scattered bit flips); 4. validate (heals in memory, says what it repaired);
// 5. heal into a clean file; 6. lose the server (database and files deleted), restore the damaged
// file into a fresh database; 7. compare every row and every file with the original.
// Every figure printed is computed here, from the files and the databases.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeLayout } from '../src/container/format.js';
import { Sequelize } from 'sequelize';
import { createBackup, healBackup, inspectBackup, restoreBackup, validateBackup } from '../src/pipeline/api.js';
import { defineTestApp, seedTestApp, snapshotDatabase, syncTestApp, testAppRegistry } from '../test/apps/app.js';
import { seededBytes, seededRandom } from '../test/helpers/env.js';

const keep = process.argv.includes('--keep');
const dir = mkdtempSync(join(tmpdir(), 'dbs-demo-'));
const passphrase = 'demo passphrase: use a long one';
const kb = (n: number) => `${(n / 1000).toFixed(0)} kB`;
const line = (step: string, text: string) => console.log(`${step.padEnd(9)} ${text.replace(/\n/g, "\n          ")}`);
const logger = { warn: (m: string) => console.log(`          warning (reported, never dropped silently): ${m.replace(/: ENOENT.*/, ': ENOENT')}`) };

async function main(): Promise<number> {
  console.log(`DBS demo: an embedded SQLite app with files, in ${dir}\n`);

  // 1. The app.
  const filesDir = join(dir, 'files');
  const database = join(dir, 'app.sqlite');
  const open = () => new Sequelize({ dialect: 'sqlite', storage: database, logging: false });
  const source = open();
  const app = defineTestApp(source);
  await syncTestApp(app);
  await seedTestApp(app, { rows: 400, filesDir });
  // Photos do not compress: they make the backup span several blocks, as real uploads do.
  mkdirSync(join(filesDir, 'extra', 'photos'), { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(filesDir, 'extra', 'photos', `photo-${i}.jpg`), seededBytes(90_000 + i * 7_000, 500 + i));
  const registry = testAppRegistry(filesDir);
  const before = await snapshotDatabase(source, { filesDirs: [filesDir] });
  const rowCount = Object.values(before.tables).reduce((n, r) => n + r.length, 0);
  const fileBytes = Object.keys(before.files).reduce((n, f) => n + statSync(join(filesDir, f)).size, 0);
  line('app', `${Object.keys(before.tables).length} models, ${rowCount} rows, ${Object.keys(before.files).length} files (${kb(fileBytes)}); one avatar path points to a missing file on purpose`);

  // 2. Back up (atomic write, then re-read from disk and verified end to end).
  const file = join(dir, 'backup.dbs');
  const backup = await createBackup(passphrase, {
    sequelize: source,
    output: file,
    registry,
    kdf: { memoryKiB: 65536, passes: 3, parallelism: 1 },
    logger,
  });
  await source.close();
  line(
    'backup',
    `backup.dbs ${kb(backup.size)}: payload ${kb(backup.rawBytes)} compressed to ${kb(backup.compressedBytes)} ` +
      `(x${(backup.rawBytes / backup.compressedBytes).toFixed(1)}), two copies + parity, verified after write, ${backup.seconds.toFixed(1)} s`,
  );

  // 3. Damage both copies, in different blocks, plus a header and scattered flips.
  const inspection = await inspectBackup(file);
  const info = inspection.info;
  const bytes = new Uint8Array(readFileSync(file));
  const layout = computeLayout({ ...info, metaLength: info.metaLength });
  const burst = (copy: 0 | 1, block: number) => {
    const at = layout.blocks[copy] + block * layout.fullFrame;
    const length = block === layout.blockCount - 1 ? layout.lastFrame : layout.fullFrame;
    const r = seededRandom(copy * 1000 + block + 1);
    for (let i = 0; i < length; i++) bytes[at + i] = r.int(256);
    return length;
  };
  const b0 = burst(0, 0);
  const b1 = burst(1, Math.min(1, layout.blockCount - 1));
  bytes.fill(0, 0, 4096);
  const r = seededRandom(7);
  const flips = Math.round(bytes.length * 1e-4);
  for (let i = 0; i < flips; i++) bytes[r.int(bytes.length)] ^= 1 << r.int(8);
  const damaged = join(dir, 'damaged.dbs');
  writeFileSync(damaged, bytes);
  line(
    'damage',
    `copy 1: block 0 overwritten (${kb(b0)} of noise); copy 2: block ${Math.min(1, layout.blockCount - 1)} overwritten (${kb(b1)}); ` +
      `first 4 kB (header) zeroed; ${flips} random bit flips across the file`,
  );

  // 4. Validate: heals in memory and says what it repaired (the CLI exits 3 for this).
  const report = await validateBackup(damaged, passphrase, { logger: { warn() {} } });
  line('validate', report.summary());
  if (!report.ok) return 1;

  // 5. Heal into a fresh file, verified clean after write.
  const clean = join(dir, 'clean.dbs');
  const healed = await healBackup(damaged, clean, { logger: { warn() {} } });
  const recheck = await validateBackup(clean, passphrase, { logger });
  line('heal', `clean.dbs written; re-validated: ${recheck.ok && !recheck.healed ? 'clean' : recheck.summary()}`);
  if (!healed.after.ok) return 1;

  // 6. Lose the server: database and files deleted. Restore the damaged file (healed on the fly).
  rmSync(database);
  rmSync(filesDir, { recursive: true });
  const target = open();
  await syncTestApp(defineTestApp(target));
  const result = await restoreBackup(damaged, passphrase, { sequelize: target, registry, restoreRoots: [filesDir], logger: { warn() {} } });
  line('restore', `database and files deleted, then restored: ${result.rows} rows, ${result.files.restored} files (${kb(result.files.bytes)}); healed on the fly: ${result.healed ? 'yes' : 'no'}`);

  // 7. Compare every row (the database's own text of each value) and every file.
  const after = await snapshotDatabase(target, { filesDirs: [filesDir] });
  await target.close();
  console.log(`\n          ${'model'.padEnd(12)} ${'rows'.padStart(6)} ${'restored'.padStart(9)}  identical`);
  let allRows = 0;
  let sameRows = 0;
  for (const [model, rows] of Object.entries(before.tables)) {
    const back = after.tables[model] ?? [];
    const backSet = new Set(back);
    const same = rows.filter((row) => backSet.has(row)).length;
    allRows += rows.length;
    sameRows += back.length === rows.length ? same : 0;
    console.log(`          ${model.padEnd(12)} ${String(rows.length).padStart(6)} ${String(back.length).padStart(9)}  ${same === rows.length && back.length === rows.length ? 'yes' : 'NO'}`);
  }
  const files = Object.keys(before.files);
  const sameFiles = files.filter((f) => after.files[f] === before.files[f]).length;
  console.log(`          ${'files'.padEnd(12)} ${String(files.length).padStart(6)} ${String(Object.keys(after.files).length).padStart(9)}  ${sameFiles === files.length ? 'yes' : 'NO'} (hash of each)`);
  const digest = (s: unknown) => createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 16);
  const everything = sameRows === allRows && sameFiles === files.length && digest(before) === digest(after);
  console.log(
    `\n${everything ? 'Everything came back' : 'MISMATCH'}: ${sameRows} of ${allRows} rows and ${sameFiles} of ${files.length} files identical ` +
      `(snapshot digest ${digest(before)} before, ${digest(after)} after).`,
  );
  return everything ? 0 : 1;
}

const code = await main().catch((error) => {
  console.error(`demo failed: ${error?.stack ?? error}`);
  return 1;
});
if (!keep) rmSync(dir, { recursive: true, force: true });
else console.log(`files kept in ${dir}`);
process.exit(code);
