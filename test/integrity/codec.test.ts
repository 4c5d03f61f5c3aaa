// The codec against the plain reference (test/reference/rs.ts) and against its own contract:
// layout numbers, identical parity, clean checks, every mix of errors and erasures within the
// budget corrected, argument errors, memory growth and copies out of WASM memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBLAKE2b } from 'hash-wasm';
import { blockLayout, loadCodec } from '../../src/integrity/codec.js';
import { seededBytes, seededRandom } from '../helpers/env.js';
import { referenceCheckBlock, referenceEncodeBlock, referenceLayout } from '../reference/rs.js';

test('blockLayout: 64 KiB with 16 parity symbols is 288 codewords of 228 data symbols', () => {
  const l = blockLayout(65536);
  assert.equal(
    { stride: l.stride, k: l.dataPerCodeword, parity: l.parity, parityLength: l.parityLength, burst: l.burstBytes, erasureBurst: l.erasureBurstBytes },
    { stride: 288, k: 228, parity: 16, parityLength: 4608, burst: 7 * 288 + 160, erasureBurst: 15 * 288 + 160 },
  );
});

test('blockLayout matches the reference formula for random lengths and parity counts', () => {
  const rnd = seededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const length = 1 + rnd.int(i < 1000 ? 5000 : 1 << 22);
    const p = 2 * (1 + rnd.int(32));
    const l = blockLayout(length, p);
    const r = referenceLayout(length, p);
    assert.is(l.stride, r.stride);
    assert.is(l.dataPerCodeword, r.k);
    assert.is(l.stride % 16, 0);
    assert.ok(l.dataPerCodeword + p <= 255, 'a codeword has at most 255 symbols');
    assert.ok(l.dataPerCodeword * l.stride >= length && (l.dataPerCodeword - 1) * l.stride < length);
    assert.is(l.parityLength, l.stride * p);
  }
});

test('blockLayout rejects bad arguments with the expected range', () => {
  assert.throws(() => blockLayout(100, 15), /even integer from 2 to 64, got 15/);
  assert.throws(() => blockLayout(100, 66), /got 66/);
  assert.throws(() => blockLayout(-1), /block data length/);
  assert.throws(() => blockLayout(1.5), /block data length/);
  assert.throws(() => blockLayout(2 ** 31), /block data length/);
  assert.is(blockLayout(0).parityLength, 0);
});

test('encode: parity identical to the reference on random blocks (lengths, parity counts)', async () => {
  const rnd = seededRandom(11);
  const cases: Array<[number, number]> = [[65536, 16], [1, 16], [239, 16], [240, 16], [3824, 16], [3825, 16]];
  for (const p of [2, 4, 6, 8, 10, 16, 20, 32, 48, 64]) {
    for (let i = 0; i < 4; i++) cases.push([1 + rnd.int(i < 2 ? 600 : 9000), p]);
  }
  for (const [length, p] of cases) {
    const codec = await loadCodec({ parity: p });
    const data = seededBytes(length, length * 31 + p);
    const parity = codec.encode(data);
    assert.is(parity.length, blockLayout(length, p).parityLength);
    assert.ok(Buffer.from(parity).equals(Buffer.from(referenceEncodeBlock(data, p))), `parity differs for length ${length}, p ${p}`);
    assert.ok(codec.check(data, parity), `clean block fails the check (length ${length}, p ${p})`);
    assert.ok(referenceCheckBlock(data, parity, p));
  }
});

test('encode into a reused buffer writes the same parity there', async () => {
  const codec = await loadCodec();
  const out = new Uint8Array(blockLayout(5000).parityLength).fill(7);
  for (const seed of [1, 2]) {
    const data = seededBytes(5000, seed);
    const same = codec.encode(data, out);
    assert.ok(same === out, 'returns the given buffer');
    assert.ok(Buffer.from(out).equals(Buffer.from(referenceEncodeBlock(data, 16))));
  }
  assert.throws(() => codec.encode(new Uint8Array(5000), new Uint8Array(10)), /expected 512 parity bytes for 5000 data bytes \(parity 16\), got 10/);
});

test('encode with hashInto: the same parity, and BLAKE2b of the data (hash-wasm) in hashInto', async () => {
  const rnd = seededRandom(11);
  const reference = { 16: await createBLAKE2b(128), 32: await createBLAKE2b(256) };
  for (let i = 0; i < 200; i++) {
    const length = i === 0 ? 0 : 1 + rnd.int(i < 100 ? 3000 : 1 << 17);
    const p = 2 * (1 + rnd.int(32));
    const codec = await loadCodec({ parity: p });
    const data = seededBytes(length, i);
    const size = i % 2 === 0 ? 32 : 16;
    const hash = new Uint8Array(size);
    const parity = codec.encode(data, undefined, hash);
    assert.ok(Buffer.from(parity).equals(Buffer.from(referenceEncodeBlock(data, p))), `parity (length ${length}, p ${p})`);
    assert.is(Buffer.from(hash).toString('hex'), reference[size].init().update(data).digest('hex'), `hash (length ${length}, ${size} bytes)`);
  }
  const codec = await loadCodec();
  assert.throws(() => codec.encode(new Uint8Array(10), undefined, new Uint8Array(65)), /hashInto must hold 1 to 64 bytes/);
  assert.throws(() => codec.encode(new Uint8Array(10), undefined, new Uint8Array(0)), /hashInto must hold 1 to 64 bytes/);
});

test('encodePair: the parity and hash of each block, as encode with hashInto gives them one by one', async () => {
  const rnd = seededRandom(13);
  for (let i = 0; i < 120; i++) {
    const length = i === 0 ? 0 : 1 + rnd.int(i < 60 ? 700 : 150_000);
    const p = 2 * (1 + rnd.int(32));
    const codec = await loadCodec({ parity: p });
    const a = seededBytes(length, 2 * i);
    const b = seededBytes(length, 2 * i + 1);
    const size = [16, 32, 64][i % 3];
    const parityLength = blockLayout(length, p).parityLength;
    const [intoA, intoB] = [new Uint8Array(parityLength), new Uint8Array(parityLength)];
    const [hashA, hashB] = [new Uint8Array(size), new Uint8Array(size)];
    codec.encodePair(a, b, intoA, intoB, hashA, hashB);
    const [wantA, wantB] = [new Uint8Array(size), new Uint8Array(size)];
    const parityA = codec.encode(a, undefined, wantA);
    const parityB = codec.encode(b, undefined, wantB);
    assert.ok(Buffer.from(intoA).equals(Buffer.from(parityA)) && Buffer.from(intoB).equals(Buffer.from(parityB)), `parity (length ${length}, p ${p})`);
    assert.is(Buffer.from(hashA).toString('hex'), Buffer.from(wantA).toString('hex'), `first hash (length ${length}, ${size} bytes)`);
    assert.is(Buffer.from(hashB).toString('hex'), Buffer.from(wantB).toString('hex'), `second hash (length ${length}, ${size} bytes)`);
  }
  const codec = await loadCodec();
  const pl = blockLayout(100).parityLength;
  assert.throws(() => codec.encodePair(new Uint8Array(100), new Uint8Array(101), new Uint8Array(pl), new Uint8Array(pl), new Uint8Array(32), new Uint8Array(32)), /two blocks of one length/);
  assert.throws(() => codec.encodePair(new Uint8Array(100), new Uint8Array(100), new Uint8Array(pl), new Uint8Array(pl), new Uint8Array(32), new Uint8Array(16)), /one length/);
});

test('seal: the last checkLength bytes become BLAKE2b of the bytes before them, the parity is that of the sealed data', async () => {
  const rnd = seededRandom(12);
  for (let i = 0; i < 100; i++) {
    const length = i === 0 ? 96 : 1 + rnd.int(i < 50 ? 400 : 70000);
    const p = i === 0 ? 16 : 2 * (1 + rnd.int(32));
    const checkLength = Math.min(length, i === 0 ? 16 : 1 + rnd.int(64));
    const codec = await loadCodec({ parity: p });
    const data = seededBytes(length, i);
    const hashed = data.slice(0, length - checkLength);
    const into = new Uint8Array(blockLayout(length, p).parityLength).fill(9);
    codec.seal(data, checkLength, into);
    assert.ok(Buffer.from(data.subarray(0, length - checkLength)).equals(Buffer.from(hashed)), 'the hashed bytes are left alone');
    const check = (await createBLAKE2b(8 * checkLength)).update(hashed).digest('hex');
    assert.is(Buffer.from(data.subarray(length - checkLength)).toString('hex'), check, `check (length ${length}, ${checkLength} bytes)`);
    assert.ok(Buffer.from(into).equals(Buffer.from(referenceEncodeBlock(data, p))), `parity of the sealed data (length ${length}, p ${p})`);
  }
  const codec = await loadCodec();
  assert.throws(() => codec.seal(new Uint8Array(10), 11, new Uint8Array(blockLayout(10).parityLength)), /checkLength must be 1 to 64/);
  assert.throws(() => codec.seal(new Uint8Array(10), 4, new Uint8Array(3)), /expected 256 parity bytes/);
});

test('encode of all zeros and all 0xff matches the reference', async () => {
  const codec = await loadCodec();
  for (const fill of [0, 0xff]) {
    const data = new Uint8Array(5000).fill(fill);
    assert.equal(Array.from(codec.encode(data)), Array.from(referenceEncodeBlock(data, 16)));
  }
});

test('check: any single damaged byte in data or parity is detected', async () => {
  const codec = await loadCodec();
  const rnd = seededRandom(12);
  const data = seededBytes(20000, 5);
  const parity = codec.encode(data);
  for (let i = 0; i < 300; i++) {
    const o = rnd.int(data.length + parity.length);
    const flip = 1 + rnd.int(255);
    const target = o < data.length ? data : parity;
    const at = o < data.length ? o : o - data.length;
    target[at] ^= flip;
    assert.not.ok(codec.check(data, parity), `damage at offset ${o} not detected`);
    target[at] ^= flip;
  }
  assert.ok(codec.check(data, parity));
});

test('decode of a clean block changes nothing', async () => {
  const codec = await loadCodec();
  const data = seededBytes(65536, 3);
  const parity = codec.encode(data);
  const before = data.slice();
  assert.equal(codec.decode(data, parity), { ok: true, corrected: 0, failedCodewords: [] });
  assert.equal(codec.decode(data, parity, [0, 100, 65536 + 4607]), { ok: true, corrected: 0, failedCodewords: [] });
  assert.ok(Buffer.from(before).equals(Buffer.from(data)));
});

/**
 * Damages every codeword of the block with `errors` errors at random positions and `erasures`
 * erased positions (listed; an erased byte is overwritten with a random value, which may equal the
 * original). Returns the erasure list and the number of bytes that differ from the original.
 */
function damage(data: Uint8Array, parity: Uint8Array, p: number, errors: number, erasures: number, seed: number) {
  const { stride: N, dataPerCodeword: k } = blockLayout(data.length, p);
  const rnd = seededRandom(seed);
  const list: number[] = [];
  let changed = 0;
  for (let c = 0; c < N; c++) {
    // stored positions of codeword c as offsets in [data | parity]
    const positions: number[] = [];
    for (let s = 0; s < k; s++) if (s * N + c < data.length) positions.push(s * N + c);
    for (let t = 0; t < p; t++) positions.push(data.length + t * N + c);
    for (let i = positions.length - 1; i > 0; i--) {
      const j = rnd.int(i + 1);
      [positions[i], positions[j]] = [positions[j], positions[i]];
    }
    positions.slice(0, errors + erasures).forEach((o, i) => {
      const erased = i >= errors;
      const flip = erased ? rnd.int(256) : 1 + rnd.int(255);
      if (o < data.length) data[o] ^= flip;
      else parity[o - data.length] ^= flip;
      if (flip) changed++;
      if (erased) list.push(o);
    });
  }
  return { list, changed };
}

test('decode: every mix with 2*errors + erasures <= p is corrected (p = 16, every codeword hit)', async () => {
  const codec = await loadCodec();
  let seed = 100;
  for (let errors = 0; errors <= 8; errors++) {
    for (let erasures = 0; 2 * errors + erasures <= 16; erasures++) {
      for (const length of [4000, 3001]) {
        const original = seededBytes(length, seed++);
        const cleanParity = codec.encode(original);
        const data = original.slice();
        const parity = cleanParity.slice();
        const { list, changed } = damage(data, parity, 16, errors, erasures, seed++);
        const result = codec.decode(data, parity, list);
        const at = `errors ${errors}, erasures ${erasures}, length ${length}`;
        assert.equal(result.failedCodewords, [], at);
        assert.ok(result.ok, at);
        assert.is(result.corrected, changed, at);
        assert.ok(Buffer.from(data).equals(Buffer.from(original)), `data not restored: ${at}`);
        assert.ok(Buffer.from(parity).equals(Buffer.from(cleanParity)), `parity not restored: ${at}`);
      }
    }
  }
});

test('decode: within the budget for other parity counts (2..64), random mixes', async () => {
  const rnd = seededRandom(21);
  for (const p of [2, 4, 6, 8, 12, 20, 32, 40, 64]) {
    const codec = await loadCodec({ parity: p });
    for (let round = 0; round < 12; round++) {
      const errors = rnd.int(p / 2 + 1);
      const erasures = rnd.int(p - 2 * errors + 1);
      const length = 1 + rnd.int(6000);
      const original = seededBytes(length, round * 97 + p);
      const cleanParity = codec.encode(original);
      const data = original.slice();
      const parity = cleanParity.slice();
      const { list, changed } = damage(data, parity, p, errors, erasures, round + 1000 * p);
      const result = codec.decode(data, parity, list);
      const at = `p ${p}, errors ${errors}, erasures ${erasures}, length ${length}`;
      assert.ok(result.ok, at);
      assert.is(result.corrected, changed, at);
      assert.ok(Buffer.from(data).equals(Buffer.from(original)), at);
      assert.ok(Buffer.from(parity).equals(Buffer.from(cleanParity)), at);
    }
  }
});

test('decode: duplicate erasures count once; erasures of clean bytes are harmless', async () => {
  const codec = await loadCodec();
  const original = seededBytes(3000, 8);
  const cleanParity = codec.encode(original);
  const data = original.slice();
  const parity = cleanParity.slice();
  const { stride } = blockLayout(3000);
  // codeword 5: 16 erased positions listed twice each, 10 of them really damaged
  const list: number[] = [];
  for (let s = 0; s < 10; s++) {
    data[s * stride + 5] ^= 0x5a;
    list.push(s * stride + 5, s * stride + 5);
  }
  for (let t = 0; t < 6; t++) list.push(3000 + t * stride + 5, 3000 + t * stride + 5);
  const result = codec.decode(data, parity, list);
  assert.equal(result, { ok: true, corrected: 10, failedCodewords: [] });
  assert.ok(Buffer.from(data).equals(Buffer.from(original)));
});

test('decode: a codeword beyond the budget is reported and left as it was; the others are corrected', async () => {
  const codec = await loadCodec();
  const original = seededBytes(8192, 9);
  const cleanParity = codec.encode(original);
  const data = original.slice();
  const parity = cleanParity.slice();
  const { stride } = blockLayout(8192);
  // codeword 3: 17 erasures (one more than p); codeword 7: 3 errors (correctable)
  const list: number[] = [];
  for (let s = 0; s < 17; s++) {
    data[s * stride + 3] ^= 1;
    list.push(s * stride + 3);
  }
  for (let s = 0; s < 3; s++) data[s * stride + 7] ^= 0x80;
  const damaged = data.slice();
  const result = codec.decode(data, parity, list);
  assert.equal(result, { ok: false, corrected: 3, failedCodewords: [3] });
  for (let s = 0; s < 17; s++) assert.is(data[s * stride + 3], damaged[s * stride + 3], 'failed codeword untouched');
  for (let s = 0; s < 3; s++) assert.is(data[s * stride + 7], original[s * stride + 7], 'codeword 7 corrected');
});

test('arguments: wrong parity length, bad erasures and non-bytes are refused with the facts', async () => {
  const codec = await loadCodec();
  const data = new Uint8Array(1000);
  assert.throws(() => codec.check(data, new Uint8Array(10)), /expected 256 parity bytes for 1000 data bytes \(parity 16\), got 10/);
  const parity = codec.encode(data);
  assert.throws(() => codec.decode(data, parity, [1256]), /erasure 0 is 1256, expected a byte offset from 0 to 1255/);
  assert.throws(() => codec.decode(data, parity, [-1]), /erasure 0 is -1/);
  assert.throws(() => codec.decode(data, parity, [0.5]), /erasure 0 is 0.5/);
  assert.throws(() => codec.encode([1, 2, 3] as unknown as Uint8Array), /data must be a Uint8Array/);
  await assert.throws(() => loadCodec({ parity: 3 }), /even integer/);
});

test('a Uint8Array from another realm (vm context) is accepted; a Uint16Array is not', async () => {
  const { runInNewContext } = await import('node:vm');
  const codec = await loadCodec();
  const foreign = runInNewContext('new Uint8Array(300).map((_, i) => i & 0xff)') as Uint8Array;
  assert.not.ok(foreign instanceof Uint8Array);
  const local = new Uint8Array(300).map((_, i) => i & 0xff);
  assert.ok(Buffer.from(codec.encode(foreign)).equals(Buffer.from(codec.encode(local))));
  assert.throws(() => codec.encode(new Uint16Array(300) as unknown as Uint8Array), /data must be a Uint8Array/);
});

test('empty data: no parity, clean, nothing to decode', async () => {
  const codec = await loadCodec();
  const empty = new Uint8Array(0);
  assert.is(codec.encode(empty).length, 0);
  assert.ok(codec.check(empty, new Uint8Array(0)));
  assert.equal(codec.decode(empty, new Uint8Array(0)), { ok: true, corrected: 0, failedCodewords: [] });
});

test('memory grows for a bigger block; results are copies, never views into WASM memory', async () => {
  const codec = await loadCodec();
  const small = seededBytes(1000, 1);
  const smallParity = codec.encode(small);
  const big = seededBytes(12 << 20, 2); // forces memory.grow (detaches old views)
  const bigParity = codec.encode(big);
  assert.is(bigParity.length, blockLayout(big.length).parityLength);
  assert.is(bigParity.byteOffset, 0);
  assert.is(bigParity.buffer.byteLength, bigParity.length, 'parity owns its buffer');
  assert.ok(Buffer.from(codec.encode(small)).equals(Buffer.from(smallParity)), 'small block after growth');
  const again = smallParity.slice();
  codec.encode(seededBytes(1000, 99));
  assert.ok(Buffer.from(again).equals(Buffer.from(smallParity)), 'earlier results are not overwritten');
  // a large block with damage decodes after growth too
  big[5] ^= 1;
  big[big.length - 1] ^= 2;
  const result = codec.decode(big, bigParity);
  assert.equal(result, { ok: true, corrected: 2, failedCodewords: [] });
  assert.ok(codec.check(big, bigParity));
});

test('loadCodec is cached per parity count', async () => {
  assert.ok((await loadCodec()) === (await loadCodec({ parity: 16 })));
  assert.ok((await loadCodec({ parity: 8 })) !== (await loadCodec()));
  assert.is((await loadCodec({ parity: 8 })).parity, 8);
});

test.run();
