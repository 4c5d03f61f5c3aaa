// Block-level entry points. A block is laid out as rows of `stride` bytes: data row r holds data
// symbol r of every codeword, parity row t holds parity symbol t of every codeword, so 16
// consecutive codewords are one v128 per row. The JS wrapper copies the block in (data padded
// with zeros to k full rows), calls one of these, and copies results out.
import { initTables, setParity } from './gf';
import { remainderGroup } from './simd';
import { decodeColumn } from './decode';
import { BASE, REG, WORK } from './layout';
import { blake2b } from './blake2b';

let corrected: i32 = 0;

/**
 * Builds the GF tables (growing memory to hold them); call once after instantiation. Returns 0,
 * -1 when memory cannot grow, -2 when the static data overlaps the tables (a build error).
 */
export function init(): i32 {
  if (__heap_base > BASE) return -2;
  if (reserve(WORK) != 0) return -1;
  initTables();
  return 0;
}

/** Start of the work area the caller lays its buffers in. */
export function workBase(): usize {
  return WORK;
}

/** Grows memory so that [0, end) is addressable. Returns 0, or -1 when the memory cannot grow. */
export function reserve(end: usize): i32 {
  const have = <usize>memory.size() << 16;
  if (end <= have) return 0;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) < 0 ? -1 : 0;
}

/** Writes the p parity rows of the block (k data rows of `stride` bytes at data) to parity. */
export function encode(data: usize, parity: usize, stride: i32, k: i32, p: i32): void {
  setParity(p);
  const n = <usize>stride;
  for (let g: usize = 0; g < n; g += 16) {
    remainderGroup(data + g, n, k, p);
    for (let t = 0; t < p; t++) {
      v128.store(parity + <usize>t * n + g, v128.load(REG + <usize>((p - 1 - t) * 16)));
    }
  }
}

/**
 * Makes a block self-checking, then encodes it: BLAKE2b-(8 * checkLength) of its first `hashed`
 * bytes goes to the checkLength bytes after them, then the parity rows as encode() (frame heads:
 * one call instead of a hash and an encode).
 */
export function seal(data: usize, hashed: i32, checkLength: i32, parity: usize, stride: i32, k: i32, p: i32): void {
  blake2b(data, <usize>hashed, checkLength, data + <usize>hashed);
  encode(data, parity, stride, k, p);
}

/** 1 when every codeword of the block is clean (all syndromes zero), else 0. */
export function check(data: usize, parity: usize, stride: i32, k: i32, p: i32): i32 {
  setParity(p);
  const n = <usize>stride;
  for (let g: usize = 0; g < n; g += 16) {
    remainderGroup(data + g, n, k, p);
    let diff = i8x16.splat(0);
    for (let t = 0; t < p; t++) {
      diff = v128.or(diff, v128.xor(v128.load(REG + <usize>((p - 1 - t) * 16)), v128.load(parity + <usize>t * n + g)));
    }
    if (v128.any_true(diff)) return 0;
  }
  return 1;
}

/**
 * Corrects the block in place. `length` is the stored data length (bytes past it are the zero
 * padding). Erasures are nErasures u32 byte offsets into [data | parity] at erasures; counts
 * (stride + 1 u32) and sorted (nErasures u32) are scratch. Writes the indices of codewords that
 * could not be corrected to failed and returns their number; corrected() gives the symbols fixed.
 */
export function decode(
  data: usize, parity: usize, diffs: usize, length: i32, stride: i32, k: i32, p: i32,
  erasures: usize, nErasures: i32, counts: usize, sorted: usize, failed: usize,
): i32 {
  setParity(p);
  const n = <usize>stride;
  const symbols = k + p;
  if (nErasures > 0) {
    memory.fill(counts, 0, (n + 1) << 2);
    for (let i = 0; i < nErasures; i++) {
      const col = column(load<u32>(erasures + (<usize>i << 2)), length, stride);
      const at = counts + ((<usize>col + 1) << 2);
      store<u32>(at, load<u32>(at) + 1);
    }
    for (let c: usize = 1; c <= n; c++) {
      const at = counts + (c << 2);
      store<u32>(at, load<u32>(at) + load<u32>(at - 4));
    }
    for (let i = 0; i < nErasures; i++) {
      const o = load<u32>(erasures + (<usize>i << 2));
      const col = column(o, length, stride);
      const deg = o < <u32>length ? <u32>symbols - 1 - o / <u32>stride : <u32>p - 1 - (o - <u32>length) / <u32>stride;
      const at = counts + (<usize>col << 2);
      const slot = load<u32>(at);
      store<u32>(sorted + (<usize>slot << 2), deg);
      store<u32>(at, slot + 1);
    }
  }
  corrected = 0;
  let nFailed = 0;
  const lastRow = <u32>(k - 1) * <u32>stride;
  for (let g: usize = 0; g < n; g += 16) {
    remainderGroup(data + g, n, k, p);
    let any = i8x16.splat(0);
    for (let t = 0; t < p; t++) {
      const at = <usize>t * n + g;
      const diff = v128.xor(v128.load(REG + <usize>((p - 1 - t) * 16)), v128.load(parity + at));
      v128.store(diffs + at, diff);
      any = v128.or(any, diff);
    }
    if (!v128.any_true(any)) continue;
    let dirty = ~<u32>i8x16.bitmask(i8x16.eq(any, i8x16.splat(0))) & 0xffff;
    while (dirty != 0) {
      const c = g + <usize>ctz(dirty);
      dirty &= dirty - 1;
      let eras: usize = 0;
      let eraEnd: usize = 0;
      if (nErasures > 0) {
        eras = sorted + (c == 0 ? 0 : <usize>load<u32>(counts + ((c - 1) << 2)) << 2);
        eraEnd = sorted + (<usize>load<u32>(counts + (c << 2)) << 2);
      }
      const missing = lastRow + <u32>c >= <u32>length;
      const r = decodeColumn(data + c, parity + c, diffs + c, n, k, p, missing, eras, eraEnd);
      if (r < 0) {
        store<u32>(failed + (<usize>nFailed << 2), <u32>c);
        nFailed++;
      } else {
        corrected += r;
      }
    }
  }
  return nFailed;
}

/** Symbols changed by the last decode. */
export function lastCorrected(): i32 {
  return corrected;
}

@inline function column(offset: u32, length: i32, stride: i32): u32 {
  return offset < <u32>length ? offset % <u32>stride : (offset - <u32>length) % <u32>stride;
}
