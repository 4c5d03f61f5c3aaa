// The installed command: bin/dbs.js runs the compiled CLI from dist/ (built by `npm test`,
// `npm run build` and on install). Checks it starts, prints help with the exit codes, and maps a
// usage error (no command, no config, a bad --threads) to exit 2 with the `dbs: error:` / `dbs: hint:` lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_CI } from '../helpers/env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/dbs.js');
const built = existsSync(join(root, 'dist/src/cli/main.js'));
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: tmpdir(), encoding: 'utf8', input: '', env: { ...process.env, DBS_PASSPHRASE: '' } });

test('bin/dbs.js: --version, --help with the exit codes, usage errors exit 2', () => {
  if (!built) {
    if (IN_CI) assert.unreachable('dist/ is missing: run npm run build');
    console.log('SKIPPED: dist/ is not built (npm test builds it); bin/dbs.js not checked');
    return;
  }
  const version = run(['--version']);
  assert.is(version.status, 0, version.stderr);
  assert.is(version.stdout.trim(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  const help = run(['--help']);
  assert.is(help.status, 0);
  for (const word of ['backup', 'validate', 'restore', 'heal', 'inspect', 'rekey', '--passphrase-stdin', 'Exit codes']) assert.ok(help.stdout.includes(word), word);
  const none = run([]);
  assert.is(none.status, 2);
  assert.match(none.stderr, /^dbs: error: give a command/m);
  const config = run(['backup', 'x.dbs']);
  assert.is(config.status, 2);
  assert.match(config.stderr, /dbs: error: no config found/);
  assert.match(config.stderr, /dbs: hint: create dbs\.config\.js/);
  for (const bad of ['0', 'two']) {
    const threads = run(['validate', 'any.dbs', '--threads', bad]);
    assert.is(threads.status, 2, threads.stderr);
    assert.match(threads.stderr, /dbs: error: threads must be a whole number from 1 to 256/);
  }
});

test.run();
