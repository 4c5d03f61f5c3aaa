// SSHTarget.fromSettings: profiles from the dbs config, secrets from environment variables,
// unknown keys refused (a typo must never switch anything off).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError } from '../../src/errors.js';
import { TargetConfigError } from '../../src/transports/errors.js';
import { SSHTarget, checkBackupName } from '../../src/transports/target.js';

const base = { host: 'backups.example', username: 'deploy', remoteDir: '/var/backups/app', knownHosts: '/etc/dbs/known_hosts' };
const settings = (profile: Record<string, unknown>) => ({ sshTargets: { offsite: profile } });

function refused(fn: () => unknown, pattern: RegExp): TargetConfigError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, TargetConfigError);
    assert.instance(error, ConfigError, 'the CLI maps ConfigError to the usage exit code');
    assert.match((error as Error).message, pattern);
    return error as TargetConfigError;
  }
  assert.unreachable(`expected a TargetConfigError matching ${pattern}`);
  throw new Error('unreachable');
}

test('a key profile', () => {
  const t = SSHTarget.fromSettings('offsite', settings({ ...base, port: 2222, privateKey: '/home/deploy/.ssh/id_ed25519' }));
  assert.is(t.port, 2222);
  assert.is(t.server, 'deploy@backups.example:2222');
  assert.equal(t.knownHosts, ['/etc/dbs/known_hosts']);
  assert.equal(t.auth, { kind: 'key', privateKey: '/home/deploy/.ssh/id_ed25519', passphrase: undefined });
  assert.is(t.remotePath('b.dbs'), '/var/backups/app/b.dbs');
  assert.is(t.name, 'offsite');
});

test('secrets come from the environment variables the profile names', () => {
  const env = { KEY_PASS: 'k-secret', SSH_PW: 'p-secret' };
  const k = SSHTarget.fromSettings('offsite', settings({ ...base, privateKey: '/k', passphraseEnv: 'KEY_PASS' }), env);
  assert.equal(k.auth, { kind: 'key', privateKey: '/k', passphrase: 'k-secret' });
  const p = SSHTarget.fromSettings('offsite', settings({ ...base, passwordEnv: 'SSH_PW' }), env);
  assert.equal(p.auth, { kind: 'password', password: 'p-secret' });
  const e = refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, passwordEnv: 'NOPE' }), env), /NOPE, which is not set/);
  assert.ok(!e.message.includes('secret'));
});

test('agent: true uses $SSH_AUTH_SOCK, a string is the socket', () => {
  const a = SSHTarget.fromSettings('offsite', settings({ ...base, agent: true }), { SSH_AUTH_SOCK: '/tmp/agent.sock' });
  assert.equal(a.auth, { kind: 'agent', socket: '/tmp/agent.sock' });
  const original = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  try {
    refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, agent: true }), {}), /SSH_AUTH_SOCK/);
  } finally {
    if (original !== undefined) process.env.SSH_AUTH_SOCK = original;
  }
});

test('unknown keys are errors, with a suggestion; a secret is never accepted inline', () => {
  const typo = refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, privateKey: '/k', knowHosts: '/x' })), /unknown key 'knowHosts'/);
  assert.match(typo.message, /did you mean 'knownHosts'/);
  const inline = refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, password: 'hunter2' })), /unknown key 'password'/);
  assert.match(inline.hint ?? '', /passwordEnv/);
  assert.ok(!inline.message.includes('hunter2'));
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, privateKey: '/k', strictHostKeyChecking: false })), /unknown key/);
});

test('exactly one authentication method', () => {
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base })), /no authentication method/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, privateKey: '/k', passwordEnv: 'X' }), { X: 'x' }), /only one/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, passphraseEnv: 'X', passwordEnv: 'Y' }), { X: 'x', Y: 'y' }), /passphraseEnv is only/);
});

test('missing or malformed fields and profiles', () => {
  refused(() => SSHTarget.fromSettings('offsite', {}), /no sshTargets/);
  refused(() => SSHTarget.fromSettings('offsite', undefined), /no sshTargets/);
  refused(() => SSHTarget.fromSettings('elsewhere', settings({ ...base, privateKey: '/k' })), /no SSH target named 'elsewhere'.*offsite/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, remoteDir: 'relative', privateKey: '/k' })), /absolute/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, port: 70000, privateKey: '/k' })), /port/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, port: '22', privateKey: '/k' })), /port must be a number/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, host: '', privateKey: '/k' })), /host/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, knownHosts: 5, privateKey: '/k' })), /knownHosts/);
  refused(() => SSHTarget.fromSettings('offsite', settings({ ...base, connectTimeoutMs: -1, privateKey: '/k' })), /connectTimeoutMs/);
  refused(() => SSHTarget.fromSettings('offsite', { sshTargets: { offsite: 'x' } }), /must be an object/);
});

test('knownHosts defaults to ~/.ssh/known_hosts (host keys are always checked)', () => {
  const { knownHosts: _, ...rest } = base;
  const t = SSHTarget.fromSettings('offsite', settings({ ...rest, privateKey: '/k' }));
  assert.is(t.knownHosts.length, 1);
  assert.match(t.knownHosts[0], /\/\.ssh\/known_hosts$/);
});

test('backup names are plain file names', () => {
  for (const bad of ['', '.', '..', 'a/b', '../x', 'x.part', 'a\nb']) assert.throws(() => checkBackupName(bad), (e: unknown) => e instanceof TargetConfigError, bad);
  checkBackupName('backup-2026-01-31.dbs');
});

test.run();
