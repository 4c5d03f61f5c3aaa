// The LFSR remainder D(x) * x^p mod g(x) of 16 interleaved codewords at once (16 consecutive
// codewords = a 16-byte slice of each row of the block). Two kernels: p <= 16 keeps each
// codeword's register in one v128 and takes all products of a feedback byte from one table row;
// larger p keeps the registers in memory and multiplies a row of 16 feedback bytes by each
// generator coefficient with split-nibble i8x16.swizzle lookups.
import { NIB, REG, TAB, TR } from './layout';

// c * v for the constant whose nibble tables are at t, given v's low and high nibbles.
@inline function mulc(t: usize, lo: v128, hi: v128): v128 {
  return v128.xor(v128.swizzle(v128.load(t), lo), v128.swizzle(v128.load(t, 16), hi));
}

/**
 * Remainder of the 16 codewords whose first data symbols are at src (row r at src + r * stride),
 * k data symbols each; writes register j (coefficient of x^j) to REG + 16 * j.
 */
export function remainderGroup(src: usize, stride: usize, k: i32, p: i32): void {
  if (p <= 16) {
    remainderBytes(src, stride, k, p);
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

// p <= 16: one codeword per v128, coefficient j in lane 16 - p + j (lanes below stay zero).
// Per data byte: fb = d ^ lane 15, the register moves up one lane (a byte-aligned concatenation
// with zero, which engines lower to one palignr), and the p products fb * g_j are one 16-byte
// row TAB[fb]. Sixteen codewords are in flight, so the per-byte dependency chain is hidden.
// (Measured faster than split-nibble swizzles, which engines without relaxed SIMD wrap in a
// fix-up for indices >= 16, and than a shift written as a shuffle that does not match palignr.)
@inline function lfsrByte(r: v128, d: u32): v128 {
  const fb = d ^ <u32>i8x16.extract_lane_u(r, 15);
  const up = i8x16.shuffle(i8x16.splat(0), r, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  return v128.xor(up, v128.load(TAB + (<usize>fb << 4)));
}

function remainderBytes(src: usize, stride: usize, k: i32, p: i32): void {
  let r0 = i8x16.splat(0), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0, r7 = r0;
  let r8 = r0, r9 = r0, r10 = r0, r11 = r0, r12 = r0, r13 = r0, r14 = r0, r15 = r0;
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
  // transpose: REG + 16 * j + c = coefficient j of codeword c = its lane 16 - p + j
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
  const skip = <usize>(16 - p);
  for (let j: usize = 0; j < <usize>p; j++) {
    for (let c: usize = 0; c < 16; c++) store<u8>(REG + (j << 4) + c, load<u8>(TR + (c << 4) + skip + j));
  }
}
