// `dbs` end to end on SQLite, in a temporary directory, as a user runs it: every passphrase
// source, validate, damage, heal, restore (compared row by row and file by file), rekey, and the
// failures: wrong passphrase, no passphrase without a terminal, missing config, missing directory,
// disk full, unwritable output, signals and kill -9 (never a file under the target name).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, defineApp, snapshot } from './app.js';
import { canMount, damageBothCopies, makeWorkdir, type Workdir } from './harness.js';
import { seededBytes } from '../helpers/env.js';

const PASS = 'correct horse battery staple';
let w: Workdir;

test.before(async () => {
  w = await makeWorkdir('sqlite');
});
test.after(async () => {
  await w?.cleanup();
});

function expectCode(r: { code: number | null; stdout: string; stderr: string }, code: number, what: string) {
  assert.is(r.code, code, `${what}: exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

test('backup with --passphrase-stdin, validate without and with the passphrase, inspect', async () => {
  const b = await w.dbs(['backup', 'a.dbs', '--passphrase-stdin', '--json'], { input: `${PASS}\n` });
  expectCode(b, 0, 'backup');
  const report = JSON.parse(b.stdout);
  assert.is(report.ok, true);
  assert.is(report.verified, 'decryption');
  assert.ok(report.payloadBytes > report.compressedBytes, 'compressed');
  assert.equal(readdirSync(w.dir).filter((f) => f.includes('partial')), []);
  const v = await w.dbs(['validate', 'a.dbs']);
  expectCode(v, 0, 'validate');
  assert.match(v.stdout, /not checked/);
  const vd = await w.dbs(['validate', 'a.dbs', '--passphrase-stdin'], { input: PASS });
  expectCode(vd, 0, 'validate with passphrase');
  assert.match(vd.stdout, /every tag verified/);
  const i = await w.dbs(['inspect', 'a.dbs', '--json']);
  expectCode(i, 0, 'inspect');
  const info = JSON.parse(i.stdout);
  assert.ok(info.info.blockCount >= 1);
  assert.is(info.envelope.slots[0].type, 'passphrase');
  assert.not.match(i.stdout, /User|Post|uploads/, 'no model names or paths in the clear');
});

test('--passphrase warns that argv is visible; $DBS_PASSPHRASE works silently', async () => {
  const b = await w.dbs(['backup', 'flag.dbs', '--passphrase', PASS]);
  expectCode(b, 0, 'backup --passphrase');
  assert.match(b.stderr, /warning: --passphrase puts the passphrase on the command line/);
  const e = await w.dbs(['backup', 'env.dbs'], { env: { DBS_PASSPHRASE: PASS } });
  expectCode(e, 0, 'backup with env');
  assert.not.match(e.stderr, /warning/);
  const v = await w.dbs(['validate', 'flag.dbs'], { env: { DBS_PASSPHRASE: PASS } });
  expectCode(v, 0, 'validate flag.dbs with env passphrase');
  assert.match(v.stdout, /every tag verified/);
});

test('the terminal prompt asks twice with echo off (through a pseudo-terminal)', async () => {
  const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
  if (!hasScript) return console.log('NOTICE: util-linux script is missing; the prompt is covered by test/cli/config.test.ts only');
  const tsx = (await import('node:module')).createRequire(import.meta.url).resolve('tsx');
  const main = join(process.cwd(), 'src/cli/main.ts');
  const command = `${process.execPath} --import file://${tsx} ${main} backup prompt.dbs`;
  const env = { ...process.env };
  delete env.DBS_PASSPHRASE;
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: w.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let answered = 0;
  child.stdout.on('data', (d) => {
    out += d;
    // Answer each prompt only once it is shown, as a person would (then echo is already off).
    const prompts = (out.match(/passphrase for the new backup: /gi) ?? []).length;
    while (answered < prompts) {
      child.stdin.write(`${PASS}\r`);
      answered++;
    }
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.is(code, 0, out);
  assert.match(out, /Passphrase for the new backup: /);
  assert.match(out, /Repeat the passphrase for the new backup: /);
  assert.not.match(out, new RegExp(PASS), 'the passphrase was echoed');
  const v = await w.dbs(['validate', 'prompt.dbs', '--passphrase-stdin'], { input: PASS });
  expectCode(v, 0, 'validate prompt.dbs');
});

test('no passphrase and no terminal: fails at once with an explanation (exit 2)', async () => {
  const r = await w.dbs(['backup', 'none.dbs']);
  expectCode(r, 2, 'backup without passphrase');
  assert.match(r.stderr, /dbs: error: no passphrase given and no terminal/);
  assert.match(r.stderr, /dbs: hint: .*--passphrase-stdin/);
  assert.ok(r.ms < 15_000);
  assert.not.ok(existsSync(join(w.dir, 'none.dbs')));
  const empty = await w.dbs(['backup', 'none.dbs', '--passphrase-stdin'], { input: '\n' });
  expectCode(empty, 2, 'empty passphrase');
  assert.match(empty.stderr, /empty/);
});

test('wrong passphrase: exit 5 on validate and restore, database untouched', async () => {
  const v = await w.dbs(['validate', 'a.dbs', '--passphrase-stdin'], { input: 'wrong' });
  expectCode(v, 5, 'validate wrong');
  assert.match(v.stderr, /dbs: error: wrong passphrase/);
  assert.not.match(v.stderr, /at .*\.ts:\d+/, 'no stack without --verbose');
  const j = await w.dbs(['validate', 'a.dbs', '--passphrase-stdin', '--json', '--verbose'], { input: 'wrong' });
  expectCode(j, 5, 'validate wrong --json');
  const doc = JSON.parse(j.stdout);
  assert.is(doc.ok, false);
  assert.is(doc.exitCode, 5);
  assert.is(doc.error.code, 'WRONG_PASSPHRASE');
  assert.ok(doc.error.hint);
  assert.match(j.stderr, /WrongPassphraseError: wrong passphrase[\s\S]*\n\s+at /, 'stack with --verbose');
  const r = await w.dbs(['restore', 'a.dbs', '--config', 'restore.config.mjs', '--passphrase-stdin'], { input: 'wrong' });
  expectCode(r, 5, 'restore wrong');
  const t = connect('sqlite', w.target);
  defineApp(t);
  const snap = await snapshot(t, w.targetStorage);
  await t.close();
  assert.ok(Object.values(snap.rows).every((rows) => rows.length === 0));
});

test('damage in both copies: validate heals in memory (exit 3), heal writes a clean file, restore brings every row and file back', async () => {
  execFileSync('cp', [join(w.dir, 'a.dbs'), join(w.dir, 'damaged.dbs')]);
  await damageBothCopies(join(w.dir, 'damaged.dbs'), 0, 1);
  const v = await w.dbs(['validate', 'damaged.dbs', '--json']);
  expectCode(v, 3, 'validate damaged');
  const report = JSON.parse(v.stdout);
  assert.is(report.healed, true);
  assert.match(v.stderr, /healed/);
  const h = await w.dbs(['heal', 'damaged.dbs', '-o', 'clean.dbs']);
  expectCode(h, 3, 'heal');
  const c = await w.dbs(['validate', 'clean.dbs', '--passphrase-stdin'], { input: PASS });
  expectCode(c, 0, 'validate clean');
  // Restore from the damaged file directly: healed on the fly, reported with exit 3.
  const r = await w.dbs(['restore', 'damaged.dbs', '--config', 'restore.config.mjs', '--passphrase-stdin'], { input: PASS });
  expectCode(r, 3, 'restore damaged');
  assert.match(r.stdout + r.stderr, /healed/);
  const s = connect('sqlite', w.source);
  defineApp(s);
  const before = await snapshot(s, w.storage);
  await s.close();
  const t = connect('sqlite', w.target);
  defineApp(t);
  const after = await snapshot(t, w.targetStorage);
  await t.close();
  assert.equal(after.rows, before.rows);
  assert.equal(after.files, before.files);
  assert.ok(Object.keys(after.files).length >= 12);
});

test('restore --dry-run changes nothing; --flush replaces instead of merging', async () => {
  const d = await w.dbs(['restore', 'clean.dbs', '--config', 'restore.config.mjs', '--passphrase-stdin', '--dry-run', '--flush'], { input: PASS });
  expectCode(d, 0, 'dry run');
  const f = await w.dbs(['restore', 'clean.dbs', '--config', 'restore.config.mjs', '--passphrase-stdin', '--flush'], { input: PASS });
  expectCode(f, 0, 'flush');
  const s = connect('sqlite', w.source);
  defineApp(s);
  const before = await snapshot(s, w.storage);
  await s.close();
  const t = connect('sqlite', w.target);
  defineApp(t);
  const after = await snapshot(t, w.targetStorage);
  await t.close();
  assert.equal(after.rows, before.rows);
});

test('rekey: the new passphrase opens it, the old one no longer does', async () => {
  execFileSync('cp', [join(w.dir, 'a.dbs'), join(w.dir, 'rekey.dbs')]);
  const r = await w.dbs(['rekey', 'rekey.dbs', '--passphrase-stdin'], { input: `${PASS}\nnew passphrase 2\n` });
  expectCode(r, 0, 'rekey');
  expectCode(await w.dbs(['validate', 'rekey.dbs', '--passphrase-stdin'], { input: 'new passphrase 2' }), 0, 'validate new');
  expectCode(await w.dbs(['validate', 'rekey.dbs', '--passphrase-stdin'], { input: PASS }), 5, 'validate old');
});

test('recipient-only backup (a server holding only a public key), opened with --identity', async () => {
  const { generateIdentity } = await import('../../src/crypto/index.js');
  const id = generateIdentity();
  writeFileSync(join(w.dir, 'key.txt'), `# created for the test\n${id.privateKey}\n`);
  const b = await w.dbs(['backup', 'server.dbs', '--recipient', id.publicKey, '--recipient-only']);
  expectCode(b, 0, 'recipient-only backup');
  const i = await w.dbs(['inspect', 'server.dbs', '--json']);
  assert.equal(JSON.parse(i.stdout).envelope.slots.map((s: { type: string }) => s.type), ['x25519']);
  const v = await w.dbs(['validate', 'server.dbs', '--identity', 'key.txt']);
  expectCode(v, 0, 'validate with identity');
  assert.match(v.stdout, /every tag verified/);
  const wrong = await w.dbs(['validate', 'server.dbs', '--passphrase-stdin'], { input: PASS });
  expectCode(wrong, 5, 'no passphrase slot');
  assert.match(wrong.stderr, /no passphrase slot/);
});

test('missing config, bad usage, missing output directory: clear errors, right exit codes', async () => {
  const m = await w.dbs(['backup', 'x.dbs', '--config', 'nope.mjs', '--passphrase-stdin'], { input: PASS });
  expectCode(m, 2, 'missing config');
  assert.match(m.stderr, /dbs: error: config file .*nope\.mjs does not exist/);
  const empty = join(w.dir, 'empty');
  mkdirSync(empty);
  const n = await w.dbs(['backup', join(empty, 'x.dbs'), '--config', join(empty, 'none.mjs'), '--passphrase-stdin'], { input: PASS });
  expectCode(n, 2, 'no config');
  const key = await w.dbs(['backup', 'k.dbs', '--recipient', 'not-a-key', '--recipient-only']);
  expectCode(key, 2, 'malformed recipient key');
  assert.match(key.stderr, /not a DBS X25519 public key/);
  const u = await w.dbs(['frobnicate']);
  expectCode(u, 2, 'unknown command');
  assert.match(u.stderr, /dbs: error: Unknown argument|dbs: error: Unknown command/i);
  const d = await w.dbs(['backup', 'no/such/dir/x.dbs', '--passphrase-stdin'], { input: PASS });
  expectCode(d, 1, 'missing directory');
  assert.match(d.stderr, /does not exist/);
  assert.match(d.stderr, /dbs: hint: create it first/);
  const exists = await w.dbs(['backup', 'a.dbs', '--passphrase-stdin'], { input: PASS });
  expectCode(exists, 1, 'existing target');
  assert.match(exists.stderr, /already exists/);
  const notDbs = join(w.dir, 'not.dbs');
  writeFileSync(notDbs, seededBytes(5000, 3));
  const bad = await w.dbs(['validate', 'not.dbs']);
  expectCode(bad, 4, 'not a backup');
});

test('disk full and a read-only directory: exit 1, no file under the target name', async () => {
  if (!canMount(w.dir)) return console.log('NOTICE: cannot mount tmpfs (not root); disk-full case not run here');
  const small = join(w.dir, 'small');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', small]);
  try {
    const r = await w.dbs(['backup', join(small, 'x.dbs'), '--passphrase-stdin'], { input: PASS });
    expectCode(r, 1, 'disk full');
    assert.match(r.stderr, /no space left/);
    assert.equal(readdirSync(small), []);
  } finally {
    execFileSync('umount', [small]);
  }
  const ro = join(w.dir, 'ro');
  mkdirSync(ro);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', ro]);
  try {
    const r = await w.dbs(['backup', join(ro, 'x.dbs'), '--passphrase-stdin'], { input: PASS });
    expectCode(r, 1, 'read-only');
    assert.match(r.stderr, /cannot write into/);
    assert.equal(readdirSync(ro), []);
  } finally {
    execFileSync('umount', [ro]);
  }
});

async function killMidBackup(signal: NodeJS.Signals, round = 0): Promise<{ code: number | null; signal: NodeJS.Signals | null; left: string[] }> {
  // A large file tree makes the backup long enough to be interrupted while writing.
  const big = join(w.dir, 'big');
  mkdirSync(big, { recursive: true });
  if (!existsSync(join(big, 'blob.bin'))) writeFileSync(join(big, 'blob.bin'), seededBytes(48 << 20, 11));
  writeFileSync(join(w.dir, 'big.config.mjs'), (await import('node:fs')).readFileSync(join(w.dir, 'dbs.config.mjs'), 'utf8').replace('restoreRoots:', `fileRoots: [${JSON.stringify(big)}],\n    restoreRoots:`));
  const outDir = join(w.dir, `kill-${signal}-${round}`);
  mkdirSync(outDir);
  const child = w.spawnDbs(['backup', join(outDir, 'x.dbs'), '--config', 'big.config.mjs', '--passphrase-stdin']);
  child.stdin!.end(PASS);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    const files = readdirSync(outDir);
    if (files.some((f) => f.endsWith('.dbs-partial'))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(readdirSync(outDir).some((f) => f.endsWith('.dbs-partial')), `the backup never started writing: ${stderr}`);
  child.kill(signal);
  const result = await done;
  return { ...result, left: readdirSync(outDir) };
}

test('SIGTERM and SIGINT mid-backup: the temporary file is removed, exit 143/130', async () => {
  // Several rounds: the signal lands right as the first temporary file appears, while the spool
  // folder is being created (a race a single round once missed).
  for (let round = 0; round < 3; round++) {
    const term = await killMidBackup('SIGTERM', round);
    assert.is(term.code, 143);
    assert.equal(term.left, [], `round ${round}: SIGTERM left ${term.left.join(', ')}`);
    const int = await killMidBackup('SIGINT', round);
    assert.is(int.code, 130);
    assert.equal(int.left, [], `round ${round}: SIGINT left ${int.left.join(', ')}`);
  }
});

test('kill -9 mid-backup: at most a temporary file, never the target name', async () => {
  const k = await killMidBackup('SIGKILL');
  assert.is(k.signal, 'SIGKILL');
  assert.not.ok(k.left.includes('x.dbs'));
  assert.ok(k.left.every((f) => f.endsWith('.dbs-partial')));
});

test.run();
