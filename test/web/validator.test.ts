// The validator page in real Chromium: a backup made in Node from a real PostgreSQL database,
// damaged in both copies, is checked and healed in the page; the healed download validates clean
// in Node and restores the same rows; passphrase wrong and right; an unrecoverable file and a
// non-backup; and no request leaves the page except for its own HTML. Saves a screenshot to
// test-output/validator-repaired.png.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, requireChromium, serveFiles } from '../helpers/browser.js';
import { createBackup, restoreBackup, validateBackup } from '../../src/pipeline/api.js';
import { fileSource } from '../../src/io/file.node.js';
import { collect } from '../../src/io/memory.js';
import { encryptStream, sealEnvelope } from '../../src/crypto/index.js';
import { openContainer, writeContainer } from '../../src/container/index.js';
import { seededBytes } from '../helpers/env.js';
import { openShop, requirePostgres, type Shop } from '../admin/shop.js';
import { damageBeyondRepair, damageBothCopies } from './damage.js';
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from '../../web/build.mjs';

const enabled = (await requireChromium()) && (await requirePostgres());
const root = fileURLToPath(new URL('../../', import.meta.url));
const PASSPHRASE = 'validator test passphrase';

let shop: Shop;
let original: unknown;
let dir = '';
let browser: Browser;
let site: Awaited<ReturnType<typeof serveFiles>>;
const files = { clean: '', repaired: '', broken: '', junk: '' };
let hit: number[] = [];
let blockCount = 0;
let bundleBytes = 0;

test.before(async () => {
  if (!enabled) return;
  const built = await buildWeb();
  bundleBytes = built.bytes;
  shop = await openShop('dbs_test_web', { books: 400, seed: 3 });
  original = await shop.rows();
  dir = await mkdtemp(join(tmpdir(), 'dbs-web-test-'));
  files.clean = join(dir, 'shop-20261126-063000Z.dbs');
  // Small blocks so a small database spans enough blocks to damage in several ways.
  await createBackup(PASSPHRASE, { sequelize: shop.sequelize, output: files.clean, blockSize: 4096 });
  const bytes = new Uint8Array(readFileSync(files.clean));
  const damaged = damageBothCopies(bytes);
  hit = damaged.hit;
  blockCount = damaged.layout.blockCount;
  files.repaired = join(dir, 'shop-damaged.dbs');
  writeFileSync(files.repaired, damaged.file);
  files.broken = join(dir, 'shop-broken.dbs');
  writeFileSync(files.broken, damageBeyondRepair(bytes, 2));
  files.junk = join(dir, 'notes.dbs');
  writeFileSync(files.junk, 'this is not a backup\n'.repeat(100));
  site = await serveFiles({ '/': { type: 'text/html; charset=utf-8', body: readFileSync(join(root, 'web/dist/index.html')) } });
  browser = await launchBrowser();
});

test.after(async () => {
  if (!enabled) return;
  await browser?.close();
  await site?.close();
  await shop?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
}

/**
 * `picker`: 'none' removes showSaveFilePicker (the Blob download path); 'opfs' answers it with a
 * real FileSystemFileHandle in the origin-private file system (the streamed path), as a person
 * picking a file would, since headless Chromium has no dialog to answer.
 */
async function openPage(options: { picker?: 'none' | 'opfs' } = {}): Promise<Opened> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 1250 }, deviceScaleFactor: 1 });
  if ((options.picker ?? 'none') === 'none') await context.addInitScript(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
  else {
    await context.addInitScript(() => {
      (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (o: { suggestedName: string }) => {
        (window as unknown as { __picked: string }).__picked = o.suggestedName;
        return (await navigator.storage.getDirectory()).getFileHandle('picked.dbs', { create: true });
      };
    });
  }
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  await page.goto(site.url + '/');
  return { page, requests, errors };
}

async function check(page: Page, path: string): Promise<string> {
  await page.setInputFiles('#file', path);
  await page.waitForSelector('#verdict[data-verdict]', { timeout: 45_000 });
  return (await page.getAttribute('#verdict', 'data-verdict')) ?? '';
}

async function counts(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-count]', (els) =>
    Object.fromEntries(els.map((el) => [(el as HTMLElement).dataset.count!, Number(el.querySelector('.n')!.textContent!.replace(/\D/g, ''))])),
  );
}

let healedPath = '';

test('a file damaged in both copies: verdict repaired, counts, block map, summary', async () => {
  if (!enabled) return;
  const { page, errors } = await openPage();
  assert.is(await check(page, files.repaired), 'repaired');
  const c = await counts(page);
  const source = await fileSource(files.repaired);
  const node = await (await openContainer(source)).validate();
  await source.close?.();
  assert.is(c.total, blockCount);
  assert.is(c.failed, 0);
  assert.is(c.total - c.clean, hit.length, 'exactly the damaged blocks are marked');
  assert.equal(
    { clean: c.clean, repaired: c.repaired, second: c['second-copy'], combined: c.combined },
    { clean: node.clean, repaired: node.repairedByRS, second: node.fromSecondCopy, combined: node.combined },
    'the page reports what the Node reader reports',
  );
  const damaged = JSON.parse((await page.getAttribute('#map', 'data-damaged')) ?? '{}') as Record<string, string>;
  assert.equal(Object.keys(damaged).map(Number), hit, 'the map marks the damaged blocks where they are');
  assert.is(damaged[3], 'second copy', 'block 3, destroyed in copy 1 only, comes from the second copy');
  assert.is(damaged[7], 'combined', 'block 7, broken differently in both copies, needs both');
  const facts = await page.textContent('#facts');
  assert.match(facts!, 'Argon2id, 64 MiB, 3 passes, 1 lane');
  assert.match(facts!, '4 KiB');
  assert.match(facts!, 'shown after the passphrase check');
  assert.ok(await page.isEnabled('#download'));
  assert.equal(errors, []);

  // Passphrase: wrong, then right (which also reveals what the payload header says).
  await page.fill('#passphrase', 'not it');
  await page.click('#pass-check');
  await page.waitForSelector('#pass-result[data-outcome="wrong"]', { timeout: 30_000 });
  assert.match((await page.textContent('#pass-result'))!, 'Wrong passphrase');
  await page.fill('#passphrase', PASSPHRASE);
  await page.click('#pass-check');
  await page.waitForSelector('#pass-result[data-outcome="ok"]', { timeout: 30_000 });
  assert.match((await page.textContent('#pass-result'))!, 'Passphrase correct');
  const after = (await page.textContent('#facts'))!;
  assert.match(after, /Database\s*PostgreSQL \d+/, 'the payload header, read in the page after decryption');
  assert.match(after, 'Models2: Author, Book');

  mkdirSync(join(root, 'test-output'), { recursive: true });
  await page.screenshot({ path: join(root, 'test-output/validator-repaired.png'), fullPage: true });

  // Download the healed file.
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 45_000 }), page.click('#download')]);
  assert.is(download.suggestedFilename(), 'shop-damaged.healed.dbs');
  healedPath = join(dir, download.suggestedFilename());
  await download.saveAs(healedPath);
  assert.equal(errors, []);
  await page.context().close();
});

test('the healed download validates clean in Node and restores the same rows', async () => {
  if (!enabled) return;
  const report = await validateBackup(healedPath, PASSPHRASE);
  assert.ok(report.ok && !report.healed && report.decrypted, report.summary());
  const payloadOf = async (path: string) => {
    const source = await fileSource(path);
    try {
      return await collect((await openContainer(source)).payload());
    } finally {
      await source.close?.();
    }
  };
  assert.ok(Buffer.from(await payloadOf(healedPath)).equals(Buffer.from(await payloadOf(files.clean))), 'the same encrypted payload as the original');
  await shop.sequelize.query('DELETE FROM books');
  await shop.sequelize.query('DELETE FROM authors');
  await restoreBackup(healedPath, PASSPHRASE, { sequelize: shop.sequelize, flush: true });
  assert.equal(await shop.rows(), original);
});

test('where the browser offers a save picker, the healed file is streamed into the picked file', async () => {
  if (!enabled) return;
  const { page, errors } = await openPage({ picker: 'opfs' });
  assert.is(await check(page, files.repaired), 'repaired');
  await page.click('#download');
  await page.waitForFunction(() => document.getElementById('download-note')!.textContent!.startsWith('Saved as'), undefined, { timeout: 45_000 });
  assert.is(await page.evaluate(() => (window as unknown as { __picked: string }).__picked), 'shop-damaged.healed.dbs');
  const base64 = await page.evaluate(async () => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle('picked.dbs')).getFile();
    const bytes = new Uint8Array(await file.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  const streamed = join(dir, 'streamed.dbs');
  writeFileSync(streamed, Buffer.from(base64, 'base64'));
  const report = await validateBackup(streamed, PASSPHRASE);
  assert.ok(report.ok && !report.healed && report.decrypted, report.summary());
  assert.equal(errors, []);
  await page.context().close();
});

test('a clean file: verdict clean, all blocks clean', async () => {
  if (!enabled) return;
  const { page } = await openPage();
  assert.is(await check(page, files.clean), 'clean');
  const c = await counts(page);
  assert.is(c.total, blockCount);
  assert.is(c.clean, blockCount);
  await page.context().close();
});

test('damage beyond repair: verdict unrecoverable, the failed block shown, no download', async () => {
  if (!enabled) return;
  const { page } = await openPage();
  assert.is(await check(page, files.broken), 'unrecoverable');
  const c = await counts(page);
  assert.is(c.failed, 1);
  const damaged = JSON.parse((await page.getAttribute('#map', 'data-damaged')) ?? '{}') as Record<string, string>;
  assert.is(damaged[2], 'failed');
  assert.not.ok(await page.isEnabled('#download'));
  await page.screenshot({ path: join(root, 'test-output/validator-unrecoverable.png'), fullPage: true });
  await page.context().close();
});

test('a file that is not a backup: a clear message', async () => {
  if (!enabled) return;
  const { page } = await openPage();
  assert.is(await check(page, files.junk), 'unreadable');
  assert.match((await page.textContent('#verdict-line'))!, 'not a readable DBS backup');
  await page.screenshot({ path: join(root, 'test-output/validator-unreadable.png'), fullPage: true });
  await page.context().close();
});

test('a larger file: progress is shown while it is checked, and the page stays responsive', async () => {
  if (!enabled) return;
  const path = join(dir, 'larger.dbs');
  const sealed = await sealEnvelope([{ passphrase: PASSPHRASE, kdf: { memoryKiB: 8192, passes: 1, parallelism: 1 } }]);
  const payload = (async function* () {
    for (let i = 0; i < 48; i++) yield seededBytes(1 << 20, i + 1);
  })();
  writeFileSync(path, await collect(writeContainer(encryptStream(payload, sealed), { meta: sealed.header })));
  const { page } = await openPage();
  await page.setInputFiles('#file', path);
  await page.waitForFunction(
    () => !document.getElementById('progress')!.hidden && /^[1-9]\d? %$/.test(document.getElementById('progress-pct')!.textContent!),
    undefined,
    { polling: 'raf', timeout: 30_000 },
  );
  let slowest = 0;
  while (!(await page.$('#verdict[data-verdict]'))) {
    const started = performance.now();
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(ok)));
    slowest = Math.max(slowest, performance.now() - started);
  }
  assert.ok(slowest < 1000, `the main thread answered within ${slowest.toFixed(0)} ms while the worker read the file`);
  assert.is(await page.getAttribute('#verdict', 'data-verdict'), 'clean');
  await page.context().close();
});

test('offline once loaded, and no request leaves the page other than its own HTML', async () => {
  if (!enabled) return;
  const { page, requests } = await openPage();
  await page.context().setOffline(true);
  assert.is(await check(page, files.repaired), 'repaired');
  await page.fill('#passphrase', PASSPHRASE);
  await page.click('#pass-check');
  await page.waitForSelector('#pass-result[data-outcome="ok"]', { timeout: 30_000 });
  const network = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.equal(network, [site.url + '/'], 'only the page itself was fetched');
  assert.ok(site.requests.every((p) => p === '/'), `the server saw ${site.requests.join(', ')}`);
  await page.context().close();
  console.log(`NOTICE: validator bundle web/dist/index.html is ${(bundleBytes / 1024).toFixed(0)} KiB`);
});

test.run();
