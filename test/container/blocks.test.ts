// Block work helpers: swapHeads exchanges every frame's head with the matching spare head, leaves
// bodies alone, and a second call restores both (the writer relies on that around a spool write).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { swapHeads } from '../../src/container/blocks.js';
import { HEAD_SIZE, frameSize } from '../../src/container/format.js';
import { seededBytes } from '../helpers/env.js';

test('swapHeads exchanges heads frame by frame (a short last frame included); twice restores both', () => {
  const lengths = [4096, 4096, 4096, 1000];
  const parity = 16;
  const total = lengths.reduce((sum, n) => sum + frameSize(n, parity), 0);
  const frames = seededBytes(total, 1);
  const heads = seededBytes(lengths.length * HEAD_SIZE, 2);
  const [frames0, heads0] = [frames.slice(), heads.slice()];
  swapHeads(frames, heads, lengths, parity);
  let at = 0;
  for (let k = 0; k < lengths.length; k++) {
    const size = frameSize(lengths[k], parity);
    const spare = heads0.subarray(k * HEAD_SIZE, (k + 1) * HEAD_SIZE);
    assert.ok(Buffer.from(frames.subarray(at, at + HEAD_SIZE)).equals(Buffer.from(spare)), `frame ${k} got its spare head`);
    assert.ok(Buffer.from(heads.subarray(k * HEAD_SIZE, (k + 1) * HEAD_SIZE)).equals(Buffer.from(frames0.subarray(at, at + HEAD_SIZE))), `spare ${k} got the frame's head`);
    assert.ok(Buffer.from(frames.subarray(at + HEAD_SIZE, at + size)).equals(Buffer.from(frames0.subarray(at + HEAD_SIZE, at + size))), `body ${k} untouched`);
    at += size;
  }
  swapHeads(frames, heads, lengths, parity);
  assert.ok(Buffer.from(frames).equals(Buffer.from(frames0)) && Buffer.from(heads).equals(Buffer.from(heads0)));
});

test.run();
