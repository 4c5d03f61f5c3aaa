// The security layer in headless Chromium, twice: on http://127.0.0.1 (a secure context: WebCrypto)
// and on http://dbs.test mapped to 127.0.0.1 (not a secure context: no crypto.subtle, so the
// @noble/ciphers fallback). Both read the checked-in vectors, open a file sealed in Node, and seal
// one that Node opens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { requireChromium } from '../helpers/browser.js';
import { runEntryWithInput } from './crypto.runner.js';
import '../../src/crypto/aes.node.js';
import { decryptStream, encryptStream } from '../../src/crypto/stream.js';
import { openEnvelope, sealEnvelope } from '../../src/crypto/envelope.js';
import { generateIdentity } from '../../src/crypto/keys.js';
import { collect, chunked } from '../../src/io/memory.js';
import { seededBytes } from '../helpers/env.js';

const enabled = await requireChromium();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const vectorDir = fileURLToPath(new URL('../vectors/crypto/', import.meta.url));
const vectorNames = readdirSync(vectorDir).filter((n) => !n.includes('.'));

async function runPage(host: string) {
  const identity = generateIdentity();
  const plain = seededBytes(100_000, 5);
  const sealed = await sealEnvelope([{ passphrase: 'node pw', kdf: { memoryKiB: 256, passes: 1, parallelism: 1 } }], { segmentSize: 8192 });
  const input = {
    vectors: vectorNames.map((name) => ({ name, bytes: b64(readFileSync(join(vectorDir, name))) })),
    node: { header: b64(sealed.header), payload: b64(await collect(encryptStream(chunked(plain), sealed))), passphrase: 'node pw', sha256: hex(sha256(plain)) },
    publicKey: identity.publicKey,
  };
  const result = await runEntryWithInput<any>(new URL('./crypto.entry.ts', import.meta.url).pathname, input, { host });
  return { result, identity, plainSha256: hex(sha256(plain)) };
}

async function check(host: string, secure: boolean) {
  const { result, identity, plainSha256 } = await runPage(host);
  assert.is(result.secure, secure, 'secure context');
  assert.is(result.defaultBackend, secure ? 'webcrypto' : 'noble');
  assert.equal(result.backends, secure ? ['webcrypto', 'noble'] : ['noble']);
  for (const name of result.backends) {
    assert.is(
      result.aesKat[name],
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b',
      `${name}: AES-256-GCM test case 16`,
    );
  }
  assert.is(Buffer.from(result.argon, 'hex').toString('base64').replace(/=+$/, ''), 'CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc');
  // Every vector: the same outcome as its file says.
  assert.is(Object.keys(result.vectors).length, vectorNames.length);
  for (const name of vectorNames) {
    const text = readFileSync(join(vectorDir, name)).toString('latin1');
    const expect = /^expect: (.*)$/m.exec(text)![1];
    const got = result.vectors[name];
    assert.is(got.outcome, expect, `vector ${name}`);
    if (expect === 'success') assert.is(got.sha256, /^payload: (.*)$/m.exec(text)![1], `vector ${name} payload`);
    else assert.is(got.stage, /^stage: (.*)$/m.exec(text)![1], `vector ${name} stage`);
  }
  assert.is(result.fromNodeSha256, plainSha256, 'a file sealed in Node opens in the browser');
  assert.ok(result.roundTrip);
  assert.ok(result.identical, 'every available backend gave the same bytes');
  assert.is(result.wrongPassphrase, 'WrongPassphraseError (instanceof)');
  assert.is(result.tampered, 'AuthenticationError (instanceof)');
  assert.ok(result.identity);
  // The Web Worker pool: in a secure context it runs on workers; without WebCrypto it falls back, and says so.
  const pool = result.workerPool;
  assert.is(pool.name, 'webcrypto-workers');
  assert.is(pool.concurrency, 6);
  assert.ok(pool.identical, 'worker pool: the same bytes as the in-page backends');
  assert.ok(pool.roundTrip, 'worker pool: decrypts');
  assert.is(pool.tampered, 'AuthenticationError (instanceof)');
  assert.ok(pool.brokenIdentical, 'a pool whose workers cannot start still encrypts (in the page)');
  if (secure) {
    assert.equal(pool.fallbacks, [], 'no fallback in a secure context');
    assert.is(pool.brokenFallbacks.length, 1);
    assert.match(pool.brokenFallbacks[0], /AES worker/);
  } else {
    assert.ok(pool.fallbacks.length >= 1 && pool.fallbacks.every((m: string) => /WebCrypto is not available/.test(m)), pool.fallbacks.join('; '));
  }
  // The browser's file, opened in Node with the private key.
  const opened = await openEnvelope(Buffer.from(result.sealed.header, 'base64'), { privateKey: identity.privateKey });
  const back = await collect(decryptStream(chunked(Buffer.from(result.sealed.payload, 'base64')), opened));
  assert.is(hex(sha256(back)), result.sealed.sha256, 'a file sealed in the browser opens in Node');
}

test('Chromium, secure context (127.0.0.1): WebCrypto and @noble/ciphers', async () => {
  if (!enabled) return;
  await check('127.0.0.1', true);
});

test('Chromium, plain http on a non-local name: no WebCrypto, @noble/ciphers fallback', async () => {
  if (!enabled) return;
  await check('dbs.test', false);
});

test.run();
