// Seeded fuzzing: arbitrary mutations of a valid container (byte flips, overwrites, insertions,
// deletions, truncation, duplicated or foreign frames, well-formed heads with absurd fields) never
// crash or hang the reader, never return wrong data, and never make it allocate without bound:
// every case ends in the exact payload or a typed DbsError, quickly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protect, recover } from '../../src/container/index.js';
import { HEAD_SIZE, HEAD_DATA, KIND } from '../../src/container/format.js';
import { encodeHead, loadTools } from '../../src/container/frames.js';
import { DbsError } from '../../src/errors.js';
import { seededBytes, seededRandom } from '../helpers/env.js';

const CASES = Number(process.env.DBS_FUZZ_CASES ?? 400);
const SEED = Number(process.env.DBS_FUZZ_SEED ?? 20261126);
const PAYLOAD = seededBytes(6000, 31);
const META = seededBytes(50, 32);
const base = await protect(PAYLOAD, { meta: META, blockSize: 1024, parity: 8 });
const foreign = await protect(seededBytes(3000, 33), { meta: META, blockSize: 1024, parity: 8 });
const tools = await loadTools([8]);

function heads(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 < bytes.length; i++) if (bytes[i] === 0x89 && bytes[i + 1] === 0x44 && bytes[i + 2] === 0x42 && bytes[i + 3] === 0x53) out.push(i);
  return out;
}
const baseHeads = heads(base);

type Rnd = ReturnType<typeof seededRandom>;
const mutations: ((b: Uint8Array, r: Rnd) => Uint8Array)[] = [
  (b, r) => { for (let n = 1 + r.int(50); n > 0; n--) b[r.int(b.length)] ^= 1 << r.int(8); return b; },
  (b, r) => { const at = r.int(b.length); b.fill(r.int(3) === 0 ? 0 : r.int(256), at, at + 1 + r.int(5000)); return b; },
  (b, r) => { const at = r.int(b.length); const n = 1 + r.int(3000); const out = new Uint8Array(b.length + n); out.set(b.subarray(0, at)); out.set(seededBytes(n, r.int(1e9)), at); out.set(b.subarray(at), at + n); return out; },
  (b, r) => { const at = r.int(b.length); const n = Math.min(1 + r.int(3000), b.length - at); const out = new Uint8Array(b.length - n); out.set(b.subarray(0, at)); out.set(b.subarray(at + n), at); return out; },
  (b, r) => b.subarray(0, r.int(b.length + 1)),
  (b, r) => { const from = baseHeads[r.int(baseHeads.length)]; const to = r.int(b.length); b.set(base.subarray(from, from + 2000).subarray(0, Math.max(0, b.length - to)), to); return b; },
  (b, r) => { const at = r.int(foreign.length - 3000); const to = r.int(b.length); b.set(foreign.subarray(at, at + 3000).subarray(0, Math.max(0, b.length - to)), to); return b; },
  // A well-formed head (valid check and parity) with absurd fields, over an existing head.
  (b, r) => {
    const at = baseHeads[r.int(baseHeads.length)];
    if (at + HEAD_SIZE > b.length) return b;
    const pick = <T,>(xs: T[]) => xs[r.int(xs.length)];
    encodeHead(tools, b, at, {
      kind: pick([KIND.HEADER, KIND.TRAILER, KIND.META, KIND.MANIFEST, KIND.BLOCK, 0, 200]),
      copy: pick([0, 1, 2, 255]),
      flags: pick([0, 1, 255]),
      bodyParity: pick([8, 32, 0, 7, 200]),
      index: pick([0, 1, 5, 0xffff_ffff, r.int(1 << 30)]),
      length: pick([0, 1024, 1 << 24, 0xffff_ffff, r.int(1 << 20)]),
      id: r.int(2) ? b.slice(at + 32, at + 48) : seededBytes(16, r.int(1e9)),
      hash: seededBytes(32, r.int(1e9)),
    });
    void HEAD_DATA;
    return b;
  },
];

test(`${CASES} seeded mutations: exact payload or a typed error, fast, bounded memory`, async () => {
  const rnd = seededRandom(SEED);
  const baseline = process.resourceUsage().maxRSS / 1024;
  let recovered = 0;
  let refused = 0;
  let slowest = 0;
  for (let k = 0; k < CASES; k++) {
    let bytes: Uint8Array = base.slice();
    const steps = 1 + rnd.int(4);
    const applied: number[] = [];
    for (let s = 0; s < steps; s++) {
      const m = rnd.int(mutations.length);
      applied.push(m);
      bytes = mutations[m](bytes, rnd);
    }
    const started = performance.now();
    try {
      const { payload, meta } = await recover(bytes.slice());
      assert.ok(Buffer.from(payload).equals(Buffer.from(PAYLOAD)), `case ${k} (mutations ${applied}): recovered data must be exact`);
      assert.ok(Buffer.from(meta).equals(Buffer.from(META)), `case ${k}: meta exact`);
      recovered++;
    } catch (error) {
      if (!(error instanceof DbsError)) throw new Error(`case ${k} (mutations ${applied}): untyped ${(error as Error)?.stack}`);
      refused++;
    }
    const ms = performance.now() - started;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < 5000, `case ${k} (mutations ${applied}) took ${ms.toFixed(0)} ms`);
  }
  const grew = process.resourceUsage().maxRSS / 1024 - baseline;
  console.log(`NOTICE: fuzz ${CASES} cases: ${recovered} recovered exactly, ${refused} refused with a typed error; slowest ${slowest.toFixed(0)} ms; peak RSS grew ${grew.toFixed(0)} MiB`);
  assert.ok(grew < 256, `peak memory grew by ${grew.toFixed(0)} MiB`);
  assert.ok(recovered > CASES / 4, 'most single mutations are healed');
});

test.run();
