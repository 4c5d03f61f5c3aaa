// Randomised decoding: random block sizes (so WASM memory grows and shrinks in use), parity
// counts, damage and erasure lists, inside and beyond the budget. Raw loads and stores in WASM
// have no bounds checks, so this is also the overrun test. Invariants, whatever the damage:
// - a codeword reported as failed is left exactly as it was;
// - `corrected` is the number of bytes that changed;
// - every other codeword is a valid codeword (all syndromes zero, checked with the reference);
// - a codeword damaged within its budget comes back as the original.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blockLayout, loadCodec } from '../../src/integrity/codec.js';
import { seededBytes, seededRandom } from '../helpers/env.js';
import { codewordOf, codewordOfOffset, syndromes } from '../reference/rs.js';

test('random damage and erasure lists: decode keeps its invariants', async () => {
  const rnd = seededRandom(2718);
  const ps = [16, 16, 16, 2, 4, 8, 10, 32, 64];
  const seen = { failed: 0, restored: 0, beyondReturned: 0 };
  for (let round = 0; round < 160; round++) {
    const p = ps[rnd.int(ps.length)];
    const codec = await loadCodec({ parity: p });
    const length = 1 + rnd.int(round % 10 === 0 ? 3_000_000 : 20_000);
    const layout = blockLayout(length, p);
    const original = seededBytes(length, round + 1);
    const cleanParity = codec.encode(original);
    const data = original.slice();
    const parity = cleanParity.slice();
    const total = length + layout.parityLength;
    // damage: a few codewords heavily, plus scattered bytes; erasures: some damaged, some clean
    const errorsIn = new Map<number, number>(); // codeword -> damaged bytes not listed
    const erasedIn = new Map<number, number>();
    const erasures: number[] = [];
    const damagedAt = new Set<number>();
    const hits = rnd.int(layout.stride * (p / 2 + 2));
    for (let i = 0; i < hits; i++) {
      const o = rnd.int(total);
      if (damagedAt.has(o)) continue;
      damagedAt.add(o);
      if (o < length) data[o] ^= 1 + rnd.int(255);
      else parity[o - length] ^= 1 + rnd.int(255);
      const c = codewordOfOffset(o, length, p);
      if (rnd.int(3) === 0) {
        erasures.push(o);
        erasedIn.set(c, (erasedIn.get(c) ?? 0) + 1);
      } else errorsIn.set(c, (errorsIn.get(c) ?? 0) + 1);
    }
    for (let i = rnd.int(20); i > 0; i--) {
      const o = rnd.int(total); // erasures of bytes that may be clean, and duplicates
      if (damagedAt.has(o)) continue;
      erasures.push(o, o);
      damagedAt.add(o);
      const c = codewordOfOffset(o, length, p);
      erasedIn.set(c, (erasedIn.get(c) ?? 0) + 1);
    }
    const beforeData = data.slice();
    const beforeParity = parity.slice();
    const result = codec.decode(data, parity, erasures);
    const at = `round ${round}, length ${length}, p ${p}`;

    let changed = 0;
    for (let i = 0; i < length; i++) if (data[i] !== beforeData[i]) changed++;
    for (let i = 0; i < parity.length; i++) if (parity[i] !== beforeParity[i]) changed++;
    assert.is(result.corrected, changed, `corrected counts the changed bytes (${at})`);
    assert.is(result.ok, result.failedCodewords.length === 0);
    if (result.ok) assert.ok(codec.check(data, parity), `ok means clean (${at})`);

    const failed = new Set(result.failedCodewords);
    let sampled = 0;
    for (let c = 0; c < layout.stride; c++) {
      const within = 2 * (errorsIn.get(c) ?? 0) + (erasedIn.get(c) ?? 0) <= p;
      if (failed.has(c)) {
        assert.not.ok(within, `codeword ${c} within its budget was not corrected (${at})`);
        seen.failed++;
        assert.equal(codewordOf(data, parity, c, p), codewordOf(beforeData, beforeParity, c, p), `failed codeword ${c} untouched`);
        continue;
      }
      if (within) {
        assert.equal(codewordOf(data, parity, c, p), codewordOf(original, cleanParity, c, p), `codeword ${c} restored (${at})`);
        if (errorsIn.has(c) || erasedIn.has(c)) seen.restored++;
      } else if (sampled++ < 4) {
        seen.beyondReturned++;
        assert.ok(syndromes(codewordOf(data, parity, c, p), p).every((s) => s === 0), `codeword ${c} is a codeword (${at})`);
      }
    }
  }
  console.log(`NOTICE: fuzz: ${seen.restored} damaged codewords restored, ${seen.failed} reported failed, ${seen.beyondReturned} sampled beyond-budget codewords returned as valid codewords`);
  assert.ok(seen.failed > 100 && seen.restored > 1000, 'the rounds exercise both outcomes');
});

test('the same block decoded after other sizes gives the same result (no state leaks between calls)', async () => {
  const codec = await loadCodec();
  const original = seededBytes(30000, 5);
  const cleanParity = codec.encode(original);
  const damage = (seed: number) => {
    const rnd = seededRandom(seed);
    const data = original.slice();
    const parity = cleanParity.slice();
    for (let i = 0; i < 900; i++) data[rnd.int(data.length)] ^= 1 + rnd.int(255);
    return { data, parity };
  };
  const first = damage(9);
  const r1 = codec.decode(first.data, first.parity, [1, 2, 3]);
  codec.decode(seededBytes(2_000_000, 1), codec.encode(seededBytes(2_000_000, 1)));
  (await loadCodec({ parity: 32 })).encode(seededBytes(777, 2));
  const second = damage(9);
  const r2 = codec.decode(second.data, second.parity, [1, 2, 3]);
  assert.equal(r1, r2);
  assert.ok(Buffer.from(first.data).equals(Buffer.from(second.data)));
});

test.run();
