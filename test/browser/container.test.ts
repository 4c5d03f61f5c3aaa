// The same heal inside headless Chromium: the page writes the same container bytes as Node,
// recovers the payload from a damaged Blob and heals it into a clean container.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { requireChromium, runInBrowser } from '../helpers/browser.js';
import { protect } from '../../src/index.js';
import { seededBytes as seeded } from '../helpers/seeded.js';

const enabled = await requireChromium();

test('Chromium writes the same container as Node and heals a damaged Blob', async () => {
  if (!enabled) return;
  const page = await runInBrowser<Record<string, unknown>>(new URL('./container.entry.ts', import.meta.url).pathname, { timeoutMs: 120_000 });
  const container = await protect(seeded((1 << 20) + 4321, 11), { meta: seeded(300, 12), id: seeded(16, 13), createdAt: new Date(1_760_000_000_000) });
  assert.is(page.containerDigest, createHash('sha256').update(container).digest('hex'), 'same container bytes as Node');
  assert.is(page.backDigest, page.payloadDigest, `payload recovered byte for byte in the page:\n${page.summary}`);
  assert.ok(page.metaSame);
  assert.ok(page.ok);
  assert.ok(page.healed, 'damage reported');
  assert.match(String(page.summary), /from the second copy/);
  assert.ok(Number(page.combined) >= 1, 'block 8 healed by combining both copies');
  assert.ok(page.afterOk && !page.afterHealed, 'healed container validates clean');
  assert.is(page.healedLength, container.length);
  assert.is(page.node, 'undefined');
});

test.run();
