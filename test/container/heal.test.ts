// healBlock: the promise "non-overlapping damage in the two copies of a block always heals, whatever
// its size", overlapping damage within the Reed-Solomon budget heals, beyond it fails, never wrong data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCodec, blockLayout } from '../../src/integrity/codec.js';
import { loadHashers } from '../../src/container/hash.js';
import { healBlock, type BlockBody } from '../../src/container/heal.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const codec = await loadCodec({ parity: 16 });
const hashers = await loadHashers();
const SIZE = 65536;
const data = seededBytes(SIZE, 3);
const parity = codec.encode(data);
const hash = hashers.hash(data);
const TOTAL = SIZE + parity.length;
const layout = blockLayout(SIZE, 16);

function copy(): BlockBody {
  return { data: data.slice(), parity: parity.slice() };
}
/** Damage body positions [from, to) of a copy with random bytes (always different from the original). */
function damage(body: BlockBody, from: number, to: number, rnd: ReturnType<typeof seededRandom>, fill?: number): void {
  for (let i = from; i < to; i++) {
    const target = i < SIZE ? body.data : body.parity;
    const j = i < SIZE ? i : i - SIZE;
    target[j] = fill ?? target[j] ^ (1 + rnd.int(255));
  }
}
function heals(c0: BlockBody | undefined, c1: BlockBody | undefined, what: string) {
  const r = healBlock(codec, hashers, [hash], [c0, c1]);
  assert.ok(r.data, `${what}: healed (${r.outcome}, ${r.reason ?? ''})`);
  assert.ok(Buffer.from(r.data!).equals(Buffer.from(data)), `${what}: exact data`);
  return r;
}

test('clean, second copy, Reed-Solomon', () => {
  assert.is(heals(copy(), copy(), 'clean').outcome, 'clean');
  const a = copy();
  damage(a, 100, 30000, seededRandom(1));
  assert.is(heals(a, copy(), 'second').outcome, 'second-copy');
  assert.is(heals(undefined, copy(), 'missing first').outcome, 'second-copy');
  const b = copy();
  const c = copy();
  const rnd = seededRandom(2);
  // 8 errors in every codeword of both copies: within the budget of each.
  for (let cw = 0; cw < layout.stride; cw++) {
    for (let e = 0; e < 8; e++) {
      b.data[cw + layout.stride * ((e * 13 + cw) % 227)] ^= 1 + rnd.int(255);
      c.data[cw + layout.stride * ((e * 17 + cw + 5) % 227)] ^= 1 + rnd.int(255);
    }
  }
  assert.is(heals(b, c, '8 per codeword').outcome, 'rs');
});

test('non-overlapping bursts of any size in both copies always heal (200 seeded cases)', () => {
  const rnd = seededRandom(Number(process.env.HEAL_SEED ?? 42));
  for (let k = 0; k < Number(process.env.HEAL_CASES ?? 200); k++) {
    // Split [0, TOTAL) at random cut points; alternate which copy each piece's damage goes to,
    // leaving random clean gaps (sometimes none: damage in the two copies touching).
    const bursts = 1 + rnd.int(4);
    const cuts = Array.from({ length: 2 * bursts }, () => rnd.int(TOTAL)).sort((a, b) => a - b);
    const a = copy();
    const b = copy();
    const wipe = rnd.int(3) === 0;
    for (let j = 0; j < bursts; j++) {
      const from = cuts[2 * j];
      const to = cuts[2 * j + 1];
      const mid = rnd.int(3) === 0 ? to : from + rnd.int(to - from + 1);
      const [x, y] = rnd.int(2) ? [a, b] : [b, a];
      damage(x, from, mid, rnd, wipe ? 0 : undefined);
      damage(y, mid, to, rnd, wipe ? 0 : undefined);
    }
    if (process.env.DEBUG_CASE && Number(process.env.DEBUG_CASE) === k) console.log({ bursts, cuts, wipe });
    heals(a, b, `case ${k}`);
  }
});

test('half of the block destroyed in one copy, the other half in the other (touching damage)', () => {
  for (const split of [1, 4096, SIZE / 2, SIZE - 1, SIZE, SIZE + 100]) {
    const rnd = seededRandom(split);
    const a = copy();
    const b = copy();
    damage(a, 0, split, rnd);
    damage(b, split, TOTAL, rnd);
    heals(a, b, `split at ${split}`);
    const c = copy();
    const d = copy();
    damage(c, 0, split, rnd, 0);
    damage(d, split, TOTAL, rnd, 0);
    heals(c, d, `zeroed, split at ${split}`);
  }
});

test('sparse non-overlapping damage up to p differing bytes per codeword heals by erasures', () => {
  const rnd = seededRandom(8);
  const a = copy();
  const b = copy();
  // 12 errors in a codeword of one copy and 3 in the other's (alternating): each copy alone fails
  // (12 > 8), the 15 differing positions are within the 16-erasure budget.
  for (let cw = 0; cw < layout.stride; cw++) {
    const rows = new Set<number>();
    while (rows.size < 15) rows.add(rnd.int(layout.dataPerCodeword - 1));
    [...rows].forEach((row, n) => {
      const target = (n < 12) === (cw % 2 === 0) ? a : b;
      target.data[cw + row * layout.stride] ^= 1 + rnd.int(255);
    });
  }
  const r = heals(a, b, 'sparse');
  assert.is(r.outcome, 'combined');
});

test('a burst in one copy plus sparse damage in the other heals', () => {
  const rnd = seededRandom(9);
  const a = copy();
  const b = copy();
  damage(a, 5000, 45000, rnd);
  for (let n = 0; n < 300; n++) {
    const at = rnd.int(TOTAL);
    if (at >= 5000 && at < 45000) continue;
    damage(b, at, at + 1, rnd);
  }
  heals(a, b, 'burst + sparse');
});

test('overlapping damage beyond the budget fails and never returns wrong data', () => {
  const rnd = seededRandom(10);
  for (let k = 0; k < 8; k++) {
    const a = copy();
    const b = copy();
    const from = rnd.int(SIZE - 20000);
    damage(a, from, from + 10000 + rnd.int(10000), rnd);
    damage(b, from + rnd.int(5000), from + 10000 + rnd.int(10000), rnd);
    const r = healBlock(codec, hashers, [hash], [a, b]);
    if (r.data) assert.ok(Buffer.from(r.data).equals(Buffer.from(data)), 'if it heals, the data is exact');
    else assert.is(r.outcome, 'failed');
  }
  const r = healBlock(codec, hashers, [hash], [undefined, undefined]);
  assert.is(r.outcome, 'failed');
  assert.is(healBlock(codec, hashers, [], [copy(), copy()]).outcome, 'failed', 'no hash: never trusted');
});

test('other parities (4, 32, 64): non-overlapping damage in touching halves, and scattered within the solvable budget, heals', async () => {
  for (const p of [4, 32, 64]) {
    const c = await loadCodec({ parity: p });
    const d = seededBytes(8192, p);
    const par = c.encode(d);
    const h = hashers.hash(d);
    const total = d.length + par.length;
    const rnd = seededRandom(p);
    for (let k = 0; k < 10; k++) {
      const a = { data: d.slice(), parity: par.slice() };
      const b = { data: d.slice(), parity: par.slice() };
      const split = rnd.int(total);
      const put = (x: typeof a, i: number) => { if (i < d.length) x.data[i] ^= 1 + rnd.int(255); else x.parity[i - d.length] ^= 1 + rnd.int(255); };
      if (k % 2 === 0) {
        for (let i = 0; i < total; i++) put(i < split ? a : b, i);
      } else {
        // Scattered: on average half the solvable number of differing symbols per codeword (8p - 16).
        const density = Math.min(1 / 3, (8 * p - 16) / 2 / 255);
        for (let i = 0; i < total; i++) if (rnd.next() < density) put(rnd.int(2) ? a : b, i);
      }
      const r = healBlock(c, hashers, [h], [a, b]);
      assert.ok(r.data && Buffer.from(r.data).equals(Buffer.from(d)), `parity ${p}, case ${k}: ${r.outcome} ${r.reason ?? ''}`);
    }
  }
});

test.run();
