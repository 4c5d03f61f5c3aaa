// Damages a container file in known places, for the validator and admin tests. Offsets come from
// the container's own layout arithmetic (src/container/format.ts) and the trailer's params.
import { HEAD_SIZE, PARAMS_LENGTH, SMALL_PARITY, computeLayout, decodeParams, frameSize, type Layout } from '../../src/container/format.js';
import { blockLayout } from '../../src/integrity/codec.js';
import { seededRandom } from '../helpers/env.js';

export function layoutOf(file: Uint8Array): Layout {
  const trailerFrame = frameSize(PARAMS_LENGTH, SMALL_PARITY);
  const at = file.length - trailerFrame + HEAD_SIZE;
  const p = decodeParams(file.subarray(at, at + PARAMS_LENGTH));
  const layout = computeLayout(p);
  if (layout.fileSize !== file.length) throw new Error(`layout says ${layout.fileSize} bytes, the file has ${file.length}`);
  return layout;
}

/** Offset of the first body byte of block `index` in copy `copy` (0 or 1). */
export function blockBody(layout: Layout, copy: 0 | 1, index: number): number {
  return layout.blocks[copy] + index * layout.fullFrame + HEAD_SIZE;
}

/** Flips `count` bytes of block `index`'s body in one copy, at distinct seeded positions. */
export function flipBytes(file: Uint8Array, layout: Layout, copy: 0 | 1, index: number, count: number, seed: number): void {
  const random = seededRandom(seed);
  const start = blockBody(layout, copy, index);
  const length = index === layout.blockCount - 1 ? layout.lastLength : layout.blockSize;
  const used = new Set<number>();
  while (used.size < count) used.add(random.int(length));
  for (const i of used) file[start + i] ^= 1 + random.int(255);
}

/** Overwrites a whole range with seeded garbage. */
export function smash(file: Uint8Array, start: number, length: number, seed: number): void {
  const random = seededRandom(seed);
  for (let i = 0; i < length; i++) file[start + i] = random.int(256);
}

/** The same block destroyed in both copies (body and parity): no repair is possible. */
export function damageBeyondRepair(original: Uint8Array, index = 1): Uint8Array {
  const file = original.slice();
  const layout = layoutOf(file);
  for (const copy of [0, 1] as const) smash(file, blockBody(layout, copy, index), layout.fullFrame - HEAD_SIZE, 99 + copy);
  return file;
}

/**
 * Damage in both copies that a correct reader repairs, one pattern per kind of repair:
 *  - a few bytes flipped in copy 1 of block 1 (Reed-Solomon repairs it in place),
 *  - block 3 of copy 1 destroyed (its second copy is good),
 *  - a few bytes flipped in both copies of block 5 (RS repairs either),
 *  - block 7: in copy 1 the first half of its codewords hit beyond the parity budget, in copy 2
 *    the other half (neither copy alone verifies; codeword by codeword, together they do).
 * Returns the damaged file and the indices of the blocks hit.
 */
export function damageBothCopies(original: Uint8Array): { file: Uint8Array; hit: number[]; layout: Layout } {
  const file = original.slice();
  const layout = layoutOf(file);
  if (layout.blockCount < 9) throw new Error(`need at least 9 blocks to damage, the file has ${layout.blockCount}`);
  flipBytes(file, layout, 0, 1, 6, 1);
  smash(file, blockBody(layout, 0, 3), layout.blockSize, 3);
  flipBytes(file, layout, 0, 5, 4, 5);
  flipBytes(file, layout, 1, 5, 4, 55);
  breakCodewords(file, layout, 0, 7, 'first half', 7);
  breakCodewords(file, layout, 1, 7, 'second half', 77);
  return { file, hit: [1, 3, 5, 7], layout };
}

/**
 * Puts parity/2 + 4 symbol errors into half of a block's codewords: beyond errors-only decoding of
 * that copy, yet within the erasure budget once the other copy shows where the bytes differ.
 */
export function breakCodewords(file: Uint8Array, layout: Layout, copy: 0 | 1, index: number, which: 'first half' | 'second half', seed: number): void {
  const random = seededRandom(seed);
  const { stride, dataPerCodeword } = blockLayout(layout.blockSize, layout.parity);
  const start = blockBody(layout, copy, index);
  const from = which === 'first half' ? 0 : stride / 2;
  for (let c = from; c < from + stride / 2; c++) {
    for (let j = 0; j < Math.min(dataPerCodeword, layout.parity / 2 + 4); j++) {
      const at = c + j * stride;
      if (at < layout.blockSize) file[start + at] ^= 1 + random.int(255);
    }
  }
}
