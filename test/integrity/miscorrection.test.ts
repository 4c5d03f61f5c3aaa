// Beyond the budget (2 * errors + erasures > p) a decoder cannot be right; it must either report
// the codeword as failed (and leave it as it was) or return a different valid codeword, which
// the container's BLAKE2b check then rejects. This file measures how often the second happens
// and prints the rates (NOTICE lines; docs/FORMAT.md quotes them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blake2b } from 'hash-wasm';
import { blockLayout, loadCodec } from '../../src/integrity/codec.js';
import { seededBytes, seededRandom } from '../helpers/env.js';
import { codewordOf, syndromes } from '../reference/rs.js';

const LENGTH = 16 * 239; // 16 full-length RS(255,239) codewords per block
const P = 16;

interface Tally { codewords: number; failed: number; miscorrected: number; right: number }

/** Damages every codeword of `blocks` blocks with `errors` errors and `erasures` listed erasures (all real). */
async function measure(errors: number, erasures: number, blocks: number, seed: number): Promise<Tally> {
  const codec = await loadCodec({ parity: P });
  const { stride, dataPerCodeword: k } = blockLayout(LENGTH, P);
  const rnd = seededRandom(seed);
  const tally: Tally = { codewords: 0, failed: 0, miscorrected: 0, right: 0 };
  let verified = 0;
  for (let b = 0; b < blocks; b++) {
    const original = seededBytes(LENGTH, seed * 100003 + b);
    const cleanParity = codec.encode(original);
    const data = original.slice();
    const parity = cleanParity.slice();
    const list: number[] = [];
    for (let c = 0; c < stride; c++) {
      const chosen = new Set<number>();
      while (chosen.size < errors + erasures) chosen.add(rnd.int(k + P));
      let i = 0;
      for (const s of chosen) {
        const o = s < k ? s * stride + c : LENGTH + (s - k) * stride + c;
        if (o < LENGTH) data[o] ^= 1 + rnd.int(255);
        else parity[o - LENGTH] ^= 1 + rnd.int(255);
        if (i++ >= errors) list.push(o);
      }
    }
    const damaged = data.slice();
    const damagedParity = parity.slice();
    const result = codec.decode(data, parity, list);
    const failed = new Set(result.failedCodewords);
    for (let c = 0; c < stride; c++) {
      tally.codewords++;
      const now = codewordOf(data, parity, c, P);
      if (failed.has(c)) {
        tally.failed++;
        assert.equal(now, codewordOf(damaged, damagedParity, c, P), 'a failed codeword is left as it was');
        continue;
      }
      const want = codewordOf(original, cleanParity, c, P);
      const right = now.every((v, i) => v === want[i]);
      if (right) tally.right++;
      else tally.miscorrected++;
      if (verified < 40) {
        verified++;
        assert.ok(syndromes(now, P).every((s) => s === 0), 'a codeword reported as corrected is a valid codeword');
      }
    }
    if (result.failedCodewords.length < stride) {
      // what the container does: the block's hash no longer matches
      assert.is.not(await blake2b(data, 256), await blake2b(original, 256));
    }
  }
  return tally;
}

function report(what: string, t: Tally): number {
  const rate = t.miscorrected / t.codewords;
  console.log(
    `\nNOTICE: beyond the budget, ${what}: ${t.miscorrected} miscorrected of ${t.codewords} codewords ` +
      `(rate ${rate.toExponential(1)}), ${t.failed} reported as failed`,
  );
  return rate;
}

test('errors only, 9 errors per codeword (p = 16): failure reported, miscorrection rare', async () => {
  const t = await measure(9, 0, 30000, 1);
  const rate = report('9 errors per codeword, errors only', t);
  assert.is(t.right, 0, 'nothing beyond the budget can come back right');
  assert.ok(rate < 2e-4, `miscorrection rate ${rate} is far above the ~2e-5 expected of RS(255,239)`);
});

test('errors only, 20 errors per codeword (p = 16)', async () => {
  const t = await measure(20, 0, 6000, 2);
  const rate = report('20 errors per codeword, errors only', t);
  assert.is(t.right, 0);
  assert.ok(rate < 5e-4);
});

test('erasures beyond the budget miscorrect often: the caller must check the hash', async () => {
  const a = await measure(1, 16, 200, 3);
  report('16 erasures + 1 error per codeword', a);
  assert.is(a.right, 0);
  assert.is(a.miscorrected, a.codewords, 'with all parity spent on erasures no error can be detected');
  const b = await measure(3, 12, 500, 4);
  report('12 erasures + 3 errors per codeword', b);
  assert.is(b.right, 0);
  const c = await measure(5, 8, 500, 5);
  report('8 erasures + 5 errors per codeword', c);
  assert.is(c.right, 0);
});

test.run();
