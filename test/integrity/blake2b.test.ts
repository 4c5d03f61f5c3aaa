// BLAKE2b in the codec's WebAssembly module (src/integrity/blake2b.ts) against RFC 7693's vector
// and against hash-wasm (the implementation it replaces for container hashes) over every length
// around the 128-byte block edges and random lengths up to 200 KiB, at the digest sizes used.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBLAKE2b } from 'hash-wasm';
import { loadBlake2b } from '../../src/integrity/blake2b.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('RFC 7693 appendix A: BLAKE2b-512("abc")', async () => {
  const b2 = await loadBlake2b();
  assert.is(
    hex(b2.digest(new TextEncoder().encode('abc'), 64)),
    'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
  );
});

test('BLAKE2b-512 of the empty message', async () => {
  const b2 = await loadBlake2b();
  assert.is(
    hex(b2.digest(new Uint8Array(0), 64)),
    '786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce',
  );
});

test('equals hash-wasm for lengths 0..600 and random lengths up to 200 KiB, digests of 16, 32 and 64 bytes', async () => {
  const b2 = await loadBlake2b();
  const reference = new Map<number, Awaited<ReturnType<typeof createBLAKE2b>>>();
  for (const size of [16, 32, 64]) reference.set(size, await createBLAKE2b(size * 8));
  const rnd = seededRandom(2);
  const lengths = [...Array.from({ length: 601 }, (_, n) => n), ...Array.from({ length: 300 }, () => rnd.int(200 * 1024 + 1)), 200 * 1024];
  for (const [n, length] of lengths.entries()) {
    const data = seededBytes(length, n);
    for (const [size, h] of reference) {
      assert.is(hex(b2.digest(data, size)), hex(h.init().update(data).digest('binary')), `length ${length}, ${size}-byte digest`);
    }
  }
});

test('hashes a view at any offset of a larger buffer, and returns a copy (not a view into WASM memory)', async () => {
  const b2 = await loadBlake2b();
  const h = await createBLAKE2b(256);
  const big = seededBytes(70000, 9);
  for (const [start, end] of [[1, 65537], [3, 4], [129, 129], [7, 70000]]) {
    const view = big.subarray(start, end);
    const got = b2.digest(view, 32);
    assert.is(hex(got), hex(h.init().update(view).digest('binary')));
    b2.digest(seededBytes(1000, 1), 32); // reuses the module's memory
    assert.is(hex(got), hex(h.init().update(view).digest('binary')), 'an earlier digest is not overwritten');
  }
});

test('digest lengths outside 1..64 are refused', async () => {
  const b2 = await loadBlake2b();
  for (const bad of [0, 65, 1.5, -1]) assert.throws(() => b2.digest(new Uint8Array(4), bad), RangeError);
});

test('grows the module memory for a message larger than the work area', async () => {
  const b2 = await loadBlake2b();
  const h = await createBLAKE2b(256);
  const data = seededBytes(3 << 20, 4);
  assert.is(hex(b2.digest(data, 32)), hex(h.init().update(data).digest('binary')));
});

test.run();
