// AES-256-GCM: the published test cases (McGrew and Viega, "The Galois/Counter Mode of Operation",
// test cases 13-16, the AES-256 ones reused by NIST's validation suite) on each backend, multi-part
// inputs, tag failures, and the three backends producing the same bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeAesGcm } from '../../src/crypto/aes.node.js';
import { defaultAesGcm, nobleAesGcm, resolveAesGcm, setDefaultAesGcm, webCryptoAesGcm, type AesGcmBackend } from '../../src/crypto/aes.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const backends: AesGcmBackend[] = [nodeAesGcm, webCryptoAesGcm, nobleAesGcm];

const K = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const P =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const C =
  '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';
const vectors = [
  { name: 'TC13', key: '00'.repeat(32), iv: '00'.repeat(12), aad: '', pt: '', ct: '', tag: '530f8afbc74536b9a963b4f1c4cb738b' },
  { name: 'TC14', key: '00'.repeat(32), iv: '00'.repeat(12), aad: '', pt: '00'.repeat(16), ct: 'cea7403d4d606b6e074ec5d3baf39d18', tag: 'd0d1c8a799996bf0265b98b5d48ab919' },
  { name: 'TC15', key: K, iv: 'cafebabefacedbaddecaf888', aad: '', pt: P, ct: C, tag: 'b094dac5d93471bdec1a502270e3cc6c' },
  {
    name: 'TC16', key: K, iv: 'cafebabefacedbaddecaf888', aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    pt: P.slice(0, 120), ct: C.slice(0, 120), tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

for (const backend of backends) {
  test(`${backend.name}: published AES-256-GCM vectors, seal and open`, async () => {
    for (const v of vectors) {
      const key = await backend.importKey(h(v.key));
      const sealed = concatBytes(...(await key.seal(h(v.iv), h(v.aad), [h(v.pt)])));
      assert.is(hex(sealed), v.ct + v.tag, v.name);
      const opened = await key.open(h(v.iv), h(v.aad), [sealed]);
      assert.ok(opened, v.name);
      assert.is(hex(concatBytes(...opened!)), v.pt, v.name);
      const bad = sealed.slice();
      bad[bad.length - 1] ^= 1;
      assert.is(await key.open(h(v.iv), h(v.aad), [bad]), undefined, `${v.name}: flipped tag bit`);
      assert.is(await key.open(h(v.iv), h(v.aad + '00'), [sealed]), undefined, `${v.name}: other associated data`);
    }
  });
}

test('the three backends give identical bytes for seeded messages cut into random parts', async () => {
  const random = seededRandom(42);
  for (let round = 0; round < 40; round++) {
    const raw = seededBytes(32, 1000 + round);
    const nonce = seededBytes(12, 2000 + round);
    const aad = seededBytes(random.int(40), 3000 + round);
    const message = seededBytes(random.int(5000), 4000 + round);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < message.length; ) {
      const n = 1 + random.int(700);
      parts.push(message.subarray(at, at + n));
      at += n;
    }
    const outputs: string[] = [];
    for (const backend of backends) {
      const key = await backend.importKey(raw);
      const sealed = concatBytes(...(await key.seal(nonce, aad, parts)));
      outputs.push(hex(sealed));
      // Open with the sealed bytes cut differently (the tag may straddle parts).
      const cut = 1 + random.int(Math.max(1, sealed.length - 1));
      const opened = await key.open(nonce, aad, [sealed.subarray(0, cut), sealed.subarray(cut)].filter((p) => p.length));
      assert.is(hex(concatBytes(...opened!)), hex(message), `${backend.name} round ${round}`);
    }
    assert.is(outputs[1], outputs[0], `webcrypto vs node, round ${round}`);
    assert.is(outputs[2], outputs[0], `noble vs node, round ${round}`);
  }
});

test('keys of the wrong length are refused by every backend', async () => {
  for (const backend of backends) {
    try {
      await backend.importKey(new Uint8Array(16));
      assert.unreachable(backend.name);
    } catch (error) {
      assert.instance(error, TypeError);
      assert.match(String(error), /length 32/);
    }
  }
});

test('default choice: node:crypto once aes.node.ts is imported, else WebCrypto; names resolve', () => {
  assert.is(defaultAesGcm().name, 'node');
  assert.is(resolveAesGcm('noble'), nobleAesGcm);
  assert.is(resolveAesGcm('webcrypto'), webCryptoAesGcm);
  assert.is(resolveAesGcm('node'), nodeAesGcm);
  assert.throws(() => resolveAesGcm('rot13'), /unknown or unavailable/);
  setDefaultAesGcm(undefined);
  try {
    assert.is(defaultAesGcm().name, 'webcrypto');
    assert.is(resolveAesGcm('node'), nodeAesGcm, 'still reachable by name');
  } finally {
    setDefaultAesGcm(nodeAesGcm);
  }
});

test.run();
