// Error-and-erasure decoding of one codeword: syndromes from the parity difference, Forney
// syndromes, Berlekamp-Massey, Chien search, Forney's formula, then a syndrome check of the
// correction before anything is written. Symbols are addressed by degree: data symbol s of a
// codeword of n = k + p symbols has degree n - 1 - s, parity symbol t has degree p - 1 - t.
// Syndromes and the Chien search run 16 lanes at a time (split-nibble products with MUL/MULHI).
import { gmul, gexp, ginv, gpow, mulv } from './gf';
import { POW, SCR } from './layout';

// Scratch regions (SCR is 16-byte aligned; S and the Chien lanes are read as v128).
const S: usize = SCR; //            syndromes S_0..S_(p-1), 64 bytes
const T: usize = SCR + 64; //       Forney syndromes
const GAM: usize = SCR + 128; //    erasure locator, 80 bytes
const SIG: usize = SCR + 208; //    error locator (Berlekamp-Massey)
const BB: usize = SCR + 288; //     Berlekamp-Massey previous locator
const TMP: usize = SCR + 368;
const LAM: usize = SCR + 448; //    errata locator, 144 bytes
const OMG: usize = SCR + 592; //    errata evaluator, 80 bytes
const ERA: usize = SCR + 672; //    distinct erasure degrees of this codeword
const ROOT: usize = SCR + 752; //   degrees found by the Chien search
const VAL: usize = SCR + 832; //    error values
const POLY = 80; //                 bytes per polynomial buffer (degree <= 64, plus slack)

@inline function rd(base: usize, i: i32): u32 {
  return <u32>load<u8>(base + <usize>i);
}
@inline function wr(base: usize, i: i32, v: u32): void {
  store<u8>(base + <usize>i, <u8>v);
}

/**
 * Corrects codeword c in place. q points at its parity difference (row t at q + t * stride),
 * eras/eraEnd bound its erasure degrees (u32 each); `missing` says its data symbol k - 1 is past
 * the end of the data (an implied zero that cannot be in error). Returns the number of symbols
 * changed, or -1 when the codeword cannot be corrected (nothing is written then).
 */
export function decodeColumn(
  data: usize, parity: usize, q: usize, stride: usize, k: i32, p: i32,
  missing: bool, eras: usize, eraEnd: usize,
): i32 {
  const n = k + p;
  // Syndromes S_i = E(alpha^i), E (degree < p) = computed remainder + received parity:
  // S += e_t * (alpha^(deg_t * i)) over 16 values of i per v128.
  let s0 = i8x16.splat(0), s1 = s0, s2 = s0, s3 = s0;
  for (let t = 0; t < p; t++) {
    const v = <u32>load<u8>(q + <usize>t * stride);
    if (v == 0) continue;
    const row = POW + (<usize>(p - 1 - t) << 8);
    s0 = v128.xor(s0, mulv(v, v128.load(row)));
    if (p > 16) s1 = v128.xor(s1, mulv(v, v128.load(row, 16)));
    if (p > 32) s2 = v128.xor(s2, mulv(v, v128.load(row, 32)));
    if (p > 48) s3 = v128.xor(s3, mulv(v, v128.load(row, 48)));
  }
  v128.store(S, s0);
  v128.store(S, s1, 16);
  v128.store(S, s2, 32);
  v128.store(S, s3, 48);

  // Distinct erasures and their locator Gamma(x) = prod (1 + alpha^deg x).
  let rho = 0;
  memory.fill(GAM, 0, POLY);
  wr(GAM, 0, 1);
  for (let ptr = eras; ptr < eraEnd; ptr += 4) {
    const deg = load<u32>(ptr);
    let seen = false;
    for (let j = 0; j < rho; j++) if (rd(ERA, j) == deg) seen = true;
    if (seen) continue;
    if (rho == p) return -1;
    wr(ERA, rho, deg);
    rho++;
    const x = gexp(deg);
    for (let j = rho; j >= 1; j--) wr(GAM, j, rd(GAM, j) ^ gmul(x, rd(GAM, j - 1)));
  }

  // Forney syndromes T = Gamma * S mod x^p; T_rho..T_(p-1) see only the errors.
  for (let i = rho; i < p; i++) {
    let acc: u32 = 0;
    for (let j = 0; j <= rho; j++) acc ^= gmul(rd(GAM, j), rd(S, i - j));
    wr(T, i, acc);
  }

  // Berlekamp-Massey on T_rho..T_(p-1): sigma of degree L, 2L <= p - rho when correctable.
  const m = p - rho;
  memory.fill(SIG, 0, POLY);
  memory.fill(BB, 0, POLY);
  wr(SIG, 0, 1);
  wr(BB, 0, 1);
  let L = 0;
  let shift = 1;
  let b: u32 = 1;
  for (let r = 0; r < m; r++) {
    let d = rd(T, rho + r);
    for (let i = 1; i <= L; i++) d ^= gmul(rd(SIG, i), rd(T, rho + r - i));
    if (d == 0) {
      shift++;
      continue;
    }
    const coef = gmul(d, ginv(b));
    const top = m + 1 - shift; // sigma never exceeds degree m
    if (2 * L <= r) {
      memory.copy(TMP, SIG, POLY);
      for (let i = 0; i < top; i++) wr(SIG, i + shift, rd(SIG, i + shift) ^ gmul(coef, rd(BB, i)));
      L = r + 1 - L;
      memory.copy(BB, TMP, POLY);
      b = d;
      shift = 1;
    } else {
      for (let i = 0; i < top; i++) wr(SIG, i + shift, rd(SIG, i + shift) ^ gmul(coef, rd(BB, i)));
      shift++;
    }
  }
  if (2 * L > m) return -1;
  for (let i = L + 1; i <= m; i++) if (rd(SIG, i) != 0) return -1;

  // Errata locator Lambda = sigma * Gamma, degree nu = L + rho.
  const nu = L + rho;
  memory.fill(LAM, 0, 144);
  for (let i = 0; i <= L; i++) {
    const s = rd(SIG, i);
    if (s == 0) continue;
    for (let j = 0; j <= rho; j++) wr(LAM, i + j, rd(LAM, i + j) ^ gmul(s, rd(GAM, j)));
  }
  if (rd(LAM, nu) == 0) return -1;

  // Chien search over deg 0..n-1, 16 at a time: Lambda(alpha^-deg) = sum_j Lambda_j alpha^(-j deg),
  // alpha^(-j deg) = POW[(255 - j) mod 255][deg]. Roots must be exactly nu stored positions.
  let found = 0;
  for (let d0 = 0; d0 < n; d0 += 16) {
    let acc = i8x16.splat(<i8>rd(LAM, 0));
    for (let j = 1; j <= nu; j++) {
      const c = rd(LAM, j);
      if (c == 0) continue;
      acc = v128.xor(acc, mulv(c, v128.load(POW + (<usize>(255 - j) << 8) + <usize>d0)));
    }
    let roots = <u32>i8x16.bitmask(i8x16.eq(acc, i8x16.splat(0)));
    if (n - d0 < 16) roots &= (<u32>1 << <u32>(n - d0)) - 1;
    while (roots != 0) {
      const deg = d0 + <i32>ctz(roots);
      roots &= roots - 1;
      if (missing && deg == p) return -1;
      if (found == nu) return -1;
      wr(ROOT, found, <u32>deg);
      found++;
    }
  }
  if (found != nu) return -1;

  // Omega = S * Lambda mod x^p.
  for (let i = 0; i < p; i++) {
    let acc: u32 = 0;
    const top = i < nu ? i : nu;
    for (let j = 0; j <= top; j++) acc ^= gmul(rd(LAM, j), rd(S, i - j));
    wr(OMG, i, acc);
  }

  // Forney: e = X * Omega(X^-1) / Lambda'(X^-1), X = alpha^deg.
  for (let l = 0; l < nu; l++) {
    const deg = rd(ROOT, l);
    const inv = deg == 0 ? 0 : 255 - deg; // X^-1 = alpha^inv
    let num: u32 = 0;
    for (let i = 0; i < p; i++) num ^= gmul(rd(OMG, i), gpow(inv, <u32>i));
    let den: u32 = 0;
    for (let j = 1; j <= nu; j += 2) den ^= gmul(rd(LAM, j), gpow(inv, <u32>(j - 1)));
    if (den == 0) return -1;
    wr(VAL, l, gmul(gmul(gexp(deg), num), ginv(den)));
  }

  // The corrected word must have all syndromes zero: S_i + sum e_l X_l^i == 0.
  for (let i = 0; i < p; i++) {
    let acc = rd(S, i);
    for (let l = 0; l < nu; l++) acc ^= gmul(rd(VAL, l), gpow(rd(ROOT, l), <u32>i));
    if (acc != 0) return -1;
  }

  let changed = 0;
  for (let l = 0; l < nu; l++) {
    const e = rd(VAL, l);
    if (e == 0) continue;
    const deg = <i32>rd(ROOT, l);
    const addr = deg >= p ? data + <usize>(n - 1 - deg) * stride : parity + <usize>(p - 1 - deg) * stride;
    store<u8>(addr, <u8>(<u32>load<u8>(addr) ^ e));
    changed++;
  }
  return changed;
}
