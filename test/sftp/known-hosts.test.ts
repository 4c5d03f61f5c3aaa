// known_hosts parsing and matching, cross-checked against OpenSSH's own tools: ssh-keygen -H
// (hashing), ssh-keygen -F (lookup) and ssh-keygen -lf (fingerprints).
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  entryMatchesHost,
  fingerprintSha256,
  hostKeyAlgorithmsFor,
  hostLookupName,
  keyTypeOf,
  parseKnownHosts,
  verifyHostKey,
} from '../../src/transports/known-hosts.js';
import { seededRandom } from '../helpers/env.js';

const dir = await mkdtemp(join(tmpdir(), 'dbs-kh-'));
const haveKeygen = spawnSync('sh', ['-c', 'command -v ssh-keygen']).status === 0;

function keygen(name: string, type: string): { line: string; blob: Buffer } {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
  if (r.status !== 0) throw new Error(String(r.stderr));
  const line = spawnSync('cat', [`${path}.pub`], { encoding: 'utf8' }).stdout.trim();
  return { line, blob: Buffer.from(line.split(' ')[1], 'base64') };
}

const keys = haveKeygen
  ? { a: keygen('a', 'ed25519'), b: keygen('b', 'ed25519'), e: keygen('e', 'ecdsa') }
  : undefined;

test('lookup names: bare host on port 22, [host]:port otherwise, lower case', () => {
  assert.is(hostLookupName('Example.COM', 22), 'example.com');
  assert.is(hostLookupName('10.0.0.1', 2222), '[10.0.0.1]:2222');
});

test('plain patterns: lists, wildcards, negation, ports', () => {
  const m = (hosts: string, host: string, port = 22) => entryMatchesHost({ hosts }, host, port);
  assert.ok(m('a.example,b.example', 'b.example'));
  assert.ok(m('*.example', 'x.example'));
  assert.not.ok(m('*.example', 'example'));
  assert.ok(m('host?', 'host1'));
  assert.not.ok(m('host?', 'host12'));
  assert.not.ok(m('*.example,!bad.example', 'bad.example'), 'a negated pattern wins');
  assert.ok(m('*.example,!bad.example', 'good.example'));
  assert.not.ok(m('!bad.example', 'other.example'), 'negation alone never matches');
  assert.ok(m('[h]:2222', 'h', 2222));
  assert.not.ok(m('h', 'h', 2222), 'a bare entry is for port 22 only');
  assert.not.ok(m('[h]:2222', 'h', 22));
  assert.ok(m('HOST', 'host'), 'case-insensitive');
});

test('glob matching agrees with a slow reference on random patterns', () => {
  const rnd = seededRandom(7);
  const alphabet = 'ab*?';
  const reference = (p: string, s: string) => new RegExp('^' + p.replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(s);
  for (let i = 0; i < 2000; i++) {
    const p = Array.from({ length: 1 + rnd.int(6) }, () => alphabet[rnd.int(4)]).join('');
    const s = Array.from({ length: rnd.int(7) }, () => 'ab'[rnd.int(2)]).join('');
    assert.is(entryMatchesHost({ hosts: p }, s, 22), reference(p, s), `pattern ${p} name ${s}`);
  }
});

test('hashed entries made by ssh-keygen -H match exactly their host and port', async () => {
  if (!keys) return console.log('NOTICE: ssh-keygen missing, hashed test not run');
  const path = join(dir, 'known_hosts_hashed');
  await writeFile(path, `[127.0.0.1]:2222 ${keys.a.line}\nbackup.example ${keys.b.line}\n`);
  assert.is(spawnSync('ssh-keygen', ['-H', '-f', path]).status, 0);
  const text = await readFile(path, 'utf8');
  assert.ok(text.startsWith('|1|'), 'ssh-keygen hashed the file');
  const entries = parseKnownHosts(text, path);
  assert.is(entries.length, 2);
  assert.ok(verifyHostKey(entries, '127.0.0.1', 2222, keys.a.blob).ok);
  assert.ok(verifyHostKey(entries, 'backup.example', 22, keys.b.blob).ok);
  assert.is((verifyHostKey(entries, '127.0.0.1', 22, keys.a.blob) as { reason: string }).reason, 'unknown');
  assert.is((verifyHostKey(entries, '127.0.0.1', 2223, keys.a.blob) as { reason: string }).reason, 'unknown');
  assert.is((verifyHostKey(entries, '127.0.0.1', 2222, keys.b.blob) as { reason: string }).reason, 'changed');
  // ssh-keygen -F finds the same lines we do.
  const found = spawnSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', path], { encoding: 'utf8' }).stdout;
  assert.ok(found.includes(keys.a.line.split(' ')[1]));
});

test('fingerprints equal ssh-keygen -lf', () => {
  if (!keys) return;
  for (const name of ['a', 'e'] as const) {
    const out = spawnSync('ssh-keygen', ['-lf', join(dir, `${name}.pub`)], { encoding: 'utf8' }).stdout;
    assert.ok(out.includes(fingerprintSha256(keys[name].blob)), out);
  }
  assert.is(keyTypeOf(keys.a.blob), 'ssh-ed25519');
  assert.is(keyTypeOf(keys.e.blob), 'ecdsa-sha2-nistp256');
});

test('markers: @revoked refuses the key for any host; @cert-authority alone is unknown; junk is skipped', () => {
  if (!keys) return;
  const body = (l: string) => l.split(' ').slice(0, 2).join(' ');
  const text = [
    '# comment',
    '',
    `good.example ${body(keys.a.line)}`,
    `@revoked * ${body(keys.b.line)}`,
    `good.example ${body(keys.b.line)}`,
    `@cert-authority *.ca.example ${body(keys.e.line)}`,
    `@unknown-marker x.example ${body(keys.a.line)}`,
    'broken line',
    `mismatch.example ssh-rsa ${keys.a.line.split(' ')[1]}`,
  ].join('\n');
  const entries = parseKnownHosts(text);
  assert.is(entries.length, 4, 'unknown marker, short line and a type/blob mismatch are skipped');
  assert.ok(verifyHostKey(entries, 'good.example', 22, keys.a.blob).ok);
  assert.is((verifyHostKey(entries, 'good.example', 22, keys.b.blob) as { reason: string }).reason, 'revoked');
  const ca = verifyHostKey(entries, 'h.ca.example', 22, keys.e.blob) as { reason: string; detail?: string };
  assert.is(ca.reason, 'unknown');
  assert.match(ca.detail ?? '', /cert-authority/);
  assert.is((verifyHostKey(entries, 'x.example', 22, keys.a.blob) as { reason: string }).reason, 'unknown');
  assert.is((verifyHostKey(entries, 'mismatch.example', 22, keys.a.blob) as { reason: string }).reason, 'unknown');
});

test('host key algorithms: the known key types of the host come first', () => {
  if (!keys) return;
  const entries = parseKnownHosts(`[h]:2222 ${keys.e.line}\nother ${keys.a.line}\n`);
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512'];
  assert.equal(hostKeyAlgorithmsFor(entries, 'h', 2222, all), ['ecdsa-sha2-nistp256', 'ssh-ed25519', 'rsa-sha2-512']);
  assert.equal(hostKeyAlgorithmsFor(entries, 'nobody', 22, all), all);
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test.run();
