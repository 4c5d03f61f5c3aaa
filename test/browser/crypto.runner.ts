// Runs a bundled entry in Chromium with an /input.json beside it, on a chosen host name: 127.0.0.1
// is a secure context; "dbs.test" (mapped to 127.0.0.1) is plain http, so no crypto.subtle.
// Used by crypto.test.ts and bench/crypto.bench.ts.
import { chromium } from 'playwright-core';
import { bundleForBrowser, CHROMIUM_ARGS, CHROMIUM_PATH, serveFiles } from '../helpers/browser.js';

export async function runEntryWithInput<T>(entry: string, input: unknown, options: { host?: string; timeoutMs?: number } = {}): Promise<T> {
  const code = await bundleForBrowser(entry, { globalName: '__dbsEntry' });
  const runner = `${code}
    __dbsEntry.default().then((value) => { window.__dbsResult = { ok: true, value }; },
      (error) => { window.__dbsResult = { ok: false, error: String(error && error.stack || error) }; });`;
  const site = await serveFiles({
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script src="/entry.js"></script>' },
    '/entry.js': { type: 'text/javascript', body: runner },
    '/input.json': { type: 'application/json', body: JSON.stringify(input) },
  });
  const port = new URL(site.url).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP dbs.test 127.0.0.1'] });
  const log: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    await page.goto(`http://${options.host ?? '127.0.0.1'}:${port}/`);
    await page.waitForFunction(() => (window as any).__dbsResult !== undefined, undefined, { timeout: options.timeoutMs ?? 50_000, polling: 100 });
    const result = (await page.evaluate(() => (window as any).__dbsResult)) as { ok: boolean; value: T; error?: string };
    if (!result.ok) throw new Error(`in Chromium: ${result.error}`);
    return result.value;
  } catch (error) {
    if (error instanceof Error) error.message += `\n${log.join('\n')}`;
    throw error;
  } finally {
    await browser.close();
    await site.close();
  }
}
