// The end-to-end cases every server dialect runs (SQLite runs these and more in e2e-sqlite).
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, defineApp, snapshot } from './app.js';
import { damageBothCopies, type RunResult, type Workdir } from './harness.js';

const PASS = 'a server passphrase';

export function expectCode(r: RunResult, code: number, what: string) {
  assert.is(r.code, code, `${what}: exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

async function compare(w: Workdir) {
  const s = connect(w.dialect, w.source);
  defineApp(s);
  const before = await snapshot(s, w.storage);
  await s.close();
  const t = connect(w.dialect, w.target);
  defineApp(t);
  const after = await snapshot(t, w.targetStorage);
  await t.close();
  assert.equal(after.rows, before.rows);
  assert.equal(after.files, before.files);
  assert.ok(Object.values(before.rows).reduce((n, r) => n + r.length, 0) > 100);
  return after;
}

export function dialectSuite(test: Test, make: () => Promise<Workdir>) {
  let w: Workdir;
  test.before(async () => {
    w = await make();
  });
  test.after(async () => {
    await w?.cleanup();
  });

  test('backup ($DBS_PASSPHRASE, --json), validate with and without decryption', async () => {
    const b = await w.dbs(['backup', 'a.dbs', '--json'], { env: { DBS_PASSPHRASE: PASS } });
    expectCode(b, 0, 'backup');
    const report = JSON.parse(b.stdout);
    assert.is(report.verified, 'decryption');
    expectCode(await w.dbs(['validate', 'a.dbs']), 0, 'validate');
    const v = await w.dbs(['validate', 'a.dbs', '--passphrase-stdin'], { input: PASS });
    expectCode(v, 0, 'validate with passphrase');
    assert.match(v.stdout, /every tag verified/);
  });

  test('wrong passphrase: exit 5, target untouched', async () => {
    const r = await w.dbs(['restore', 'a.dbs', '--config', 'restore.config.mjs', '--passphrase-stdin'], { input: 'nope' });
    expectCode(r, 5, 'restore wrong passphrase');
    assert.match(r.stderr, /dbs: error: wrong passphrase/);
    const t = connect(w.dialect, w.target);
    defineApp(t);
    const snap = await snapshot(t, w.targetStorage);
    await t.close();
    assert.ok(Object.values(snap.rows).every((rows) => rows.length === 0));
  });

  test('damage both copies, heal (exit 3), restore the healed file: every row and file back', async () => {
    execFileSync('cp', [join(w.dir, 'a.dbs'), join(w.dir, 'damaged.dbs')]);
    await damageBothCopies(join(w.dir, 'damaged.dbs'), 1, 0);
    expectCode(await w.dbs(['validate', 'damaged.dbs']), 3, 'validate damaged');
    expectCode(await w.dbs(['heal', 'damaged.dbs', '-o', 'clean.dbs']), 3, 'heal');
    expectCode(await w.dbs(['validate', 'clean.dbs', '--passphrase', PASS]), 0, 'validate clean');
    const r = await w.dbs(['restore', 'clean.dbs', '--config', 'restore.config.mjs', '--passphrase-stdin', '--json'], { input: PASS });
    expectCode(r, 0, 'restore');
    const result = JSON.parse(r.stdout);
    assert.ok(result.rows > 100);
    await compare(w);
  });

  test('database unreachable: exit 1, says so, no file written', async () => {
    const config = readFileSync(join(w.dir, 'dbs.config.mjs'), 'utf8').replace(/connect\('(\w+)'/, "connect('$1', 'no_such_database_dbs'");
    writeFileSync(join(w.dir, 'unreachable.config.mjs'), config);
    const r = await w.dbs(['backup', 'never.dbs', '--config', 'unreachable.config.mjs', '--passphrase-stdin'], { input: PASS });
    expectCode(r, 1, 'unreachable database');
    assert.match(r.stderr, /dbs: error: cannot connect to the database/);
    assert.match(r.stderr, /dbs: hint: check that the database is running/);
    assert.not.ok(existsSync(join(w.dir, 'never.dbs')));
  });

  test('restore of the damaged file heals on the fly (exit 3); --flush replaces the rows', async () => {
    const r = await w.dbs(['restore', 'damaged.dbs', '--config', 'restore.config.mjs', '--passphrase-stdin', '--flush'], { input: PASS });
    expectCode(r, 3, 'restore damaged with flush');
    await compare(w);
  });
}
