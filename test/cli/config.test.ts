// Config discovery and passphrase sources, without a database (a stand-in object with the two
// members the loader checks; the end-to-end suites use real Sequelize instances).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { findConfig, loadConfig, resolveApp } from '../../src/cli/config.js';
import { getPassphrase, type PassphraseIO } from '../../src/cli/passphrase.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { rejects } from '../helpers/assert.js';

const dir = mkdtempSync(join(tmpdir(), 'dbs-config-'));
const fake = `{ query() {}, models: {}, close: async () => {} }`;

function sub(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

test('finds dbs.config.js, .mjs, .cjs in that order, and names where it looked when none', async () => {
  const d = sub('order');
  assert.throws(() => findConfig(undefined, d), (e: unknown) => e instanceof ConfigError && /dbs\.config\.js, dbs\.config\.mjs, dbs\.config\.cjs/.test((e as Error).message));
  writeFileSync(join(d, 'dbs.config.cjs'), `module.exports = { sequelize: ${fake}, fileRoots: ['/x'] };`);
  assert.is(findConfig(undefined, d), join(d, 'dbs.config.cjs'));
  writeFileSync(join(d, 'dbs.config.mjs'), `export default { sequelize: ${fake} };`);
  assert.is(findConfig(undefined, d), join(d, 'dbs.config.mjs'));
  const cjs = await loadConfig(join(d, 'dbs.config.cjs'));
  assert.equal(cjs.fileRoots, ['/x']);
});

test('loads an async function export, checks settings, warns on unknown keys', async () => {
  const d = sub('fn');
  writeFileSync(join(d, 'dbs.config.mjs'), `export default async () => ({ sequelize: ${fake}, blockSize: 65536, excludeModels: ['Session'], typo: 1 });`);
  const warnings: string[] = [];
  const config = await loadConfig(undefined, { cwd: d, warn: (m) => warnings.push(m) });
  assert.is(config.blockSize, 65536);
  assert.equal(config.excludeModels, ['Session']);
  assert.is(warnings.length, 1);
  assert.match(warnings[0], /unknown setting "typo"/);
});

test('bad configs are ConfigErrors that say what is wrong', async () => {
  const d = sub('bad');
  writeFileSync(join(d, 'nosequelize.mjs'), `export default { fileRoots: [] };`);
  await rejects(() => loadConfig(join(d, 'nosequelize.mjs')), (e) => e instanceof ConfigError && /Sequelize instance/.test((e as Error).message));
  writeFileSync(join(d, 'badblock.mjs'), `export default { sequelize: ${fake}, blockSize: 12 };`);
  await rejects(() => loadConfig(join(d, 'badblock.mjs')), (e) => e instanceof ConfigError && /blockSize/.test((e as Error).message));
  writeFileSync(join(d, 'syntax.mjs'), `export default {`);
  await rejects(() => loadConfig(join(d, 'syntax.mjs')), (e) => e instanceof ConfigError && /cannot load/.test((e as Error).message));
  writeFileSync(join(d, 'throws.mjs'), `export default () => { throw new Error('no env'); };`);
  await rejects(() => loadConfig(join(d, 'throws.mjs')), (e) => e instanceof ConfigError && /no env/.test((e as Error).message));
  await rejects(() => loadConfig(join(d, 'missing.mjs')), (e) => e instanceof ConfigError && /does not exist/.test((e as Error).message));
});

test('the app recorded in backups: the app setting, else package.json next to the config, else in the working directory', async () => {
  const d = sub('app');
  const cwd = sub('app-cwd');
  const configDir = join(d, 'conf');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'dbs.config.mjs'), `export default { sequelize: ${fake} };`);
  writeFileSync(join(configDir, 'set.mjs'), `export default { sequelize: ${fake}, app: { name: 'Shop', version: '2.0.0' } };`);
  const plain = await loadConfig(join(configDir, 'dbs.config.mjs'));
  const set = await loadConfig(join(configDir, 'set.mjs'));
  assert.equal(set.app, { name: 'Shop', version: '2.0.0' });
  assert.is(resolveApp(plain, cwd), undefined, 'no setting, no package.json: not recorded');
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'from-cwd', version: '1.0.0' }));
  assert.equal(resolveApp(plain, cwd), { name: 'from-cwd', version: '1.0.0' });
  writeFileSync(join(configDir, 'package.json'), JSON.stringify({ name: '@acme/shop' }));
  assert.equal(resolveApp(plain, cwd), { name: '@acme/shop' }, 'the config directory comes first; no version, none recorded');
  assert.equal(resolveApp(set, cwd), { name: 'Shop', version: '2.0.0' }, 'the setting wins');
  writeFileSync(join(configDir, 'package.json'), '{ "name": ');
  const warnings: string[] = [];
  assert.equal(resolveApp(plain, cwd, (m) => warnings.push(m)), { name: 'from-cwd', version: '1.0.0' });
  assert.is(warnings.length, 1);
  assert.match(warnings[0], /cannot read the application name from .*conf\/package\.json/);
  writeFileSync(join(configDir, 'bad.mjs'), `export default { sequelize: ${fake}, app: { name: 'Shop', versoin: '1' } };`);
  await rejects(() => loadConfig(join(configDir, 'bad.mjs')), (e) => e instanceof ConfigError && /app in .*bad\.mjs has an unknown key 'versoin'/.test((e as Error).message));
  writeFileSync(join(configDir, 'bad2.mjs'), `export default { sequelize: ${fake}, app: 'Shop' };`);
  await rejects(() => loadConfig(join(configDir, 'bad2.mjs')), (e) => e instanceof ConfigError && /must be an object \{ name, version\? \}/.test((e as Error).message));
});

function io(input: string | null, env: Record<string, string> = {}, tty = false): PassphraseIO & { warnings: string[] } {
  const stdin = new PassThrough() as unknown as PassphraseIO['stdin'];
  if (input !== null) (stdin as unknown as PassThrough).end(input);
  if (tty) Object.assign(stdin, { isTTY: true, setRawMode: () => stdin });
  const warnings: string[] = [];
  return { stdin, stderr: new PassThrough(), env, warn: (m) => warnings.push(m), warnings };
}

test('passphrase sources in order: flag (with a warning), stdin, environment', async () => {
  const a = io('from-stdin\n', { DBS_PASSPHRASE: 'from-env' });
  assert.is(await getPassphrase({ passphrase: 'from-flag', passphraseStdin: true }, a), 'from-flag');
  assert.is(a.warnings.length, 1);
  assert.match(a.warnings[0], /other users/);
  // A fresh module state is needed for stdin, so each stdin case runs in its own process in the e2e suites;
  // here the environment and the refusal cases.
  const c = io(null, { DBS_PASSPHRASE: 'from-env' });
  assert.is(await getPassphrase({}, c), 'from-env');
  assert.is(c.warnings.length, 0);
});

test('empty passphrases are refused; no source and no terminal fails at once', async () => {
  await rejects(() => getPassphrase({ passphrase: '' }, io(null)), (e) => e instanceof UsageError && /empty/.test((e as Error).message));
  await rejects(() => getPassphrase({}, io(null, { DBS_PASSPHRASE: '' })), (e) => e instanceof UsageError && /empty/.test((e as Error).message));
  const started = Date.now();
  await rejects(() => getPassphrase({}, io(null)), (e) => e instanceof UsageError && /no terminal/.test((e as Error).message) && /passphrase-stdin/.test((e as UsageError).hint ?? ''));
  assert.ok(Date.now() - started < 1000);
});

test('the prompt reads with echo off, handles backspace, and asks twice for a new passphrase', async () => {
  const t = io(null, {}, true);
  const stdin = t.stdin as unknown as PassThrough;
  let written = '';
  (t.stderr as PassThrough).on('data', (d) => (written += d));
  const answer = getPassphrase({}, t, { confirm: true, purpose: 'passphrase' });
  setTimeout(() => stdin.write('secrex\u007ft\r'), 10);
  setTimeout(() => stdin.write('secret\r'), 30);
  assert.is(await answer, 'secret');
  assert.match(written, /Passphrase: /);
  assert.match(written, /Repeat the passphrase: /);
  assert.not.match(written, /secret/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
