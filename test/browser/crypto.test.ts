// The security layer in headless Chromium, twice: on http://127.0.0.1 (a secure context: WebCrypto)
// and on http://dbs.test mapped to 127.0.0.1 (not a secure context: no crypto.subtle, so the
// @noble/ciphers fallback). Both read the checked-in vectors, open a file sealed in Node, and seal
// one that Node opens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bundleForBrowser, CHROMIUM_ARGS, CHROMIUM_PATH, requireChromium, serveFiles } from '../helpers/browser.js';
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
  const code = await bundleForBrowser(new URL('./crypto.entry.ts', import.meta.url).pathname, { globalName: '__dbsEntry' });
  const runner = `${code}
    __dbsEntry.default().then((value) => { window.__dbsResult = { ok: true, value }; },
      (error) => { window.__dbsResult = { ok: false, error: String(error && error.stack || error) }; });`;
  const site = await serveFiles({
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script src="/entry.js"></script>' },
    '/entry.js': { type: 'text/javascript', body: runner },
    '/input.json': { type: 'application/json', body: JSON.stringify(input) },
  });
  const port = new URL(site.url).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP dbs.test 127.0.0.1'] });
  const log: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    await page.goto(`http://${host}:${port}/`);
    await page.waitForFunction(() => (window as any).__dbsResult !== undefined, undefined, { timeout: 25_000, polling: 100 });
    const result = (await page.evaluate(() => (window as any).__dbsResult)) as { ok: boolean; value: any; error?: string };
    if (!result.ok) throw new Error(`in Chromium: ${result.error}\n${log.join('\n')}`);
    return { result: result.value, identity, plainSha256: hex(sha256(plain)) };
  } catch (error) {
    if (error instanceof Error) error.message += `\n${log.join('\n')}`;
    throw error;
  } finally {
    await browser.close();
    await site.close();
  }
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
