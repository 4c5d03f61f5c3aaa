// Interleaving: blockLayout().burstBytes is the exact longest contiguous burst anywhere in
// [data | parity] that is always corrected without knowing where it is, erasureBurstBytes the same
// with the positions given. Checked three ways: against a brute-force count of how many bytes a
// window puts into one codeword, by decoding bursts of exactly that size at many offsets, and by
// showing that one byte more fails at the worst offset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blockLayout, loadCodec } from '../../src/integrity/codec.js';
import { seededBytes, seededRandom } from '../helpers/env.js';
import { codewordOfOffset } from '../reference/rs.js';

/** Largest B such that every window of B bytes puts at most `limit` bytes into any one codeword. */
function bruteForceBurst(dataLength: number, p: number, limit: number): number {
  const { stride, parityLength } = blockLayout(dataLength, p);
  const total = dataLength + parityLength;
  const owner = Array.from({ length: total }, (_, o) => codewordOfOffset(o, dataLength, p));
  const count = new Int32Array(stride);
  let best = total;
  // sliding window: for each start, grow the end until some codeword exceeds the limit
  let end = 0;
  let over = 0;
  for (let start = 0; start < total; start++) {
    while (end < total && over === 0) {
      if (++count[owner[end]] > limit) over++;
      end++;
    }
    if (over > 0) best = Math.min(best, end - start - 1);
    if (count[owner[start]]-- > limit) over--;
  }
  return best;
}

test('burstBytes and erasureBurstBytes equal a brute-force window count (many small layouts)', () => {
  const rnd = seededRandom(3);
  const cases: Array<[number, number]> = [[65536, 16], [3824, 16], [3825, 16], [4000, 16], [1, 16], [100, 2], [70000, 32]];
  for (let i = 0; i < 40; i++) cases.push([1 + rnd.int(12000), 2 * (1 + rnd.int(32))]);
  for (const [length, p] of cases) {
    const l = blockLayout(length, p);
    assert.is(l.burstBytes, bruteForceBurst(length, p, p / 2), `errors, length ${length}, p ${p}`);
    assert.is(l.erasureBurstBytes, bruteForceBurst(length, p, p), `erasures, length ${length}, p ${p}`);
  }
});

test('64 KiB block, p = 16: a burst of 2176 bytes is always corrected, documented figure', () => {
  const l = blockLayout(65536);
  assert.is(l.burstBytes, 2176);
  assert.is(l.erasureBurstBytes, 4480);
});

/** Offsets to try: both ends, around the data/parity seam, and random ones. */
function offsets(total: number, burst: number, dataLength: number, stride: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  const seam = dataLength - (dataLength % stride || stride); // start of the last (partial) data row
  const list = [0, total - burst, seam - burst + 1, seam, dataLength - burst, dataLength - 1, dataLength];
  for (let i = 0; i < 120; i++) list.push(rnd.int(total - burst + 1));
  return [...new Set(list.filter((o) => o >= 0 && o + burst <= total))];
}

function smash(data: Uint8Array, parity: Uint8Array, from: number, length: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  const positions: number[] = [];
  for (let o = from; o < from + length; o++) {
    const flip = 1 + rnd.int(255); // every byte of the burst really changes
    if (o < data.length) data[o] ^= flip;
    else parity[o - data.length] ^= flip;
    positions.push(o);
  }
  return positions;
}

for (const [length, p] of [[65536, 16], [10000, 8], [50000, 32]] as const) {
  test(`errors only: a burst of exactly burstBytes is corrected at every tried offset (length ${length}, p ${p})`, async () => {
    const codec = await loadCodec({ parity: p });
    const l = blockLayout(length, p);
    const original = seededBytes(length, length + p);
    const cleanParity = codec.encode(original);
    const total = length + l.parityLength;
    let seed = 1;
    for (const from of offsets(total, l.burstBytes, length, l.stride, p)) {
      const data = original.slice();
      const parity = cleanParity.slice();
      smash(data, parity, from, l.burstBytes, seed++);
      const result = codec.decode(data, parity);
      assert.ok(result.ok, `burst at ${from} not corrected: ${result.failedCodewords.length} codewords failed`);
      assert.is(result.corrected, l.burstBytes);
      assert.ok(Buffer.from(data).equals(Buffer.from(original)) && Buffer.from(parity).equals(Buffer.from(cleanParity)));
    }
  });

  test(`erasures: a burst of exactly erasureBurstBytes with known positions is corrected (length ${length}, p ${p})`, async () => {
    const codec = await loadCodec({ parity: p });
    const l = blockLayout(length, p);
    const original = seededBytes(length, length * 3 + p);
    const cleanParity = codec.encode(original);
    const total = length + l.parityLength;
    let seed = 500;
    for (const from of offsets(total, l.erasureBurstBytes, length, l.stride, p + 1).slice(0, 40)) {
      const data = original.slice();
      const parity = cleanParity.slice();
      const positions = smash(data, parity, from, l.erasureBurstBytes, seed++);
      const result = codec.decode(data, parity, positions);
      assert.ok(result.ok, `erased burst at ${from} not corrected`);
      assert.ok(Buffer.from(data).equals(Buffer.from(original)) && Buffer.from(parity).equals(Buffer.from(cleanParity)));
    }
  });

  test(`one byte more can fail: burstBytes + 1 and erasureBurstBytes + 1 at the seam (length ${length}, p ${p})`, async () => {
    const codec = await loadCodec({ parity: p });
    const l = blockLayout(length, p);
    const original = seededBytes(length, length + 7);
    const cleanParity = codec.encode(original);
    // The tightest windows cross the seam between the last data row and parity row 0.
    const lastRow = (l.dataPerCodeword - 1) * l.stride;
    for (const [size, erasures] of [[l.burstBytes + 1, false], [l.erasureBurstBytes + 1, true]] as const) {
      const budget = erasures ? p : p / 2;
      // the first start whose window puts budget + 1 bytes into codeword 0
      let worst = -1;
      for (let from = Math.max(0, lastRow - budget * l.stride); from <= lastRow + l.stride && worst < 0; from++) {
        let hits = 0;
        for (let o = from; o < from + size; o++) if (codewordOfOffset(o, length, p) === 0) hits++;
        if (hits > budget) worst = from;
      }
      assert.ok(worst >= 0, `a window of ${size} bytes reaching codeword 0 ${budget + 1} times exists`);
      const data = original.slice();
      const parity = cleanParity.slice();
      const positions = smash(data, parity, worst, size, 77);
      const result = codec.decode(data, parity, erasures ? positions : undefined);
      const restored = Buffer.from(data).equals(Buffer.from(original));
      assert.not.ok(result.ok && restored, `${size} bytes at ${worst} (${erasures ? 'erasures' : 'errors'}) were still corrected`);
      assert.ok(result.failedCodewords.includes(0) || !restored, 'codeword 0 reported or left wrong');
    }
  });
}

test.run();
