// The LFSR remainder D(x) * x^p mod g(x) of a group of 16 interleaved codewords (a 16-byte
// slice of each row of the block). Each codeword's p-byte register lives in 1, 2 or 4 v128
// locals; per data byte the register moves up one lane and all p products of the feedback byte
// come from one table row (TAB), so a byte costs a lane extract, a load and a few vector ops, and
// 16 (or 8, or 4) independent codewords in flight hide the per-byte dependency chain.
// Measured faster here than multiplying a row of 16 feedback bytes by each generator coefficient
// with split-nibble i8x16.swizzle lookups (2 per coefficient per row), which engines without
// relaxed SIMD wrap in a fix-up for indices >= 16 (the decoder's vector products still use them).
import { REG, TAB, TR } from './layout';

/**
 * Remainder of the 16 codewords whose first data symbols are at src (row r at src + r * stride),
 * k data symbols each; writes register j (coefficient of x^j) to REG + 16 * j.
 */
export function remainderGroup(src: usize, stride: usize, k: i32, p: i32): void {
  if (p <= 16) remainderBytes(src, stride, k, p);
  else if (p <= 32) remainderBytes2(src, stride, k, p);
  else remainderBytes4(src, stride, k, p);
}

// p <= 16: one v128 per codeword, coefficient j in lane 16 - p + j (lanes below stay zero).
@inline function lfsrByte(r: v128, d: u32): v128 {
  const fb = d ^ <u32>i8x16.extract_lane_u(r, 15);
  return v128.xor(up1(i8x16.splat(0), r), v128.load(<usize>fb << 4, TAB));
}

// Lane 15 of a, then lanes 0..14 of b: consecutive lanes of the concatenation, so engines emit
// one palignr (a shuffle that is not such a run costs a table lookup instead).
@inline function up1(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
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
  v128.store(TR, r0, 0);
  v128.store(TR, r1, 64);
  v128.store(TR, r2, 128);
  v128.store(TR, r3, 192);
  v128.store(TR, r4, 256);
  v128.store(TR, r5, 320);
  v128.store(TR, r6, 384);
  v128.store(TR, r7, 448);
  v128.store(TR, r8, 512);
  v128.store(TR, r9, 576);
  v128.store(TR, r10, 640);
  v128.store(TR, r11, 704);
  v128.store(TR, r12, 768);
  v128.store(TR, r13, 832);
  v128.store(TR, r14, 896);
  v128.store(TR, r15, 960);
  transpose(p, 16);
}

// 16 < p <= 32: two v128 per codeword (lanes 32 - p + j across lo | hi), 8 codewords per pass.
function remainderBytes2(src: usize, stride: usize, k: i32, p: i32): void {
  const zero = i8x16.splat(0);
  for (let pass: usize = 0; pass < 16; pass += 8) {
    let s = src + pass;
    let l0 = zero, h0 = zero, l1 = zero, h1 = zero, l2 = zero, h2 = zero, l3 = zero, h3 = zero;
    let l4 = zero, h4 = zero, l5 = zero, h5 = zero, l6 = zero, h6 = zero, l7 = zero, h7 = zero;
    for (let r = 0; r < k; r++) {
      {
        const t = (<usize>(<u32>load<u8>(s, 0) ^ <u32>i8x16.extract_lane_u(h0, 15)) << 5);
        h0 = v128.xor(up1(l0, h0), v128.load(t, TAB + 16));
        l0 = v128.xor(up1(zero, l0), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 1) ^ <u32>i8x16.extract_lane_u(h1, 15)) << 5);
        h1 = v128.xor(up1(l1, h1), v128.load(t, TAB + 16));
        l1 = v128.xor(up1(zero, l1), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 2) ^ <u32>i8x16.extract_lane_u(h2, 15)) << 5);
        h2 = v128.xor(up1(l2, h2), v128.load(t, TAB + 16));
        l2 = v128.xor(up1(zero, l2), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 3) ^ <u32>i8x16.extract_lane_u(h3, 15)) << 5);
        h3 = v128.xor(up1(l3, h3), v128.load(t, TAB + 16));
        l3 = v128.xor(up1(zero, l3), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 4) ^ <u32>i8x16.extract_lane_u(h4, 15)) << 5);
        h4 = v128.xor(up1(l4, h4), v128.load(t, TAB + 16));
        l4 = v128.xor(up1(zero, l4), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 5) ^ <u32>i8x16.extract_lane_u(h5, 15)) << 5);
        h5 = v128.xor(up1(l5, h5), v128.load(t, TAB + 16));
        l5 = v128.xor(up1(zero, l5), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 6) ^ <u32>i8x16.extract_lane_u(h6, 15)) << 5);
        h6 = v128.xor(up1(l6, h6), v128.load(t, TAB + 16));
        l6 = v128.xor(up1(zero, l6), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 7) ^ <u32>i8x16.extract_lane_u(h7, 15)) << 5);
        h7 = v128.xor(up1(l7, h7), v128.load(t, TAB + 16));
        l7 = v128.xor(up1(zero, l7), v128.load(t, TAB));
      }
      s += stride;
    }
    const tr = TR + (pass << 6);
    v128.store(tr, l0, 0);
    v128.store(tr, h0, 16);
    v128.store(tr, l1, 64);
    v128.store(tr, h1, 80);
    v128.store(tr, l2, 128);
    v128.store(tr, h2, 144);
    v128.store(tr, l3, 192);
    v128.store(tr, h3, 208);
    v128.store(tr, l4, 256);
    v128.store(tr, h4, 272);
    v128.store(tr, l5, 320);
    v128.store(tr, h5, 336);
    v128.store(tr, l6, 384);
    v128.store(tr, h6, 400);
    v128.store(tr, l7, 448);
    v128.store(tr, h7, 464);
  }
  transpose(p, 32);
}

// 32 < p <= 64: four v128 per codeword (lanes 64 - p + j across a | b | c | d), 4 codewords per pass.
function remainderBytes4(src: usize, stride: usize, k: i32, p: i32): void {
  const zero = i8x16.splat(0);
  for (let pass: usize = 0; pass < 16; pass += 4) {
    let s = src + pass;
    let a0 = zero, b0 = zero, c0 = zero, d0 = zero, a1 = zero, b1 = zero, c1 = zero, d1 = zero;
    let a2 = zero, b2 = zero, c2 = zero, d2 = zero, a3 = zero, b3 = zero, c3 = zero, d3 = zero;
    for (let r = 0; r < k; r++) {
      {
        const t = (<usize>(<u32>load<u8>(s, 0) ^ <u32>i8x16.extract_lane_u(d0, 15)) << 6);
        d0 = v128.xor(up1(c0, d0), v128.load(t, TAB + 48));
        c0 = v128.xor(up1(b0, c0), v128.load(t, TAB + 32));
        b0 = v128.xor(up1(a0, b0), v128.load(t, TAB + 16));
        a0 = v128.xor(up1(zero, a0), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 1) ^ <u32>i8x16.extract_lane_u(d1, 15)) << 6);
        d1 = v128.xor(up1(c1, d1), v128.load(t, TAB + 48));
        c1 = v128.xor(up1(b1, c1), v128.load(t, TAB + 32));
        b1 = v128.xor(up1(a1, b1), v128.load(t, TAB + 16));
        a1 = v128.xor(up1(zero, a1), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 2) ^ <u32>i8x16.extract_lane_u(d2, 15)) << 6);
        d2 = v128.xor(up1(c2, d2), v128.load(t, TAB + 48));
        c2 = v128.xor(up1(b2, c2), v128.load(t, TAB + 32));
        b2 = v128.xor(up1(a2, b2), v128.load(t, TAB + 16));
        a2 = v128.xor(up1(zero, a2), v128.load(t, TAB));
      }
      {
        const t = (<usize>(<u32>load<u8>(s, 3) ^ <u32>i8x16.extract_lane_u(d3, 15)) << 6);
        d3 = v128.xor(up1(c3, d3), v128.load(t, TAB + 48));
        c3 = v128.xor(up1(b3, c3), v128.load(t, TAB + 32));
        b3 = v128.xor(up1(a3, b3), v128.load(t, TAB + 16));
        a3 = v128.xor(up1(zero, a3), v128.load(t, TAB));
      }
      s += stride;
    }
    const tr = TR + (pass << 6);
    v128.store(tr, a0, 0);
    v128.store(tr, b0, 16);
    v128.store(tr, c0, 32);
    v128.store(tr, d0, 48);
    v128.store(tr, a1, 64);
    v128.store(tr, b1, 80);
    v128.store(tr, c1, 96);
    v128.store(tr, d1, 112);
    v128.store(tr, a2, 128);
    v128.store(tr, b2, 144);
    v128.store(tr, c2, 160);
    v128.store(tr, d2, 176);
    v128.store(tr, a3, 192);
    v128.store(tr, b3, 208);
    v128.store(tr, c3, 224);
    v128.store(tr, d3, 240);
  }
  transpose(p, 64);
}

// REG + 16 * j + c = coefficient j of codeword c, which the kernels left in TR + 64 * c at lane
// (lanes - p + j).
function transpose(p: i32, lanes: i32): void {
  const skip = <usize>(lanes - p);
  for (let j: usize = 0; j < <usize>p; j++) {
    for (let c: usize = 0; c < 16; c++) store<u8>(REG + (j << 4) + c, load<u8>(TR + (c << 6) + skip + j));
  }
}
