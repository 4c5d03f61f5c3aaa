// X25519 key text form: Bech32 (BIP 173 vectors), round trips, typo detection, and age-keygen
// keys decoded and re-derived with the same code (age uses the same encoding and curve).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { x25519 } from '@noble/curves/ed25519.js';
import { FormatError } from '../../src/errors.js';
import { bech32Decode, bech32Encode, generateIdentity, parsePrivateKey, parsePublicKey, publicKeyOf } from '../../src/crypto/keys.js';
import { requireService } from '../helpers/env.js';

test('BIP 173 valid Bech32 strings decode and re-encode to themselves', () => {
  const valid = [
    'A12UEL5L',
    'a12uel5l',
    'an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs',
    'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw',
    'split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w',
  ];
  for (const text of valid) {
    const decoded = bech32Decode(text);
    assert.ok(decoded, text);
    // Data that is not a whole number of bytes cannot go through bytes; compare when it can.
    if (text.toLowerCase().startsWith('a1') || text.startsWith('A1')) assert.is(decoded!.bytes.length, 0);
  }
  assert.is(bech32Encode('a', new Uint8Array(0)), 'a12uel5l');
  assert.is(bech32Encode('A', new Uint8Array(0)), 'A12UEL5L');
});

test('BIP 173 invalid Bech32 strings are refused', () => {
  for (const text of ['pzry9x0s0muk', '1pzry9x0s0muk', 'x1b4n0q5v', 'li1dgmt3', 'A1G7SGD8', '10a06t8', '1qzzfhee', 'a12UEL5L']) {
    assert.is(bech32Decode(text), undefined, text);
  }
});

test('generated identities round-trip; the public key is derived from the private key', () => {
  const id = generateIdentity();
  assert.match(id.publicKey, /^dbs1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
  assert.match(id.privateKey, /^DBS-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/);
  assert.is(publicKeyOf(id.privateKey), id.publicKey);
  assert.equal(parsePublicKey(id.publicKey), x25519.getPublicKey(parsePrivateKey(id.privateKey)));
  assert.is.not(generateIdentity().privateKey, id.privateKey);
});

test('typos, truncation, wrong kind and wrong lengths are FormatErrors that never echo the key', () => {
  const id = generateIdentity();
  const typo = id.publicKey.slice(0, 10) + (id.publicKey[10] === 'q' ? 'p' : 'q') + id.publicKey.slice(11);
  const bad = [typo, id.publicKey.slice(0, -1), id.privateKey, 'age1' + id.publicKey.slice(4), ''];
  for (const text of bad) {
    try {
      parsePublicKey(text);
      assert.unreachable(text);
    } catch (error) {
      assert.instance(error, FormatError);
      if (text) assert.not.match((error as Error).message, text.slice(4, 20));
    }
  }
  assert.throws(() => parsePrivateKey(id.publicKey), (e: unknown) => e instanceof FormatError && !String(e).includes(id.publicKey));
  assert.throws(() => parsePublicKey(new Uint8Array(31)), (e: unknown) => e instanceof FormatError);
});

const hasAge = await requireService('age-keygen', async () => {
  if (spawnSync('age-keygen', ['--version']).status !== 0) throw new Error('age-keygen not found (apt-get install -y age)');
});

test('keys from age-keygen decode with our Bech32, and X25519 derives the same public key', () => {
  if (!hasAge) return;
  for (let i = 0; i < 3; i++) {
    const out = spawnSync('age-keygen', [], { encoding: 'utf8' }).stdout;
    const publicText = /public key: (age1\S+)/.exec(out)![1];
    const secretText = /(AGE-SECRET-KEY-1\S+)/.exec(out)![1];
    const secret = bech32Decode(secretText)!;
    assert.is(secret.hrp, 'age-secret-key-');
    assert.is(bech32Encode('age', x25519.getPublicKey(secret.bytes)), publicText);
    assert.is(bech32Encode('AGE-SECRET-KEY-', secret.bytes), secretText);
  }
});

test.run();
