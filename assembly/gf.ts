// GF(2^8) with primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), alpha = 2.
import { EXP, LOG, MUL, MULHI, POW, GEN, TAB } from './layout';

let parityBuilt: i32 = 0;

@inline export function gmul(a: u32, b: u32): u32 {
  return <u32>load<u8>(MUL + ((a << 8) | b));
}

/** alpha^e for any e >= 0 below 512. */
@inline export function gexp(e: u32): u32 {
  return <u32>load<u8>(EXP + e);
}

@inline export function glog(x: u32): u32 {
  return <u32>load<u8>(LOG + x);
}

/** Multiplicative inverse of x (x != 0). */
@inline export function ginv(x: u32): u32 {
  return <u32>load<u8>(EXP + 255 - glog(x));
}

/** Builds the exp, log and multiplication tables. Called once after instantiation. */
export function initTables(): void {
  let x: u32 = 1;
  for (let i: u32 = 0; i < 255; i++) {
    store<u8>(EXP + i, <u8>x);
    store<u8>(EXP + i + 255, <u8>x);
    store<u8>(LOG + x, <u8>i);
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  store<u8>(EXP + 510, load<u8>(EXP));
  store<u8>(EXP + 511, load<u8>(EXP + 1));
  store<u8>(LOG, 0);
  for (let a: u32 = 0; a < 256; a++) {
    store<u8>(MUL + (a << 8), 0);
    store<u8>(MUL + a, 0);
    if (a == 0) continue;
    const la = glog(a);
    for (let b: u32 = 1; b < 256; b++) {
      store<u8>(MUL + ((a << 8) | b), load<u8>(EXP + la + glog(b)));
    }
  }
  for (let a: u32 = 0; a < 256; a++) {
    for (let n: u32 = 0; n < 16; n++) store<u8>(MULHI + ((a << 4) | n), <u8>gmul(a, n << 4));
  }
  for (let e: u32 = 0; e < 256; e++) {
    for (let x: u32 = 0; x < 256; x++) store<u8>(POW + ((e << 8) | x), load<u8>(EXP + (e * x) % 255));
  }
  parityBuilt = 0;
}

/** a * v for a scalar a and 16 lanes v (split-nibble lookup in a's rows of MUL and MULHI). */
@inline export function mulv(a: u32, v: v128): v128 {
  const lo = v128.and(v, i8x16.splat(0x0f));
  const hi = i8x16.shr_u(v, 4);
  return v128.xor(v128.swizzle(v128.load(MUL + (a << 8)), lo), v128.swizzle(v128.load(MULHI + (a << 4)), hi));
}

/** alpha^(e * x mod 255) for e, x in 0..255. */
@inline export function gpow(e: u32, x: u32): u32 {
  return <u32>load<u8>(POW + ((e << 8) | x));
}

/**
 * Builds g(x) = (x - alpha^0)(x - alpha^1)...(x - alpha^(p-1)) and its product table TAB,
 * unless they are already built for p.
 */
export function setParity(p: i32): void {
  if (p == parityBuilt) return;
  store<u8>(GEN, 1);
  for (let j = 1; j <= 64; j++) store<u8>(GEN + <usize>j, 0);
  for (let i = 0; i < p; i++) {
    const root = gexp(<u32>i);
    // multiply by (x + root): new_j = old_(j-1) + root * old_j, from the top down
    for (let j = i + 1; j >= 1; j--) {
      const v = <u32>load<u8>(GEN + <usize>(j - 1)) ^ gmul(root, <u32>load<u8>(GEN + <usize>j));
      store<u8>(GEN + <usize>j, <u8>v);
    }
    store<u8>(GEN, <u8>gmul(root, <u32>load<u8>(GEN)));
  }
  const width: u32 = p <= 16 ? 16 : p <= 32 ? 32 : 64;
  const skip = width - <u32>p;
  for (let f: u32 = 0; f < 256; f++) {
    for (let j: u32 = 0; j < width; j++) {
      store<u8>(TAB + f * width + j, j < skip ? 0 : <u8>gmul(f, <u32>load<u8>(GEN + j - skip)));
    }
  }
  parityBuilt = p;
}
