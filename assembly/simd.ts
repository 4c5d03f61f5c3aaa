// The LFSR remainder D(x) * x^p mod g(x) of 16 interleaved codewords at once: one v128 holds
// one symbol of 16 consecutive codewords (a 16-byte slice of a row of the block), and a constant
// times a vector is two i8x16.swizzle lookups (low and high nibble) in 16-entry tables.
import { NIB, REG, TAB, TR } from './layout';

// Table lookup with indices known to be 0..15, where relaxed and strict swizzles agree.
@inline export function swz(table: v128, index: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_swizzle(table, index);
  return v128.swizzle(table, index);
}

// c * v for the constant whose nibble tables are at t, given v's low and high nibbles.
@inline function mulc(t: usize, lo: v128, hi: v128): v128 {
  return v128.xor(swz(v128.load(t), lo), swz(v128.load(t, 16), hi));
}

/**
 * Remainder of the 16 codewords whose first data symbols are at src (row r at src + r * stride),
 * k data symbols each; writes register j (coefficient of x^j) to REG + 16 * j.
 */
export function remainderGroup(src: usize, stride: usize, k: i32, p: i32): void {
  if (p == 16) {
    // Without relaxed SIMD, engines wrap every swizzle in a bounds fix-up (indices >= 16 give 0),
    // which makes the table-per-byte kernel the faster one; with it the nibble kernel wins.
    if (ASC_FEATURE_RELAXED_SIMD) remainder16(src, stride, k);
    else remainder16t(src, stride, k);
    return;
  }
  const mask = i8x16.splat(0x0f);
  const top = REG + <usize>((p - 1) * 16);
  for (let j = 0; j < p; j++) v128.store(REG + <usize>(j * 16), i8x16.splat(0));
  for (let r = 0; r < k; r++) {
    const fb = v128.xor(v128.load(src), v128.load(top));
    src += stride;
    const lo = v128.and(fb, mask);
    const hi = i8x16.shr_u(fb, 4);
    let reg = top;
    let t = NIB + <usize>((p - 1) * 32);
    while (reg > REG) {
      v128.store(reg, v128.xor(v128.load(reg - 16), mulc(t, lo, hi)));
      reg -= 16;
      t -= 32;
    }
    v128.store(REG, mulc(NIB, lo, hi));
  }
}

// p = 16 kept in 16 locals (registers) with the table offsets as immediates.
function remainder16(src: usize, stride: usize, k: i32): void {
  const mask = i8x16.splat(0x0f);
  const t = NIB;
  let r0 = i8x16.splat(0), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0, r7 = r0;
  let r8 = r0, r9 = r0, r10 = r0, r11 = r0, r12 = r0, r13 = r0, r14 = r0, r15 = r0;
  for (let r = 0; r < k; r++) {
    const fb = v128.xor(v128.load(src), r15);
    src += stride;
    const lo = v128.and(fb, mask);
    const hi = i8x16.shr_u(fb, 4);
    r15 = v128.xor(r14, v128.xor(swz(v128.load(t, 480), lo), swz(v128.load(t, 496), hi)));
    r14 = v128.xor(r13, v128.xor(swz(v128.load(t, 448), lo), swz(v128.load(t, 464), hi)));
    r13 = v128.xor(r12, v128.xor(swz(v128.load(t, 416), lo), swz(v128.load(t, 432), hi)));
    r12 = v128.xor(r11, v128.xor(swz(v128.load(t, 384), lo), swz(v128.load(t, 400), hi)));
    r11 = v128.xor(r10, v128.xor(swz(v128.load(t, 352), lo), swz(v128.load(t, 368), hi)));
    r10 = v128.xor(r9, v128.xor(swz(v128.load(t, 320), lo), swz(v128.load(t, 336), hi)));
    r9 = v128.xor(r8, v128.xor(swz(v128.load(t, 288), lo), swz(v128.load(t, 304), hi)));
    r8 = v128.xor(r7, v128.xor(swz(v128.load(t, 256), lo), swz(v128.load(t, 272), hi)));
    r7 = v128.xor(r6, v128.xor(swz(v128.load(t, 224), lo), swz(v128.load(t, 240), hi)));
    r6 = v128.xor(r5, v128.xor(swz(v128.load(t, 192), lo), swz(v128.load(t, 208), hi)));
    r5 = v128.xor(r4, v128.xor(swz(v128.load(t, 160), lo), swz(v128.load(t, 176), hi)));
    r4 = v128.xor(r3, v128.xor(swz(v128.load(t, 128), lo), swz(v128.load(t, 144), hi)));
    r3 = v128.xor(r2, v128.xor(swz(v128.load(t, 96), lo), swz(v128.load(t, 112), hi)));
    r2 = v128.xor(r1, v128.xor(swz(v128.load(t, 64), lo), swz(v128.load(t, 80), hi)));
    r1 = v128.xor(r0, v128.xor(swz(v128.load(t, 32), lo), swz(v128.load(t, 48), hi)));
    r0 = v128.xor(swz(v128.load(t, 0), lo), swz(v128.load(t, 16), hi));
  }
  v128.store(REG, r0, 0);
  v128.store(REG, r1, 16);
  v128.store(REG, r2, 32);
  v128.store(REG, r3, 48);
  v128.store(REG, r4, 64);
  v128.store(REG, r5, 80);
  v128.store(REG, r6, 96);
  v128.store(REG, r7, 112);
  v128.store(REG, r8, 128);
  v128.store(REG, r9, 144);
  v128.store(REG, r10, 160);
  v128.store(REG, r11, 176);
  v128.store(REG, r12, 192);
  v128.store(REG, r13, 208);
  v128.store(REG, r14, 224);
  v128.store(REG, r15, 240);
}

// p = 16, one codeword per v128 (lane j = coefficient j): per data byte, fb = d ^ lane 15, the
// register shifts up one lane and the 16 products fb * g_j come from one 16-byte row TAB[fb].
@inline function lfsrByte(r: v128, d: u32): v128 {
  const fb = d ^ <u32>i8x16.extract_lane_u(r, 15);
  const up = i8x16.shuffle(i8x16.splat(0), r, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  return v128.xor(up, v128.load(TAB + (<usize>fb << 4)));
}

function remainder16t(src: usize, stride: usize, k: i32): void {
  let r0 = i8x16.splat(0), r1 = i8x16.splat(0), r2 = i8x16.splat(0), r3 = i8x16.splat(0), r4 = i8x16.splat(0), r5 = i8x16.splat(0), r6 = i8x16.splat(0), r7 = i8x16.splat(0), r8 = i8x16.splat(0), r9 = i8x16.splat(0), r10 = i8x16.splat(0), r11 = i8x16.splat(0), r12 = i8x16.splat(0), r13 = i8x16.splat(0), r14 = i8x16.splat(0), r15 = i8x16.splat(0);
  for (let r = 0; r < k; r++) {
    r0 = lfsrByte(r0, <u32>load<u8>(src, 0));
    r1 = lfsrByte(r1, <u32>load<u8>(src, 1));
    r2 = lfsrByte(r2, <u32>load<u8>(src, 2));
    r3 = lfsrByte(r3, <u32>load<u8>(src, 3));
    r4 = lfsrByte(r4, <u32>load<u8>(src, 4));
    r5 = lfsrByte(r5, <u32>load<u8>(src, 5));
    r6 = lfsrByte(r6, <u32>load<u8>(src, 6));
    r7 = lfsrByte(r7, <u32>load<u8>(src, 7));
    r8 = lfsrByte(r8, <u32>load<u8>(src, 8));
    r9 = lfsrByte(r9, <u32>load<u8>(src, 9));
    r10 = lfsrByte(r10, <u32>load<u8>(src, 10));
    r11 = lfsrByte(r11, <u32>load<u8>(src, 11));
    r12 = lfsrByte(r12, <u32>load<u8>(src, 12));
    r13 = lfsrByte(r13, <u32>load<u8>(src, 13));
    r14 = lfsrByte(r14, <u32>load<u8>(src, 14));
    r15 = lfsrByte(r15, <u32>load<u8>(src, 15));
    src += stride;
  }
  // transpose: REG + 16 * j + c = lane j of codeword c
  v128.store(TR, r0, 0);
  v128.store(TR, r1, 16);
  v128.store(TR, r2, 32);
  v128.store(TR, r3, 48);
  v128.store(TR, r4, 64);
  v128.store(TR, r5, 80);
  v128.store(TR, r6, 96);
  v128.store(TR, r7, 112);
  v128.store(TR, r8, 128);
  v128.store(TR, r9, 144);
  v128.store(TR, r10, 160);
  v128.store(TR, r11, 176);
  v128.store(TR, r12, 192);
  v128.store(TR, r13, 208);
  v128.store(TR, r14, 224);
  v128.store(TR, r15, 240);
  for (let j: usize = 0; j < 16; j++) {
    for (let c: usize = 0; c < 16; c++) store<u8>(REG + (j << 4) + c, load<u8>(TR + (c << 4) + j));
  }
}
