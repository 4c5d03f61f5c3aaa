// Runs code in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core).
// `runInBrowser(entry)` bundles a TS module for the browser (conditions: browser; any node:*
// import fails the bundle) whose default export is an async function, serves it from 127.0.0.1,
// runs it in a page and returns its JSON-serialisable result.
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { requireService } from './env.js';

export const CHROMIUM_PATH = process.env.DBS_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** True when Chromium is installed; under CI=true a missing browser throws instead. */
export function requireChromium(): Promise<boolean> {
  return requireService('Chromium', async () => {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} not found (apt-get install -y chromium)`);
  });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Bundles `entry` (a path) for the browser; returns the JS text. */
export async function bundleForBrowser(entry: string, options: { globalName?: string } = {}): Promise<string> {
  const result = await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    format: options.globalName ? 'iife' : 'esm',
    globalName: options.globalName,
    platform: 'browser',
    conditions: ['browser'],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export type Files = Record<string, { type: string; body: string | Uint8Array }>;

/** Serves `files` (path -> content) on 127.0.0.1 at a free port. Records every request path. */
export async function serveFiles(files: Files): Promise<{ url: string; requests: string[]; server: Server; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url || '/').split('?')[0];
    requests.push(path);
    const file = files[path];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * Runs the default export of `entry` inside a Chromium page and returns its result.
 * Page errors and a timeout reject with the page's console output attached.
 */
export async function runInBrowser<T = unknown>(entry: string, options: { timeoutMs?: number } = {}): Promise<T> {
  const code = await bundleForBrowser(entry, { globalName: '__dbsEntry' });
  const runner = `
    ${code}
    (async () => {
      try {
        const fn = __dbsEntry.default;
        const value = await fn();
        window.__dbsResult = { ok: true, value };
      } catch (error) {
        window.__dbsResult = { ok: false, error: String(error && error.stack || error) };
      }
    })();`;
  const site = await serveFiles({
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>dbs test</title><script src="/entry.js"></script>' },
    '/entry.js': { type: 'text/javascript', body: runner },
  });
  const browser = await launchBrowser();
  const log: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    await page.goto(site.url + '/');
    await page.waitForFunction(() => (window as any).__dbsResult !== undefined, undefined, { timeout: options.timeoutMs ?? 60_000, polling: 100 });
    const result = (await page.evaluate(() => (window as any).__dbsResult)) as { ok: boolean; value?: T; error?: string };
    if (!result.ok) throw new Error(`in Chromium: ${result.error}\n${log.join('\n')}`);
    return result.value as T;
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith('in Chromium')) error.message += `\n${log.join('\n')}`;
    throw error;
  } finally {
    await browser.close();
    await site.close();
  }
}
