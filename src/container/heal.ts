// Healing one block from its two stored copies. Pure and synchronous over (codec, hashers, bytes),
// so a batch of blocks can be handed to a worker as is. Order of attempts, cheapest first:
//   1. a copy whose data verifies as stored (copy 0, then copy 1);
//   2. Reed-Solomon on each copy alone (errors only);
//   3. combining both copies: the positions where they differ are the union of both copies'
//      damage, so (a) erasure decoding at those positions; (b) solving, per codeword, which copy
//      is right at each differing symbol from the syndrome equations (a GF(2) linear system);
//      (c) choosing per run of differing bytes which copy to trust (every assignment when there
//      are few runs, smaller runs left to erasure decoding); (d) for adjacent damage from both
//      copies inside one run, a split point on a grid fine enough for Reed-Solomon to fix the rest.
// Every candidate is accepted only if its BLAKE2b-256 equals a stored hash: a miscorrection or a
// wrong guess cannot pass.
import type { Codec } from '../integrity/codec.js';
import { blockLayout } from '../integrity/codec.js';
import type { Hashers } from './hash.js';
import { equalBytes } from './hash.js';

export interface BlockBody {
  data: Uint8Array;
  parity: Uint8Array;
}

export type Outcome = 'clean' | 'second-copy' | 'rs' | 'combined' | 'failed';
/** What was found in one stored copy: intact, damaged (data or parity), or not found at all. */
export type CopyState = 'intact' | 'damaged' | 'missing';

export interface HealResult {
  outcome: Outcome;
  /** The verified block data (absent when failed). */
  data?: Uint8Array;
  copies: [CopyState, CopyState];
  /** Why it failed, for the report. */
  reason?: string;
}

/** Upper bounds on the combining search, so one pathological block costs at most about a second. */
const MAX_RUNS_ENUMERATED = 8;
const MAX_DECODE_TRIES = 96;
const MERGE_GAP = 4;
const MAX_PINNED_RUNS = 2;
const MAX_PIN_TRIES = 4096;
const MAX_E_TRIES = 320;

export interface HealOptions {
  /** Only the bounded combining steps (after many failed blocks). */
  quick?: boolean;
  /**
   * BLAKE2b-256 of copy 0's data when the caller already has it (validate hashes the copy 0 of two
   * blocks at once, Codec.hashPair); it stands for that one hash, every decision stays the same.
   */
  digest0?: Uint8Array;
}

/**
 * Heals one block. `hashes` are the acceptable BLAKE2b-256 digests (the manifest's, or the frame
 * heads' when the manifest is lost); with none, the block cannot be verified and fails.
 * The inputs are not modified.
 */
export function healBlock(
  codec: Codec,
  hashers: Hashers,
  hashes: Uint8Array[],
  copies: [BlockBody | undefined, BlockBody | undefined],
  options: HealOptions = {},
): HealResult {
  const [c0, c1] = copies;
  if (hashes.length === 0) {
    return { outcome: 'failed', copies: [c0 ? 'damaged' : 'missing', c1 ? 'damaged' : 'missing'], reason: 'no stored hash survives to verify it' };
  }
  // The common case first: copy 0 verifies and copy 1 is the same bytes.
  const clean0 = !!c0 && matches(options.digest0 ?? hashers.hash(c0.data), hashes);
  if (clean0 && c1 && sameBody(c0, c1)) return { outcome: 'clean', data: c0.data, copies: ['intact', 'intact'] };
  const state: [CopyState, CopyState] = [c0 ? 'damaged' : 'missing', c1 ? 'damaged' : 'missing'];
  const ok = (data: Uint8Array) => verifies(hashers, hashes, data);

  if (c0 && clean0) {
    state[0] = codec.check(c0.data, c0.parity) ? 'intact' : 'damaged';
    if (c1) state[1] = equalBytes(c0.data, c1.data) && codec.check(c1.data, c1.parity) ? 'intact' : 'damaged';
    return { outcome: 'clean', data: c0.data, copies: state };
  }
  if (c1 && ok(c1.data)) {
    state[1] = codec.check(c1.data, c1.parity) ? 'intact' : 'damaged';
    return { outcome: 'second-copy', data: c1.data, copies: state };
  }
  for (const c of [c0, c1]) {
    if (!c) continue;
    const fixed = tryDecode(codec, c.data, c.parity, undefined, ok);
    if (fixed) return { outcome: 'rs', data: fixed, copies: state };
  }
  if (c0 && c1) {
    const fixed = combine(codec, c0, c1, ok, options.quick ?? false);
    if (fixed) return { outcome: 'combined', data: fixed, copies: state };
    return { outcome: 'failed', copies: state, reason: 'damage in both copies overlaps beyond the parity budget' };
  }
  return { outcome: 'failed', copies: state, reason: c0 || c1 ? 'only one copy was found and its damage exceeds the parity budget' : 'neither copy was found' };
}

function verifies(hashers: Hashers, hashes: Uint8Array[], data: Uint8Array): boolean {
  return matches(hashers.hash(data), hashes);
}

function matches(digest: Uint8Array, hashes: Uint8Array[]): boolean {
  for (const h of hashes) if (equalBytes(digest, h)) return true;
  return false;
}

/** Whether two copies hold the same data and parity. */
function sameBody(a: BlockBody, b: BlockBody): boolean {
  return equalBytes(a.data, b.data) && equalBytes(a.parity, b.parity);
}

function tryDecode(
  codec: Codec, data: Uint8Array, parity: Uint8Array, erasures: ArrayLike<number> | undefined, ok: (d: Uint8Array) => boolean,
): Uint8Array | undefined {
  const d = data.slice();
  const p = parity.slice();
  const result = codec.decode(d, p, erasures);
  if (!result.ok && result.failedCodewords.length === 0) return undefined;
  // Even when some codewords failed, the data may be right if those failures were parity-only;
  // the hash decides either way.
  return ok(d) ? d : undefined;
}

interface Run {
  start: number;
  end: number;
  /** Which copy to trust first: the other one looks wiped (constant bytes) here. */
  prefer: 0 | 1;
}

/** With `quick`, only the bounded steps (a) and (b) run: after many failed blocks a read stays fast. */
function combine(codec: Codec, c0: BlockBody, c1: BlockBody, ok: (d: Uint8Array) => boolean, quick: boolean): Uint8Array | undefined {
  const L = c0.data.length;
  const layout = blockLayout(L, codec.parity);
  const total = L + layout.parityLength;
  const at0 = (i: number) => (i < L ? c0.data[i] : c0.parity[i - L]);
  const at1 = (i: number) => (i < L ? c1.data[i] : c1.parity[i - L]);

  // Differing positions, as runs (merged across tiny gaps where both copies agree).
  const runs: Run[] = [];
  let count = 0;
  for (let i = 0; i < total; i++) {
    if (at0(i) === at1(i)) continue;
    count++;
    const last = runs[runs.length - 1];
    if (last && i - last.end < MERGE_GAP) last.end = i + 1;
    else runs.push({ start: i, end: i + 1, prefer: 0 });
  }
  if (count === 0) return undefined; // identical and both wrong: nothing to combine

  // (a) erasures at every differing position: exact for non-overlapping sparse damage.
  if (count <= codec.parity * layout.stride) {
    const erasures = new Uint32Array(count);
    let n = 0;
    for (let i = 0; i < total; i++) if (at0(i) !== at1(i)) erasures[n++] = i;
    const fixed = tryDecode(codec, c0.data, c0.parity, erasures, ok);
    if (fixed) return fixed;
  }

  // (b) per codeword, the choice between the two copies at each differing symbol as binary
  // unknowns of the syndrome equations (8p bit equations): exact for any arrangement of
  // non-overlapping damage while the copies differ in at most SOLVE_LIMIT symbols of each codeword.
  {
    const solved = solveChoices(codec.parity, layout.stride, layout.dataPerCodeword, L, c0, c1);
    if (solved && ok(solved.data)) return solved.data;
  }

  if (quick) return undefined;
  for (const run of runs) run.prefer = looksWiped(at1, run) && !looksWiped(at0, run) ? 0 : looksWiped(at0, run) ? 1 : 0;

  // (c) choose a copy per run. The largest runs are enumerated; the others become erasures.
  const byLength = runs.map((r, i) => i).sort((a, b) => (runs[b].end - runs[b].start) - (runs[a].end - runs[a].start));
  const chosen = byLength.slice(0, MAX_RUNS_ENUMERATED).sort((a, b) => a - b).map((i) => runs[i]);
  const rest = byLength.slice(MAX_RUNS_ENUMERATED).map((i) => runs[i]);
  let erasures: Uint32Array | undefined;
  if (rest.length) {
    let n = 0;
    for (const r of rest) n += r.end - r.start;
    if (n <= codec.parity * layout.stride) {
      erasures = new Uint32Array(n);
      n = 0;
      for (const r of rest) for (let i = r.start; i < r.end; i++) erasures[n++] = i;
    }
  }
  const masks = orderedMasks(chosen.length);
  const build = (mask: number, split?: { run: Run; at: number; firstFrom: 0 | 1 }) => {
    const d = c0.data.slice();
    const p = c0.parity.slice();
    const put = (from: number, to: number, source: 0 | 1) => {
      if (source === 0) return;
      for (let i = from; i < to; i++) {
        if (i < L) d[i] = c1.data[i];
        else p[i - L] = c1.parity[i - L];
      }
    };
    chosen.forEach((run, j) => {
      const source = (((mask >> j) & 1) ^ run.prefer) as 0 | 1;
      if (split && split.run === run) {
        put(run.start, split.at, split.firstFrom);
        put(split.at, run.end, (1 - split.firstFrom) as 0 | 1);
      } else put(run.start, run.end, source);
    });
    return { d, p };
  };

  if (!erasures) {
    for (const mask of masks) {
      const { d } = build(mask);
      if (ok(d)) return d;
    }
  }
  let tries = 0;
  for (const mask of masks) {
    if (rest.length && !erasures) break; // too much scattered damage for erasures; left to (d)
    if (++tries > MAX_DECODE_TRIES) break;
    const { d, p } = build(mask);
    const fixed = tryDecode(codec, d, p, erasures, ok);
    if (fixed) return fixed;
  }

  // (d) adjacent damage from both copies inside runs too large for (b): pin the largest runs to a
  // hypothesis (which copy is right before and after a split point on a grid), leave a window
  // around the split point and every other differing symbol to the linear solve of (b).
  const limitBytes = (solveLimit(codec.parity) - 8) * layout.stride;
  const order = byLength.map((i) => runs[i]);
  for (let pins = 1; pins <= MAX_PINNED_RUNS && pins <= order.length; pins++) {
    const pinned = order.slice(0, pins);
    let free = count;
    for (const r of pinned) free -= r.end - r.start;
    const window = Math.floor((limitBytes - free) / (2 * pins));
    if (window < layout.stride) continue;
    const options = pinned.map((r) => {
      const list: { at: number; first: 0 | 1 }[] = [];
      for (let at = r.start; ; at = Math.min(r.end, at + window)) {
        list.push({ at, first: 0 }, { at, first: 1 });
        if (at === r.end) break;
      }
      return list;
    });
    let tries = options.reduce((n, o) => n * o.length, 1);
    if (tries > MAX_PIN_TRIES) continue;
    const pick = new Array<number>(pins).fill(0);
    const b0: BlockBody = { data: c0.data.slice(), parity: c0.parity.slice() };
    const b1: BlockBody = { data: c1.data.slice(), parity: c1.parity.slice() };
    // Copies body range [from, to) of `source` into both work copies (memcpy, data and parity parts).
    const fill = (from: number, to: number, source: BlockBody) => {
      if (from >= to) return;
      if (from < L) {
        const end = Math.min(to, L);
        const part = source.data.subarray(from, end);
        b0.data.set(part, from);
        b1.data.set(part, from);
      }
      if (to > L) {
        const start = Math.max(from, L) - L;
        const part = source.parity.subarray(start, to - L);
        b0.parity.set(part, start);
        b1.parity.set(part, start);
      }
    };
    while (tries-- > 0) {
      pinned.forEach((r, n) => {
        const { at: split, first } = options[n][pick[n]];
        const lo = Math.max(r.start, split - window);
        const hi = Math.min(r.end, split + window);
        fill(r.start, lo, first === 0 ? c0 : c1);
        fill(hi, r.end, first === 0 ? c1 : c0);
        // The window is left to the solve: each work copy keeps its own bytes there.
        if (lo < hi) {
          if (lo < L) { b0.data.set(c0.data.subarray(lo, Math.min(hi, L)), lo); b1.data.set(c1.data.subarray(lo, Math.min(hi, L)), lo); }
          if (hi > L) { const a = Math.max(lo, L) - L; b0.parity.set(c0.parity.subarray(a, hi - L), a); b1.parity.set(c1.parity.subarray(a, hi - L), a); }
        }
      });
      const solved = solveChoices(codec.parity, layout.stride, layout.dataPerCodeword, L, b0, b1);
      if (solved && ok(solved.data)) return solved.data;
      for (let n = 0; n < pins; n++) {
        if (++pick[n] < options[n].length) break;
        pick[n] = 0;
      }
    }
  }

  // (e) the same with some damage common to both copies (scattered bytes hit in both): one run
  // split on a finer grid, a window of p/4 erasures per codeword around the split point, the
  // small runs as erasures, the next two runs by every assignment, then errors-and-erasures
  // decoding, which leaves room for p/8 errors per codeword that neither copy got right.
  const window = Math.max(1, Math.floor((codec.parity / 4) * layout.stride / 2));
  const budget = (codec.parity / 2) * layout.stride;
  for (const split of order.slice(0, 2)) {
    const rest = order.filter((r) => r !== split).slice(0, 2);
    const restSmall = order.filter((r) => r !== split && !rest.includes(r));
    let smallCount = 0;
    for (const r of restSmall) smallCount += r.end - r.start;
    if (smallCount + 2 * window > budget) continue;
    {
      let tries = 0;
      for (let at = split.start; ; at = Math.min(split.end, at + 2 * window)) {
        for (const first of [0, 1] as const) {
          for (let mask = 0; mask < 1 << rest.length; mask++) {
            if (++tries > MAX_E_TRIES) break;
            const d = c0.data.slice();
            const p = c0.parity.slice();
            const erasures: number[] = [];
            const put = (i: number, source: number) => {
              if (source === 0) return;
              if (i < L) d[i] = c1.data[i];
              else p[i - L] = c1.parity[i - L];
            };
            for (let i = split.start; i < split.end; i++) {
              if (i >= at - window && i < at + window) erasures.push(i);
              else put(i, i < at ? first : 1 - first);
            }
            rest.forEach((r, j) => { for (let i = r.start; i < r.end; i++) put(i, ((mask >> j) & 1) ^ r.prefer); });
            for (const r of restSmall) for (let i = r.start; i < r.end; i++) erasures.push(i);
            const fixed = tryDecode(codec, d, p, erasures, ok);
            if (fixed) return fixed;
          }
        }
        if (at === split.end) break;
      }
    }
  }
  return undefined;
}

/** A run where a copy holds one repeated byte (zeroed sector, erased range) is likely that copy's damage. */
function looksWiped(at: (i: number) => number, run: Run): boolean {
  if (run.end - run.start < 8) return false;
  const v = at(run.start);
  for (let i = run.start + 1; i < run.end; i++) if (at(i) !== v) return false;
  return true;
}

/** All masks of n bits, fewest bits set first (the preferred assignment is mask 0). */
function orderedMasks(n: number): number[] {
  const masks = Array.from({ length: 1 << n }, (_, i) => i);
  const pop = (x: number) => { let c = 0; while (x) { c += x & 1; x >>>= 1; } return c; };
  return masks.sort((a, b) => pop(a) - pop(b) || a - b);
}

// ---- (b): the choice at each differing symbol, from the syndromes ---------------------------------
// Codeword j holds data bytes j, j+N, j+2N, ... (symbol s at degree k+p-1-s) then parity bytes j,
// j+N, ... of the parity region (symbol t at degree p-1-t); a valid codeword c has c(alpha^l) = 0
// for l = 0..p-1. With r0, r1 the two copies and d = r0 ^ r1, the truth is r0 ^ x*d with x_i in
// {0, 1} at each differing symbol, so S_l(r0) = sum_i x_i * d_i * alpha^(l*deg_i): p equations over
// GF(2^8), i.e. 8p equations over GF(2) in the x_i, solved by Gaussian elimination.

/** Largest number of differing symbols per codeword solved for: 16 spare equations keep a wrong unique solution below 2^-16. */
export const solveLimit = (parity: number) => 8 * parity - 16;

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

function solveChoices(p: number, N: number, k: number, L: number, c0: BlockBody, c1: BlockBody): { data: Uint8Array } | undefined {
  const d = c0.data.slice();
  const limit = solveLimit(p);
  const W = Math.ceil((8 * p) / 32); // words of a column: the 8p equation bits of one unknown
  const cw = Math.ceil((limit + 1) / 32); // words of a combination: one bit per unknown
  const cols = new Int32Array((limit + 1) * W);
  const comb = new Int32Array((limit + 1) * cw); // which original unknowns each reduced column combines
  const pivot = new Int32Array(limit + 1); // pivot bit of reduced column i, or -1
  const pos = new Int32Array(limit + 1);
  const deg = new Int32Array(limit + 1);
  const syn = new Uint8Array(p);
  for (let j = 0; j < N; j++) {
    // The differing symbols of codeword j.
    let u = 0;
    for (let s = 0; s < k + p; s++) {
      const at = s < k ? j + s * N : L + j + (s - k) * N;
      if (s < k && at >= L) continue;
      const differs = at < L ? c0.data[at] !== c1.data[at] : c0.parity[at - L] !== c1.parity[at - L];
      if (!differs) continue;
      if (u === limit) return undefined;
      pos[u] = at;
      deg[u] = k + p - 1 - s;
      u++;
    }
    if (u === 0) continue;
    // Syndromes of copy 0 (Horner, highest degree first).
    syn.fill(0);
    for (let s = 0; s < k + p; s++) {
      const at = s < k ? j + s * N : L + j + (s - k) * N;
      const v = s < k ? (at < L ? c0.data[at] : 0) : c0.parity[at - L];
      for (let l = 0; l < p; l++) {
        const x = syn[l];
        syn[l] = (x === 0 ? 0 : EXP[LOG[x] + l]) ^ v;
      }
    }
    // Columns: unknown i contributes d_i * alpha^(l * deg_i) to syndrome l; bit b of syndrome l is row 8l + b.
    cols.fill(0, 0, (u + 1) * W);
    comb.fill(0, 0, (u + 1) * cw);
    for (let i = 0; i < u; i++) {
      const at = pos[i];
      const di = at < L ? c0.data[at] ^ c1.data[at] : c0.parity[at - L] ^ c1.parity[at - L];
      const logd = LOG[di];
      for (let l = 0; l < p; l++) {
        const coef = EXP[(logd + ((l * deg[i]) % 255)) % 255];
        const row = 8 * l;
        cols[i * W + (row >>> 5)] |= coef << (row & 31);
      }
      comb[i * cw + (i >>> 5)] |= 1 << (i & 31);
    }
    for (let l = 0; l < p; l++) {
      const row = 8 * l;
      cols[u * W + (row >>> 5)] |= syn[l] << (row & 31);
    }
    // Reduce each column (and finally the right-hand side) by the pivots found so far.
    let ok = true;
    for (let i = 0; i <= u; i++) {
      const ci = i * W;
      for (let e = 0; e < i; e++) {
        const pb = pivot[e];
        if (pb < 0) continue;
        if (cols[ci + (pb >>> 5)] & (1 << (pb & 31))) {
          const ce = e * W;
          for (let w = 0; w < W; w++) cols[ci + w] ^= cols[ce + w];
          for (let w = 0; w < cw; w++) comb[i * cw + w] ^= comb[e * cw + w];
        }
      }
      let pb = -1;
      for (let w = 0; w < W && pb < 0; w++) {
        const v = cols[ci + w];
        if (v !== 0) pb = w * 32 + (31 - Math.clz32(v & -v));
      }
      if (i < u) pivot[i] = pb;
      else if (pb >= 0) ok = false; // the right-hand side is not in the span: damage overlaps here
    }
    if (!ok) return undefined;
    // The right-hand side reduced to zero: it is the sum of the original columns in comb[u].
    for (let i = 0; i < u; i++) {
      if (comb[u * cw + (i >>> 5)] & (1 << (i & 31))) {
        const at = pos[i];
        if (at < L) d[at] = c1.data[at];
      }
    }
  }
  return { data: d };
}
