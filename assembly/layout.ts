// Fixed regions of linear memory, placed after the static data. Nothing in this module uses the
// AssemblyScript heap: every buffer is a region computed here or passed in by the JS wrapper.
// The addresses are compile-time constants so that table lookups use immediate load offsets.

/** Base of the tables (init() checks that the static data ends below it), 16-byte aligned. */
// 2048, not 1024: BLAKE2b's permutation table (assembly/blake2b.ts) is static data too.
export const BASE: usize = 2048;
/** Full multiplication table, MUL[a << 8 | b] = a * b in GF(2^8). */
export const MUL: usize = BASE;
/** EXP[i] = alpha^i for i in 0..511 (doubled so sums of two logs need no reduction). */
export const EXP: usize = MUL + 65536;
/** LOG[x] = log_alpha(x) for x in 1..255. */
export const LOG: usize = EXP + 512;
/** POW[e << 8 | x] = alpha^(e * x mod 255): a row per exponent, contiguous over x for SIMD. */
export const POW: usize = LOG + 256;
/** MULHI[a << 4 | n] = a * (n << 4): with the first 16 bytes of MUL's row a, a's nibble tables. */
export const MULHI: usize = POW + 65536;
/** Generator polynomial coefficients g_0..g_p (g_p = 1) of the current parity count. */
export const GEN: usize = MULHI + 4096;
/** Remainders of one group of 16 codewords: coefficient j of codeword c at REG + 16 * j + c. */
export const REG: usize = GEN + 128;
/**
 * Products of a feedback byte f with every generator coefficient, one row per f of W = 16, 32
 * or 64 bytes (the smallest that holds p): TAB[f * W + W - p + j] = f * g_j, leading lanes zero.
 */
export const TAB: usize = REG + 64 * 16;
/** Transposition buffer of those kernels: 64 bytes per codeword of a group of 16. */
export const TR: usize = TAB + 256 * 64;
/** Decoder scratch (small polynomials and position lists of one codeword). */
export const SCR: usize = TR + 16 * 64;
/** BLAKE2b chaining state (8 words) while a message is hashed. */
export const B2_STATE: usize = SCR + 8192;
/** BLAKE2b's last block, padded with zeros. */
export const B2_TAIL: usize = B2_STATE + 64;
/** Two-lane BLAKE2b: message words of two blocks interleaved (lane 0, lane 1), 16 x v128. */
export const B2X_WORDS: usize = (B2_TAIL + 128 + 15) & ~(<usize>15);
/** Two-lane BLAKE2b chaining state, 8 x v128. */
export const B2X_STATE: usize = B2X_WORDS + 256;
/** Two-lane BLAKE2b: the two last blocks, padded with zeros, back to back. */
export const B2X_TAIL: usize = B2X_STATE + 128;
/** Start of the per-call work area (blocks, parity, erasure lists). */
export const WORK: usize = (B2X_TAIL + 256 + 15) & ~(<usize>15);
