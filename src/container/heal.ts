// Healing one block from its two stored copies. Pure and synchronous over (codec, hashers, bytes),
// so a batch of blocks can be handed to a worker as is. Order of attempts, cheapest first:
//   1. a copy whose data verifies as stored (copy 0, then copy 1);
//   2. Reed-Solomon on each copy alone (errors only);
//   3. combining both copies: the positions where they differ are the union of both copies'
//      damage, so (a) erasure decoding at those positions, then (b) choosing per run of
//      differing bytes which copy to trust (every assignment when there are few runs, smaller runs
//      left to erasure decoding), then (c) for adjacent damage from both copies inside one run, a
//      split point on a grid fine enough for Reed-Solomon to fix the misplaced part.
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
): HealResult {
  const [c0, c1] = copies;
  const state: [CopyState, CopyState] = [c0 ? 'damaged' : 'missing', c1 ? 'damaged' : 'missing'];
  if (hashes.length === 0) return { outcome: 'failed', copies: state, reason: 'no stored hash survives to verify it' };
  const ok = (data: Uint8Array) => {
    const digest = hashers.hash(data);
    for (const h of hashes) if (equalBytes(digest, h)) return true;
    return false;
  };

  if (c0 && ok(c0.data)) {
    if (c1 && equalBytes(c0.data, c1.data) && equalBytes(c0.parity, c1.parity)) {
      return { outcome: 'clean', data: c0.data, copies: ['intact', 'intact'] };
    }
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
    const fixed = combine(codec, c0, c1, ok);
    if (fixed) return { outcome: 'combined', data: fixed, copies: state };
    return { outcome: 'failed', copies: state, reason: 'damage in both copies overlaps beyond the parity budget' };
  }
  return { outcome: 'failed', copies: state, reason: c0 || c1 ? 'only one copy was found and its damage exceeds the parity budget' : 'neither copy was found' };
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

function combine(codec: Codec, c0: BlockBody, c1: BlockBody, ok: (d: Uint8Array) => boolean): Uint8Array | undefined {
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

  for (const run of runs) run.prefer = looksWiped(at1, run) && !looksWiped(at0, run) ? 0 : looksWiped(at0, run) ? 1 : 0;

  // (b) choose a copy per run. The largest runs are enumerated; the others become erasures.
  const byLength = runs.map((r, i) => i).sort((a, b) => (runs[b].end - runs[b].start) - (runs[a].end - runs[a].start));
  const chosen = byLength.slice(0, MAX_RUNS_ENUMERATED).sort((a, b) => a - b).map((i) => runs[i]);
  const rest = byLength.slice(MAX_RUNS_ENUMERATED).map((i) => runs[i]);
  let erasures: Uint32Array | undefined;
  if (rest.length) {
    let n = 0;
    for (const r of rest) n += r.end - r.start;
    if (n > codec.parity * layout.stride) return undefined;
    erasures = new Uint32Array(n);
    n = 0;
    for (const r of rest) for (let i = r.start; i < r.end; i++) erasures[n++] = i;
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
    if (++tries > MAX_DECODE_TRIES) break;
    const { d, p } = build(mask);
    const fixed = tryDecode(codec, d, p, erasures, ok);
    if (fixed) return fixed;
  }

  // (c) adjacent damage from both copies merged into one run: try split points on a grid whose
  // spacing leaves at most p/2 wrong symbols per codeword, which Reed-Solomon then corrects.
  if (chosen.length <= 3 && !erasures) {
    const step = Math.max(1, Math.floor((codec.parity / 2) * layout.stride));
    for (const [j, run] of chosen.entries()) {
      for (let at = run.start + step; at < run.end; at += step) {
        for (const firstFrom of [0, 1] as const) {
          for (const mask of masks) {
            if ((mask >> j) & 1) continue; // this run's own choice is the split
            const { d, p } = build(mask, { run, at, firstFrom });
            const fixed = tryDecode(codec, d, p, undefined, ok);
            if (fixed) return fixed;
          }
        }
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
