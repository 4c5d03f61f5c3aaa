// The client-side validator on a large file, in headless Chromium: time to validate (the worker
// reads the File in slices), time to decrypt-check with the passphrase, time to rebuild the healed
// file, and the browser's peak memory while doing it, next to the Node reader on the same file
// (the anchor) and the file size. Bundle size is printed too.
// Size: DBS_BENCH_WEB_MIB (default 256; the case is 2048).
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { openContainer, writeContainer } from '../src/container/index.js';
import { encryptStream, sealEnvelope } from '../src/crypto/index.js';
import { fileSource, fileSpool } from '../src/io/file.node.js';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, serveFiles } from '../test/helpers/browser.js';
import { seededBytes } from '../test/helpers/env.js';
import { fmt, MiB, mbps, row, section } from './lib.js';
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from '../web/build.mjs';

const sizeMiB = Number(process.env.DBS_BENCH_WEB_MIB || 256);
const PASSPHRASE = 'bench passphrase';
const root = fileURLToPath(new URL('../', import.meta.url));

async function* randomPayload(total: number) {
  const piece = seededBytes(4 * MiB, 1);
  for (let at = 0; at < total; at += piece.length) {
    const out = piece.slice(0, Math.min(piece.length, total - at));
    out[0] ^= at & 0xff; // not identical pieces
    yield out;
  }
}

/** Total RSS (MiB) of `pid` and all its descendants. */
function treeRssMiB(pid: number): number {
  const lines = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss=']).toString().trim().split('\n');
  const procs = lines.map((l) => l.trim().split(/\s+/).map(Number));
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of procs) if (wanted.has(pp) && !wanted.has(p)) wanted.add(p), (grew = true);
  }
  wanted.delete(pid);
  return procs.filter(([p]) => wanted.has(p)).reduce((n, [, , rss]) => n + rss, 0) / 1024;
}

const dir = await mkdtemp(join(tmpdir(), 'dbs-web-bench-'));
try {
  const built = await buildWeb();
  section(`web validator, ${sizeMiB} MiB payload (DBS_BENCH_WEB_MIB)`);
  row('bundle web/dist/index.html', `${fmt(built.bytes / 1024)} KiB`, `${fmt(built.gzipBytes / 1024)} KiB gzipped`);

  const path = join(dir, 'big.dbs');
  const sealed = await sealEnvelope([{ passphrase: PASSPHRASE }]);
  const out = createWriteStream(path);
  for await (const chunk of writeContainer(encryptStream(randomPayload(sizeMiB * MiB), sealed), { meta: sealed.header, spool: () => fileSpool(dir) })) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const fileSize = (await stat(path)).size;

  const source = await fileSource(path);
  let started = performance.now();
  const report = await (await openContainer(source)).validate();
  const nodeSeconds = (performance.now() - started) / 1000;
  await source.close?.();
  if (!report.ok) throw new Error('the bench file does not validate in Node');
  row('Node reader validate (anchor)', `${fmt(mbps(fileSize, nodeSeconds))} MB/s`, `${fmt(nodeSeconds, 2)} s for ${fmt(fileSize / MiB)} MiB`);

  const site = await serveFiles({ '/': { type: 'text/html; charset=utf-8', body: readFileSync(join(root, 'web/dist/index.html')) } });
  // A persistent profile, as a person's browser has: an incognito context keeps blobs and the
  // origin-private file system in memory, which would measure something no user runs.
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    acceptDownloads: true,
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRssMiB(process.pid))), 200);
  try {
    // Headless Chromium has no save dialog: answer the picker with a real file handle in the
    // origin-private file system, as a person picking a file would.
    await context.addInitScript(() => {
      (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async () =>
        (await navigator.storage.getDirectory()).getFileHandle('healed.dbs', { create: true });
    });
    const page = await context.newPage();
    await page.goto(site.url + '/');
    const idle = treeRssMiB(process.pid);
    started = performance.now();
    await page.setInputFiles('#file', path);
    await page.waitForSelector('#verdict[data-verdict]', { timeout: 30 * 60_000 });
    const validateSeconds = (performance.now() - started) / 1000;
    const verdict = await page.getAttribute('#verdict', 'data-verdict');
    row(`page validate (verdict ${verdict})`, `${fmt(mbps(fileSize, validateSeconds))} MB/s`, `${fmt(validateSeconds, 2)} s; Node ${fmt(mbps(fileSize, nodeSeconds))} MB/s`);
    const validatePeak = peak;
    mkdirSync(join(root, 'test-output'), { recursive: true });
    await page.setViewportSize({ width: 1100, height: 1100 });
    await page.screenshot({ path: join(root, 'test-output/validator-large.png'), fullPage: true });
    row('browser peak RSS while validating', `${fmt(validatePeak)} MiB`, `idle ${fmt(idle)} MiB; file ${fmt(fileSize / MiB)} MiB`, {
      ok: validatePeak - idle < 256,
      text: 'growth < 256 MiB at any file size',
    });

    started = performance.now();
    await page.fill('#passphrase', PASSPHRASE);
    await page.click('#pass-check');
    await page.waitForSelector('#pass-result[data-outcome="ok"]', { timeout: 30 * 60_000 });
    const decryptSeconds = (performance.now() - started) / 1000;
    row('page passphrase check (Argon2id + decrypt)', `${fmt(mbps(fileSize, decryptSeconds))} MB/s`, `${fmt(decryptSeconds, 2)} s`);

    peak = 0;
    started = performance.now();
    await page.click('#download');
    await page.waitForFunction(() => document.getElementById('download-note')!.textContent!.startsWith('Saved as'), undefined, { timeout: 30 * 60_000 });
    const streamSeconds = (performance.now() - started) / 1000;
    row('page heal, streamed into the picked file', `${fmt(mbps(fileSize, streamSeconds))} MB/s`, `${fmt(streamSeconds, 2)} s`);
    row('browser peak RSS while streaming the heal', `${fmt(peak)} MiB`, `idle ${fmt(idle)} MiB`, { ok: peak - idle < 256, text: 'growth < 256 MiB at any file size' });
    await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('healed.dbs'));

    // Without a picker (other browsers): the healed file is assembled as a Blob and downloaded.
    await page.evaluate(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
    peak = 0;
    started = performance.now();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30 * 60_000 }), page.click('#download')]);
    await download.saveAs(join(dir, 'healed.dbs'));
    const healSeconds = (performance.now() - started) / 1000;
    row('page heal as a Blob download (no picker)', `${fmt(mbps(fileSize, healSeconds))} MB/s`, `${fmt(healSeconds, 2)} s`);
    row('browser peak RSS, Blob download', `${fmt(peak)} MiB`, `idle ${fmt(idle)} MiB; file ${fmt(fileSize / MiB)} MiB`);
  } finally {
    clearInterval(sampler);
    await context.close();
    await site.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
