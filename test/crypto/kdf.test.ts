// Argon2id: known answers (RFC 9106, the reference implementation's PHC strings), hash-wasm
// cross-checked against @noble/hashes, and the bounds applied before any derivation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argon2id as wasmArgon2id } from 'hash-wasm';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { LimitError } from '../../src/errors.js';
import { checkKdfParams, DEFAULT_KDF, DEFAULT_KDF_LIMITS, deriveKey, passphraseBytes } from '../../src/crypto/kdf.js';
import { seededBytes } from '../helpers/env.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

test('RFC 9106 section 5.3 Argon2id vector (password, salt, secret and associated data)', () => {
  // hash-wasm has no "associated data" input, so the RFC vector pins @noble/hashes, which then
  // serves as the reference the WASM implementation is cross-checked against below.
  const tag = nobleArgon2id(fill(32, 1), fill(16, 2), { t: 3, m: 32, p: 4, key: fill(8, 3), personalization: fill(12, 4), dkLen: 32 });
  assert.is(hex(tag), '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
});

test('reference implementation vectors: argon2id "password"/"somesalt" (hash-wasm, the one we ship)', async () => {
  const run = (m: number, t: number) =>
    wasmArgon2id({ password: 'password', salt: 'somesalt', iterations: t, memorySize: m, parallelism: 1, hashLength: 32, outputType: 'binary' });
  assert.is(b64(await run(65536, 2)), 'CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc');
  assert.is(b64(await run(262144, 2)), 'eP4eyR+zqlZX1y5xCFTkw9m5GYx0L5YWwvCFvtlbLow');
});

test('hash-wasm agrees with @noble/hashes on seeded inputs (with a secret, several shapes)', async () => {
  const shapes = [
    { m: 8, t: 1, p: 1 }, { m: 64, t: 2, p: 2 }, { m: 256, t: 3, p: 4 }, { m: 1024, t: 1, p: 1 }, { m: 512, t: 5, p: 3 },
  ];
  for (const [i, s] of shapes.entries()) {
    const password = seededBytes(1 + i * 7, 100 + i);
    const salt = seededBytes(16 + i, 200 + i);
    const secret = seededBytes(8 + i, 300 + i);
    const a = await wasmArgon2id({ password, salt, secret, iterations: s.t, memorySize: s.m, parallelism: s.p, hashLength: 32, outputType: 'binary' });
    const b = nobleArgon2id(password, salt, { t: s.t, m: s.m, p: s.p, key: secret, dkLen: 32 });
    assert.is(hex(a), hex(b), `shape ${JSON.stringify(s)}`);
  }
});

test('deriveKey at the default parameters (64 MiB, t=3, p=1) matches @noble/hashes', async () => {
  assert.equal({ ...DEFAULT_KDF }, { memoryKiB: 65536, passes: 3, parallelism: 1 });
  const salt = seededBytes(16, 7);
  const started = performance.now();
  const key = await deriveKey('correct horse battery staple', salt, DEFAULT_KDF);
  const seconds = (performance.now() - started) / 1000;
  const reference = nobleArgon2id(new TextEncoder().encode('correct horse battery staple'), salt, { t: 3, m: 65536, p: 1, dkLen: 32 });
  assert.is(hex(key), hex(reference));
  console.log(`NOTICE: Argon2id 64 MiB / t=3 / p=1 took ${seconds.toFixed(2)} s (hash-wasm)`);
});

test('passphrases are UTF-8 of their NFC form, so composed and decomposed text give one key', async () => {
  const composed = 'caf\u00e9';
  const decomposed = 'cafe\u0301';
  assert.is(hex(passphraseBytes(composed)), hex(passphraseBytes(decomposed)));
  const params = { memoryKiB: 64, passes: 1, parallelism: 1 };
  const salt = seededBytes(16, 1);
  assert.is(hex(await deriveKey(composed, salt, params)), hex(await deriveKey(decomposed, salt, params)));
  assert.throws(() => passphraseBytes(''), (e: unknown) => e instanceof TypeError);
});

test('concurrent derivations (e.g. two requests at once) give the same keys as sequential ones', async () => {
  const params = { memoryKiB: 1024, passes: 2, parallelism: 1 };
  const inputs = Array.from({ length: 6 }, (_, i) => ({ pass: `passphrase ${i}`, salt: seededBytes(16, 50 + i) }));
  const sequential: string[] = [];
  for (const { pass, salt } of inputs) sequential.push(hex(await deriveKey(pass, salt, params)));
  const concurrent = await Promise.all(inputs.map(({ pass, salt }) => deriveKey(pass, salt, params).then(hex)));
  assert.equal(concurrent, sequential);
  assert.is(new Set(sequential).size, inputs.length);
});

test('parameter bounds: each limit refuses with LimitError naming the field', () => {
  const cases: [Partial<typeof DEFAULT_KDF>, string][] = [
    [{ memoryKiB: DEFAULT_KDF_LIMITS.maxMemoryKiB + 1 }, 'kdf.memoryKiB'],
    [{ memoryKiB: 0xffffffff }, 'kdf.memoryKiB'],
    [{ passes: 65 }, 'kdf.passes'],
    [{ passes: 0 }, 'kdf.passes'],
    [{ parallelism: 17 }, 'kdf.parallelism'],
    [{ parallelism: 4, memoryKiB: 31 }, 'kdf.memoryKiB'],
    [{ memoryKiB: 4 * 1024 * 1024, passes: 5 }, 'kdf.memoryKiB*passes'],
    [{ passes: 1.5 }, 'kdf.passes'],
  ];
  for (const [change, field] of cases) {
    try {
      checkKdfParams({ ...DEFAULT_KDF, ...change });
      assert.unreachable(`accepted ${JSON.stringify(change)}`);
    } catch (error) {
      assert.instance(error, LimitError, JSON.stringify(change));
      assert.is((error as LimitError).field, field);
    }
  }
  checkKdfParams({ memoryKiB: 4 * 1024 * 1024, passes: 4, parallelism: 16 });
  checkKdfParams(DEFAULT_KDF);
});

test.run();
