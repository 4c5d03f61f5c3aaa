// Web Workers in Chromium: the block engine on workers writes the same bytes and heals the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bundleForBrowser, launchBrowser, requireChromium, serveFiles } from '../helpers/browser.js';

const enabled = await requireChromium();

test('writing and healing on Web Workers in Chromium', async () => {
  if (!enabled) return;
  const entry = await bundleForBrowser(new URL('./container.workers.entry.ts', import.meta.url).pathname, { globalName: '__dbsEntry' });
  const worker = await bundleForBrowser(new URL('../../src/container/worker.browser.ts', import.meta.url).pathname);
  const runner = `${entry}
    __dbsEntry.default().then((value) => { window.__dbsResult = { ok: true, value }; },
      (error) => { window.__dbsResult = { ok: false, error: String(error && error.stack || error) }; });`;
  const site = await serveFiles({
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script src="/entry.js"></script>' },
    '/entry.js': { type: 'text/javascript', body: runner },
    '/container-worker.js': { type: 'text/javascript', body: worker },
  });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(m.text()));
    page.on('pageerror', (e) => log.push(e.message));
    await page.goto(site.url + '/');
    await page.waitForFunction(() => (window as any).__dbsResult !== undefined, undefined, { timeout: 60_000, polling: 100 });
    const result = (await page.evaluate(() => (window as any).__dbsResult)) as { ok: boolean; value?: Record<string, unknown>; error?: string };
    assert.ok(result.ok, `${result.error}\n${log.join('\n')}`);
    assert.ok(result.value!.sameBytes, 'Web Workers write the same bytes');
    assert.ok(result.value!.samePayload, 'and heal the payload byte for byte');
    assert.ok(result.value!.ok);
    assert.ok(Number(result.value!.repaired) > 0);
    assert.ok(site.requests.includes('/container-worker.js'), 'the worker script was loaded');
  } finally {
    await browser.close();
    await site.close();
  }
});

test.run();
