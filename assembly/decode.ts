// Error-and-erasure decoding of one codeword (scalar): syndromes from the parity difference,
// Forney syndromes, Berlekamp-Massey, Chien search, Forney's formula, then a syndrome check of
// the correction before anything is written. Symbols are addressed by degree: data symbol s of a
// codeword of n = k + p symbols has degree n - 1 - s, parity symbol t has degree p - 1 - t.
import { gmul, gexp, glog, ginv } from './gf';
import { SCR } from './layout';

const S: usize = SCR; //            syndromes S_0..S_(p-1)
const T: usize = SCR + 64; //       Forney syndromes
const GAM: usize = SCR + 128; //    erasure locator, 72 bytes
const SIG: usize = SCR + 200; //    error locator (Berlekamp-Massey)
const BB: usize = SCR + 272; //     Berlekamp-Massey previous locator
const TMP: usize = SCR + 344;
const LAM: usize = SCR + 416; //    errata locator, 136 bytes
const OMG: usize = SCR + 552; //    errata evaluator
const ERA: usize = SCR + 624; //    distinct erasure degrees of this codeword
const ROOT: usize = SCR + 704; //   degrees found by the Chien search
const VAL: usize = SCR + 784; //    error values
const TERM: usize = SCR + 864; //   Chien running terms, 136 bytes

@inline function rd(base: usize, i: i32): u32 {
  return <u32>load<u8>(base + <usize>i);
}
@inline function wr(base: usize, i: i32, v: u32): void {
  store<u8>(base + <usize>i, <u8>v);
}
function zero(base: usize, len: i32): void {
  memory.fill(base, 0, <usize>len);
}

/**
 * Corrects codeword c in place. q points at its parity difference (row t at q + t * stride),
 * eras/eraEnd bound its erasure degrees (u32 each). Returns the number of symbols changed, or -1
 * when the codeword cannot be corrected (nothing is written then).
 */
export function decodeColumn(
  data: usize, parity: usize, q: usize, stride: usize, k: i32, p: i32,
  missing: bool, eras: usize, eraEnd: usize,
): i32 {
  const n = k + p;
  // Syndromes S_i = E(alpha^i) where E (degree < p) is computed remainder + received parity.
  zero(S, p);
  for (let t = 0; t < p; t++) {
    const v = <u32>load<u8>(q + <usize>t * stride);
    if (v == 0) continue;
    const deg = <u32>(p - 1 - t);
    let e = glog(v);
    for (let i = 0; i < p; i++) {
      wr(S, i, rd(S, i) ^ gexp(e));
      e += deg;
      if (e >= 255) e -= 255;
    }
  }

  // Distinct erasures and their locator Gamma(x) = prod (1 + alpha^deg x).
  let rho = 0;
  zero(GAM, 72);
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
  zero(T, 64);
  for (let i = rho; i < p; i++) {
    let acc: u32 = 0;
    for (let j = 0; j <= rho; j++) acc ^= gmul(rd(GAM, j), rd(S, i - j));
    wr(T, i, acc);
  }

  // Berlekamp-Massey on T_rho..T_(p-1).
  zero(SIG, 72);
  zero(BB, 72);
  wr(SIG, 0, 1);
  wr(BB, 0, 1);
  let L = 0;
  let shift = 1;
  let b: u32 = 1;
  const m = p - rho;
  for (let r = 0; r < m; r++) {
    let d = rd(T, rho + r);
    for (let i = 1; i <= L; i++) d ^= gmul(rd(SIG, i), rd(T, rho + r - i));
    if (d == 0) {
      shift++;
      continue;
    }
    const coef = gmul(d, ginv(b));
    if (2 * L <= r) {
      memory.copy(TMP, SIG, 72);
      for (let i = 0; i + shift < 72; i++) wr(SIG, i + shift, rd(SIG, i + shift) ^ gmul(coef, rd(BB, i)));
      L = r + 1 - L;
      memory.copy(BB, TMP, 72);
      b = d;
      shift = 1;
    } else {
      for (let i = 0; i + shift < 72; i++) wr(SIG, i + shift, rd(SIG, i + shift) ^ gmul(coef, rd(BB, i)));
      shift++;
    }
  }
  if (2 * L > m) return -1;
  for (let i = L + 1; i < 72; i++) if (rd(SIG, i) != 0) return -1;

  // Errata locator Lambda = sigma * Gamma, degree L + rho.
  const nu = L + rho;
  zero(LAM, 136);
  for (let i = 0; i <= L; i++) {
    const s = rd(SIG, i);
    if (s == 0) continue;
    for (let j = 0; j <= rho; j++) wr(LAM, i + j, rd(LAM, i + j) ^ gmul(s, rd(GAM, j)));
  }
  if (rd(LAM, nu) == 0) return -1;

  // Chien search: roots alpha^(-deg) for deg in 0..n-1, skipping the unstored zero symbol.
  for (let j = 0; j <= nu; j++) wr(TERM, j, rd(LAM, j));
  let found = 0;
  for (let deg = 0; deg < n; deg++) {
    let acc: u32 = 0;
    for (let j = 0; j <= nu; j++) acc ^= rd(TERM, j);
    if (acc == 0 && !(missing && deg == p)) {
      if (found == nu) return -1;
      wr(ROOT, found, <u32>deg);
      found++;
    }
    // advance: term_j *= alpha^(-j)
    for (let j = 1; j <= nu; j++) wr(TERM, j, gmul(rd(TERM, j), gexp(<u32>(255 - j))));
  }
  if (found != nu) return -1;

  // Omega = S * Lambda mod x^p.
  zero(OMG, 72);
  for (let i = 0; i < p; i++) {
    let acc: u32 = 0;
    const top = i < nu ? i : nu;
    for (let j = 0; j <= top; j++) acc ^= gmul(rd(LAM, j), rd(S, i - j));
    wr(OMG, i, acc);
  }

  // Forney: e = X * Omega(X^-1) / Lambda'(X^-1), X = alpha^deg.
  for (let l = 0; l < nu; l++) {
    const deg = rd(ROOT, l);
    const xinvLog = deg == 0 ? 0 : 255 - deg;
    let num: u32 = 0;
    let pw: u32 = 0;
    for (let i = 0; i < p; i++) {
      const o = rd(OMG, i);
      if (o != 0) num ^= gexp(glog(o) + pw);
      pw += xinvLog;
      if (pw >= 255) pw -= 255;
    }
    let den: u32 = 0;
    pw = 0;
    const step = (xinvLog * 2) % 255;
    for (let j = 1; j <= nu; j += 2) {
      const c = rd(LAM, j);
      if (c != 0) den ^= gexp(glog(c) + pw);
      pw += step;
      if (pw >= 255) pw -= 255;
    }
    if (den == 0) return -1;
    let e: u32 = 0;
    if (num != 0) e = gexp((glog(num) + deg) % 255 + 255 - glog(den));
    wr(VAL, l, e);
  }

  // The corrected word must have all syndromes zero: S_i + sum e_l X_l^i == 0.
  for (let i = 0; i < p; i++) {
    let acc = rd(S, i);
    for (let l = 0; l < nu; l++) {
      const e = rd(VAL, l);
      if (e != 0) acc ^= gexp(glog(e) + (rd(ROOT, l) * <u32>i) % 255);
    }
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
