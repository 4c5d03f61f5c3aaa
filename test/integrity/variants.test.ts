// The two builds of the codec (plain SIMD and relaxed SIMD, see src/integrity/wasm.ts) must give
// the same bytes: identical parity, identical decode results, on random blocks. Node 20 knows
// relaxed SIMD only behind a flag, which this file turns on for itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { blockLayout, createCodec } from '../../src/integrity/codec.js';
import { codecWasmBytes, instantiateCodecWasm } from '../../src/integrity/wasm.js';
import { seededBytes, seededRandom } from '../helpers/env.js';
import { referenceEncodeBlock } from '../reference/rs.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');
const root = new URL('../../', import.meta.url).pathname;

/** The relaxed build: inlined if the build script inlines it, else built here with asc. */
function relaxedBytes(): Uint8Array<ArrayBuffer> {
  const inlined = codecWasmBytes('relaxed-simd');
  if (inlined) return inlined;
  const dir = mkdtempSync(join(tmpdir(), 'dbs-relaxed-'));
  try {
    const out = join(dir, 'codec-relaxed.wasm');
    execFileSync(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), 'assembly/index.ts', '--target', 'relaxed', '-o', out], { cwd: root });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const relaxed = relaxedBytes();
const plain = codecWasmBytes('simd')!;

test('the relaxed build validates here (with the flag) and differs from the plain one', () => {
  assert.ok(WebAssembly.validate(relaxed), 'relaxed SIMD module validates');
  assert.not.ok(Buffer.from(relaxed).equals(Buffer.from(plain)));
});

test('plain and relaxed builds: identical parity and identical decoding on random blocks', async () => {
  const a = await instantiateCodecWasm(plain, 'simd');
  const b = await instantiateCodecWasm(relaxed, 'relaxed-simd');
  const rnd = seededRandom(44);
  for (const p of [16, 2, 8, 32, 64]) {
    const ca = createCodec(a.exports, p);
    const cb = createCodec(b.exports, p);
    for (let round = 0; round < 8; round++) {
      const length = 1 + rnd.int(round < 4 ? 70000 : 3000);
      const data = seededBytes(length, round * 1000 + p);
      const pa = ca.encode(data);
      const pb = cb.encode(data);
      assert.ok(Buffer.from(pa).equals(Buffer.from(pb)), `parity differs, p ${p}, length ${length}`);
      if (round === 0) assert.ok(Buffer.from(pa).equals(Buffer.from(referenceEncodeBlock(data, p))), 'and equals the reference');
      // damage up to the budget and a bit beyond in some codewords; both builds must agree
      const { stride } = blockLayout(length, p);
      const da = data.slice();
      const qa = pa.slice();
      const erasures: number[] = [];
      for (let i = 0; i < stride * (p / 2); i++) {
        const o = rnd.int(length + qa.length);
        if (o < length) da[o] ^= 1 + rnd.int(255);
        else qa[o - length] ^= 1 + rnd.int(255);
        if (rnd.int(4) === 0) erasures.push(o);
      }
      const db = da.slice();
      const qb = qa.slice();
      const ra = ca.decode(da, qa, erasures);
      const rb = cb.decode(db, qb, erasures);
      assert.equal(ra, rb, `decode results differ, p ${p}, length ${length}`);
      assert.ok(Buffer.from(da).equals(Buffer.from(db)) && Buffer.from(qa).equals(Buffer.from(qb)));
      assert.is(ca.check(da, qa), cb.check(db, qb));
    }
  }
});

test.run();
