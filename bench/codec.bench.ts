// Reed-Solomon codec throughput on one core: encode, clean check, and correction at 1 and at 8
// byte errors per codeword, over 64 KiB blocks with 16 parity symbols, each next to a memory copy
// and hash-wasm BLAKE2b-256 of the same bytes measured in this run. DBS_BENCH_MIB sets the size
// (default 256 MiB; use a few MiB while developing on a shared machine). Times are this process's
// CPU time (user + system), so other work on a shared machine does not count against a figure;
// DBS_BENCH_CLOCK=wall measures wall time instead.
import { randomFillSync } from 'node:crypto';
import { createBLAKE2b } from 'hash-wasm';
import { loadBlake2b } from '../src/integrity/blake2b.js';
import { blockLayout, loadCodec } from '../src/integrity/codec.js';
import { seededRandom } from '../test/helpers/env.js';
import { fmt, mbps, MiB, row, section } from './lib.js';

const totalMiB = Number(process.env.DBS_BENCH_MIB || 256);
const BLOCK = 64 * 1024;
const PARITY = 16;
const runs = Number(process.env.DBS_BENCH_RUNS || 3);

const wall = process.env.DBS_BENCH_CLOCK === 'wall';
/** Seconds on the chosen clock. */
function clock(): number {
  if (wall) return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
/** A full GC before each timed run (bench/run.ts passes --expose-gc), so no run pays for the garbage of another. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
/** Median seconds of `runs` calls of fn. */
async function timeIt(fn: () => unknown, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    collectGarbage();
    const start = clock();
    await fn();
    times.push(clock() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const size = totalMiB * MiB;
const data = new Uint8Array(size);
for (let o = 0; o < size; o += 1 << 16) randomFillSync(data, o, Math.min(1 << 16, size - o));
const blocks: Uint8Array[] = [];
for (let o = 0; o < size; o += BLOCK) blocks.push(data.subarray(o, Math.min(o + BLOCK, size)));
const layout = blockLayout(BLOCK, PARITY);
const codec = await loadCodec({ parity: PARITY });
const hasher = await createBLAKE2b(256);

// Tier-up: about 1 MiB of each operation before anything is timed.
const warm = blocks.slice(0, 16);
for (let i = 0; i < 3; i++) {
  for (const b of warm) {
    const p = codec.encode(b);
    codec.check(b, p);
    codec.decode(b, p);
    hasher.init();
    hasher.update(b);
    hasher.digest('binary');
  }
}

const parities: Uint8Array[] = new Array(blocks.length);
const copyTarget = new Uint8Array(size);

const tCopy = await timeIt(() => copyTarget.set(data), runs);
const tHash = await timeIt(() => {
  for (const b of blocks) {
    hasher.init();
    hasher.update(b);
    hasher.digest('binary');
  }
}, runs);
// The same BLAKE2b-256 from the codec's own module (what containers use), and encode with it.
const ours = await loadBlake2b();
const tOurHash = await timeIt(() => {
  for (const b of blocks) ours.digest(b, 32);
}, runs);
const tEncode = await timeIt(() => {
  for (let i = 0; i < blocks.length; i++) parities[i] = codec.encode(blocks[i]);
}, runs);
const digest = new Uint8Array(32);
const tEncodeHashed = await timeIt(() => {
  for (let i = 0; i < blocks.length; i++) codec.encode(blocks[i], undefined, digest);
}, runs);
const reused = new Uint8Array(layout.parityLength);
const tEncodeInto = await timeIt(() => {
  for (let i = 0; i < blocks.length; i++) codec.encode(blocks[i], reused);
}, runs);
const tCheck = await timeIt(() => {
  for (let i = 0; i < blocks.length; i++) if (!codec.check(blocks[i], parities[i])) throw new Error(`block ${i} not clean`);
}, runs);

// Damages every codeword of every block with `errors` byte errors, or with `errors` erased bytes
// whose offsets are passed in (not timed), then times the decode of every block and proves the
// block is clean again.
async function correction(errors: number, erased = false): Promise<number> {
  const rnd = seededRandom(errors * 7919 + (erased ? 1 : 0));
  const lists: number[][] = blocks.map(() => []);
  const { stride, dataPerCodeword: k } = layout;
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      const p = parities[i];
      for (let c = 0; c < stride; c++) {
        const used = new Set<number>();
        while (used.size < errors) {
          const s = rnd.int(k + PARITY);
          if (s < k && s * stride + c >= b.length) continue;
          used.add(s);
        }
        for (const s of used) {
          const flip = 1 + rnd.int(255);
          const o = s < k ? s * stride + c : b.length + (s - k) * stride + c;
          if (s < k) b[o] ^= flip;
          else p[o - b.length] ^= flip;
          if (erased) lists[i].push(o);
        }
      }
    }
    collectGarbage();
    const start = clock();
    let fixed = 0;
    for (let i = 0; i < blocks.length; i++) {
      const r = codec.decode(blocks[i], parities[i], erased ? lists[i] : undefined);
      if (!r.ok) throw new Error(`block ${i}: ${r.failedCodewords.length} codewords not corrected`);
      fixed += r.corrected;
    }
    times.push(clock() - start);
    for (const list of lists) list.length = 0;
    if (fixed !== errors * stride * blocks.length) throw new Error(`corrected ${fixed} bytes, expected ${errors * stride * blocks.length}`);
  }
  for (let i = 0; i < blocks.length; i++) if (!codec.check(blocks[i], parities[i])) throw new Error(`block ${i} not clean after decode`);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const tFix1 = await correction(1);
const tFix8 = await correction(8);
const tErase16 = await correction(16, true);

section(`Reed-Solomon RS(255,239), ${fmt(totalMiB)} MiB random data in 64 KiB blocks (stride ${layout.stride}, k ${layout.dataPerCodeword}), one core, median of ${runs}, ${wall ? 'wall' : 'CPU'} time`);
const copy = mbps(size, tCopy);
const hash = mbps(size, tHash);
const anchors = `copy ${fmt(copy)} MB/s, BLAKE2b ${fmt(hash)} MB/s`;
const line = (what: string, seconds: number, target?: number) => {
  const v = mbps(size, seconds);
  row(what, `${fmt(v)} MB/s`, anchors, target === undefined ? undefined : { ok: v >= target, text: `>= ${fmt(target)} MB/s` });
};
row('memory copy (TypedArray.set)', `${fmt(copy)} MB/s`);
row('hash-wasm BLAKE2b-256 per block', `${fmt(hash)} MB/s`);
row('BLAKE2b-256 per block, codec module (ours)', `${fmt(mbps(size, tOurHash))} MB/s`, `hash-wasm ${fmt(hash)} MB/s`);
line('encode', tEncode, 1200);
line('encode + BLAKE2b-256 of the block (hashInto)', tEncodeHashed);
line('encode into a reused parity buffer', tEncodeInto);
line('clean check', tCheck, 1000);
line('correction, 1 error per codeword', tFix1);
line('correction, 8 errors per codeword', tFix8, 60);
line('correction, 16 erasures per codeword', tErase16);
