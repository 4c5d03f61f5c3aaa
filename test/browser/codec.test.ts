// The codec round trip inside headless Chromium, from the browser entry: the page computes the
// same parity as Node for the same bytes and corrects 8 errors per codeword and a full burst.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { requireChromium, runInBrowser } from '../helpers/browser.js';
import { loadCodec } from '../../src/integrity/codec.js';
import { seededBytes } from '../helpers/env.js';

const enabled = await requireChromium();

interface PageResult {
  parityDigest: string;
  damaged: number;
  cleanBefore: boolean;
  afterFirst: boolean;
  first: { ok: boolean; corrected: number };
  second: { ok: boolean; corrected: number };
  burstBytes: number;
  restored: boolean;
  node: string;
}

test('encode/decode round trip in Chromium matches Node byte for byte', async () => {
  if (!enabled) return;
  const page = await runInBrowser<PageResult>(new URL('./codec.entry.ts', import.meta.url).pathname);
  const codec = await loadCodec();
  const parity = codec.encode(seededBytes(65536, 2024));
  assert.is(page.parityDigest, createHash('sha256').update(parity).digest('hex'), 'same parity as Node');
  assert.is(page.damaged, 8 * 288);
  assert.is(page.cleanBefore, false);
  assert.equal(page.first, { ok: true, corrected: 8 * 288 });
  assert.ok(page.afterFirst);
  assert.equal(page.second, { ok: true, corrected: page.burstBytes });
  assert.ok(page.restored, 'data and parity restored exactly');
  assert.is(page.node, 'undefined', 'no Node globals in the page');
});

test.run();
