// Pinned vectors, so the code (field, generator, symbol order) cannot drift unnoticed.
// The single-codeword parities were produced by an independent implementation, the Python
// package reedsolo 1.7.0 with RSCodec(16) (nsym 16, fcr 0, prim 0x11d, generator 2), which uses
// the same conventions as docs/FORMAT.md; the block digest pins the interleaving on top.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { blockLayout, loadCodec } from '../../src/integrity/codec.js';
import { encodeCodeword, referenceEncodeBlock } from '../reference/rs.js';

const hex = (bytes: ArrayLike<number>) => Buffer.from(Array.from(bytes)).toString('hex');

const SINGLE = [
  { length: 239, message: (i: number) => (i * 7 + 3) & 0xff, parity: '0b3a42903240e529ae9c17502a3ce517' },
  { length: 100, message: (i: number) => (i * 13 + 1) & 0xff, parity: '29d5a15ed42a8286ad4d72e63cc4be17' },
];

test('one codeword: parity equals reedsolo RSCodec(16), in the reference and in the codec', async () => {
  const codec = await loadCodec();
  for (const v of SINGLE) {
    const message = Array.from({ length: v.length }, (_, i) => v.message(i));
    assert.is(hex(encodeCodeword(message, 16)), v.parity, 'reference');
    // the codec sees the message as codeword 0 of a block of 16 codewords with k = length
    const block = new Uint8Array(v.length * 16);
    message.forEach((b, i) => (block[i * 16] = b));
    const layout = blockLayout(block.length);
    assert.is(layout.stride, 16);
    assert.is(layout.dataPerCodeword, v.length);
    const parity = codec.encode(block);
    assert.is(hex(Array.from({ length: 16 }, (_, t) => parity[t * 16])), v.parity, 'codec');
  }
});

test('a 64 KiB block of i & 0xff: parity digest pinned', async () => {
  const data = new Uint8Array(65536).map((_, i) => i & 0xff);
  const parity = (await loadCodec()).encode(data);
  const digest = createHash('sha256').update(parity).digest('hex');
  assert.is(hex(parity.subarray(0, 16)), 'c1186eb7825b2df4479ee83104ddab72');
  assert.is(digest, 'b5a30983b42f2d26d306b5ab297e65e3982f25a03f694269a7e482091ab709aa');
  assert.is(createHash('sha256').update(referenceEncodeBlock(data, 16)).digest('hex'), digest);
});

test.run();
