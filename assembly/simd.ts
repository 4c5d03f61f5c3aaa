// The LFSR remainder D(x) * x^p mod g(x) of 16 interleaved codewords at once: one v128 holds
// one symbol of 16 consecutive codewords (a 16-byte slice of a row of the block), and a constant
// times a vector is two i8x16.swizzle lookups (low and high nibble) in 16-entry tables.
import { NIB, REG } from './layout';

// c * v for the constant whose nibble tables are at t, given v's low and high nibbles.
@inline function mulc(t: usize, lo: v128, hi: v128): v128 {
  return v128.xor(v128.swizzle(v128.load(t), lo), v128.swizzle(v128.load(t, 16), hi));
}

/**
 * Remainder of the 16 codewords whose first data symbols are at src (row r at src + r * stride),
 * k data symbols each; writes register j (coefficient of x^j) to REG + 16 * j.
 */
export function remainderGroup(src: usize, stride: usize, k: i32, p: i32): void {
  if (p == 16) {
    remainder16(src, stride, k);
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
    r15 = v128.xor(r14, v128.xor(v128.swizzle(v128.load(t, 480), lo), v128.swizzle(v128.load(t, 496), hi)));
    r14 = v128.xor(r13, v128.xor(v128.swizzle(v128.load(t, 448), lo), v128.swizzle(v128.load(t, 464), hi)));
    r13 = v128.xor(r12, v128.xor(v128.swizzle(v128.load(t, 416), lo), v128.swizzle(v128.load(t, 432), hi)));
    r12 = v128.xor(r11, v128.xor(v128.swizzle(v128.load(t, 384), lo), v128.swizzle(v128.load(t, 400), hi)));
    r11 = v128.xor(r10, v128.xor(v128.swizzle(v128.load(t, 352), lo), v128.swizzle(v128.load(t, 368), hi)));
    r10 = v128.xor(r9, v128.xor(v128.swizzle(v128.load(t, 320), lo), v128.swizzle(v128.load(t, 336), hi)));
    r9 = v128.xor(r8, v128.xor(v128.swizzle(v128.load(t, 288), lo), v128.swizzle(v128.load(t, 304), hi)));
    r8 = v128.xor(r7, v128.xor(v128.swizzle(v128.load(t, 256), lo), v128.swizzle(v128.load(t, 272), hi)));
    r7 = v128.xor(r6, v128.xor(v128.swizzle(v128.load(t, 224), lo), v128.swizzle(v128.load(t, 240), hi)));
    r6 = v128.xor(r5, v128.xor(v128.swizzle(v128.load(t, 192), lo), v128.swizzle(v128.load(t, 208), hi)));
    r5 = v128.xor(r4, v128.xor(v128.swizzle(v128.load(t, 160), lo), v128.swizzle(v128.load(t, 176), hi)));
    r4 = v128.xor(r3, v128.xor(v128.swizzle(v128.load(t, 128), lo), v128.swizzle(v128.load(t, 144), hi)));
    r3 = v128.xor(r2, v128.xor(v128.swizzle(v128.load(t, 96), lo), v128.swizzle(v128.load(t, 112), hi)));
    r2 = v128.xor(r1, v128.xor(v128.swizzle(v128.load(t, 64), lo), v128.swizzle(v128.load(t, 80), hi)));
    r1 = v128.xor(r0, v128.xor(v128.swizzle(v128.load(t, 32), lo), v128.swizzle(v128.load(t, 48), hi)));
    r0 = v128.xor(v128.swizzle(v128.load(t, 0), lo), v128.swizzle(v128.load(t, 16), hi));
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
