import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireChromium, runInBrowser } from '../helpers/browser.js';

const enabled = await requireChromium();

test('the isomorphic entry bundles for the browser and runs in Chromium', async () => {
  if (!enabled) return;
  const result = await runInBrowser<{ back: number[]; secure: boolean; subtle: boolean; node: string }>(
    new URL('./smoke.entry.ts', import.meta.url).pathname,
  );
  assert.equal(result.back, [2, 3, 4]);
  assert.ok(result.secure, 'a page on 127.0.0.1 is a secure context, so WebCrypto is available');
  assert.ok(result.subtle);
  assert.is(result.node, 'undefined', 'no Node globals leak into the browser bundle');
});

test.run();
