// The admin router mounted in a real Express 5 app on 127.0.0.1, against a real PostgreSQL
// database: authorization, CSRF, the backup download (name, content), restore round trip, dry
// run, wrong passphrase, damaged and oversize uploads (database untouched), HTML escaping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import express from 'express';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbsAdmin, downloadName } from '../../src/admin/router.js';
import { escapeHtml, html } from '../../src/admin/html.js';
import { validateBackup } from '../../src/pipeline/api.js';
import { openShop, requirePostgres, type Shop } from './shop.js';
import { damageBeyondRepair, damageBothCopies } from '../web/damage.js';
import { launchBrowser, requireChromium } from '../helpers/browser.js';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

const enabled = await requirePostgres();
const PASSPHRASE = 'correct horse battery staple 7';
const FAST_KDF = { memoryKiB: 8192, passes: 1, parallelism: 1 };
const MAX_UPLOAD = 512 * 1024;

let shop: Shop;
let server: Server;
let url = '';
let temp = '';
const logs: string[] = [];
let original: unknown;

async function start() {
  shop = await openShop('dbs_test_admin', { books: 300, seed: 11 });
  original = await shop.rows();
  temp = await mkdtemp(join(tmpdir(), 'dbs-admin-test-'));
  const app = express();
  app.use(
    '/dbs',
    dbsAdmin({
      sequelize: shop.sequelize,
      // The app's own rule; here a header stands in for a signed-in superuser.
      authorize: (req) => req.headers['x-test-user'] === 'root',
      prefix: 'shop',
      maxUploadBytes: MAX_UPLOAD,
      tempDir: temp,
      backupOptions: { kdf: FAST_KDF, blockSize: 4096 },
      log: (line) => logs.push(line),
    }),
  );
  app.use((_req, res) => res.status(404).send('app 404'));
  server = await new Promise<Server>((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/dbs`;
}

const ROOT = { 'x-test-user': 'root' };

/** Loads a form page and returns its CSRF cookie and token. */
async function form(path: string): Promise<{ cookie: string; token: string; body: string }> {
  const res = await fetch(url + path, { headers: ROOT });
  assert.is(res.status, 200);
  const body = await res.text();
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const token = /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
  assert.ok(cookie.startsWith('dbs_csrf='), 'a CSRF cookie is set');
  assert.ok(token.length > 20, 'the form carries a token');
  return { cookie, token, body };
}

async function download(passphrase = PASSPHRASE): Promise<{ bytes: Uint8Array; name: string; started: Date }> {
  const { cookie, token } = await form('/backup');
  const started = new Date();
  const res = await fetch(url + '/backup', {
    method: 'POST',
    headers: { ...ROOT, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: token, passphrase, confirm: passphrase }),
  });
  assert.is(res.status, 200, await res.clone().text().catch(() => ''));
  assert.is(res.headers.get('content-type'), 'application/octet-stream');
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? '';
  return { bytes: new Uint8Array(await res.arrayBuffer()), name, started };
}

async function restore(file: Uint8Array, fields: Record<string, string>, options: { fileName?: string; csrf?: 'omit' | 'wrong' } = {}) {
  const { cookie, token } = await form('/restore');
  const body = new FormData();
  if (options.csrf !== 'omit') body.set('csrf', options.csrf === 'wrong' ? token.slice(0, -2) + 'xx' : token);
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  body.set('backup', new Blob([file as BlobPart]), options.fileName ?? 'upload.dbs');
  const res = await fetch(url + '/restore', { method: 'POST', headers: { ...ROOT, cookie }, body });
  return { status: res.status, body: await res.text() };
}

async function tempIsEmpty() {
  assert.equal(await readdir(temp), [], 'no upload or backup is left in the temp dir');
}

test.before(async () => {
  if (enabled) await start();
});
test.after(async () => {
  if (!enabled) return;
  await new Promise((ok) => server.close(ok));
  await shop.close();
  await rm(temp, { recursive: true, force: true });
});

test('authorize is required: no default lets anyone in', () => {
  assert.throws(() => dbsAdmin({ sequelize: {} } as never), /authorize/);
  assert.throws(() => dbsAdmin({ sequelize: {}, authorize: true } as never), /authorize/);
});

test('download names are prefix-YYYYMMDD-HHMMSSZ.dbs in UTC, prefix sanitised', () => {
  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  assert.is(downloadName('shop', at), 'shop-20260102-030405Z.dbs');
  assert.is(downloadName('../"evil"\r\n<x>', at), 'evil-x-20260102-030405Z.dbs');
  assert.is(downloadName('', at), 'backup-20260102-030405Z.dbs');
});

test('html escapes every interpolation, once', () => {
  assert.is(escapeHtml(`<a href="x" onclick='y'>&\``), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
  const inner = html`<b>${'<i>'}</b>`;
  assert.is(html`<p>${inner}${['<', '>']}${null}${false}</p>`.text, '<p><b>&lt;i&gt;</b>&lt;&gt;</p>');
});

test('unauthorized requests get 403 on every page, and nothing runs', async () => {
  if (!enabled) return;
  for (const [method, path] of [['GET', '/'], ['GET', '/backup'], ['POST', '/backup'], ['GET', '/restore'], ['POST', '/restore'], ['GET', '/validator']]) {
    const res = await fetch(url + path, { method, headers: { 'x-test-user': 'guest' }, body: method === 'POST' ? 'passphrase=x' : undefined });
    assert.is(res.status, 403, `${method} ${path}`);
    assert.match(await res.text(), 'not allowed');
  }
  const thrower = dbsAdmin({ sequelize: {}, authorize: () => { throw new Error('session store down'); } });
  const res = await fetchFrom(thrower, '/');
  assert.is(res.status, 403, 'an authorize() that throws denies');
});

/** Runs a handler on a bare node:http server (basePath '/dbs') for one request. */
async function fetchFrom(handler: ReturnType<typeof dbsAdmin>, path: string, init?: RequestInit) {
  const s = createServer((req, res) => handler(req, res));
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  try {
    const res = await fetch(`http://127.0.0.1:${(s.address() as { port: number }).port}${path}`, init);
    return { status: res.status, body: await res.text(), headers: res.headers };
  } finally {
    await new Promise((ok) => s.close(ok));
  }
}

test('works on a bare node:http server with basePath', async () => {
  const handler = dbsAdmin({ sequelize: {}, authorize: () => true, basePath: '/dbs' });
  const index = await fetchFrom(handler, '/dbs/');
  assert.is(index.status, 200);
  assert.match(index.body, 'href="/dbs/backup"');
  assert.match(index.headers.get('content-security-policy') ?? '', "default-src 'none'");
  assert.is((await fetchFrom(handler, '/elsewhere')).status, 404);
  assert.is((await fetchFrom(handler, '/dbs/nope')).status, 404);
  assert.is((await fetchFrom(handler, '/dbs/backup', { method: 'PUT' })).status, 405);
});

test('works behind express.urlencoded() (the form is taken from req.body)', async () => {
  if (!enabled) return;
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use('/x', dbsAdmin({ sequelize: shop.sequelize, authorize: () => true, backupOptions: { kdf: FAST_KDF } }));
  const s = await new Promise<Server>((ok) => {
    const srv = app.listen(0, '127.0.0.1', () => ok(srv));
  });
  try {
    const base = `http://127.0.0.1:${(s.address() as { port: number }).port}/x`;
    const page = await fetch(base + '/backup');
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(page.headers.get('set-cookie') ?? '', 'Path=/x;');
    const token = /name="csrf" value="([^"]+)"/.exec(await page.text())![1];
    const res = await fetch(base + '/backup', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, passphrase: PASSPHRASE, confirm: PASSPHRASE }),
    });
    assert.is(res.status, 200);
    assert.ok((await res.arrayBuffer()).byteLength > 10_000);
  } finally {
    await new Promise((ok) => s.close(ok));
  }
});

test('unknown paths fall through to the app (Express next())', async () => {
  if (!enabled) return;
  const res = await fetch(url + '/elsewhere', { headers: ROOT });
  assert.is(res.status, 404);
  assert.is(await res.text(), 'app 404');
});

test('the backup form needs a CSRF token bound to the cookie, and a same-origin post', async () => {
  if (!enabled) return;
  const { cookie, token } = await form('/backup');
  const post = (headers: Record<string, string>, fields: Record<string, string>) =>
    fetch(url + '/backup', { method: 'POST', headers: { ...ROOT, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });
  const good = { passphrase: PASSPHRASE, confirm: PASSPHRASE };
  let res = await post({ cookie }, good);
  assert.is(res.status, 403, 'no token');
  assert.match(await res.text(), 'security token');
  res = await post({}, { ...good, csrf: token });
  assert.is(res.status, 403, 'token without its cookie');
  const other = await form('/backup');
  res = await post({ cookie: other.cookie }, { ...good, csrf: token });
  assert.is(res.status, 403, "another browser's cookie");
  res = await post({ cookie, origin: 'http://evil.example' }, { ...good, csrf: token });
  assert.is(res.status, 403, 'cross-origin post');
  await tempIsEmpty();
});

test('mismatched or short passphrases are refused without echoing them', async () => {
  if (!enabled) return;
  const { cookie, token } = await form('/backup');
  const res = await fetch(url + '/backup', {
    method: 'POST',
    headers: { ...ROOT, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: token, passphrase: 'first-secret-123', confirm: 'second-secret-456' }),
  });
  assert.is(res.status, 400);
  const body = await res.text();
  assert.match(body, 'differ');
  assert.not.match(body, 'first-secret-123');
  assert.not.match(body, 'second-secret-456');
});

let downloaded: { bytes: Uint8Array; name: string; started: Date };

test('download: an encrypted, valid backup named shop-YYYYMMDD-HHMMSSZ.dbs (UTC)', async () => {
  if (!enabled) return;
  downloaded = await download();
  const m = /^shop-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})Z\.dbs$/.exec(downloaded.name);
  assert.ok(m, downloaded.name);
  const stamp = Date.UTC(+m![1], +m![2] - 1, +m![3], +m![4], +m![5], +m![6]);
  assert.ok(Math.abs(stamp - downloaded.started.getTime()) < 5000, 'the name is the UTC time of the request');
  const report = await validateBackup(downloaded.bytes, PASSPHRASE);
  assert.ok(report.ok && !report.healed && report.decrypted, report.summary());
  const text = Buffer.from(downloaded.bytes).toString('latin1');
  assert.not.ok(text.includes('Author 1 <'), 'no plaintext row in the file');
  await tempIsEmpty();
});

test('restore: the download round-trips into the database (flush)', async () => {
  if (!enabled) return;
  await shop.sequelize.query('DELETE FROM books WHERE id % 3 = 0');
  await shop.sequelize.query(`UPDATE authors SET name = 'changed'`);
  assert.not.equal(await shop.rows(), original);
  const res = await restore(downloaded.bytes, { passphrase: PASSPHRASE, flush: '1' }, { fileName: 'shop.dbs' });
  assert.is(res.status, 200, res.body);
  assert.match(res.body, 'Restore finished');
  assert.match(res.body, /Rows restored<\/th><td class="n">312</);
  assert.equal(await shop.rows(), original);
  await tempIsEmpty();
});

test('restore: an upload damaged in both copies is healed on the way, and the page says so', async () => {
  if (!enabled) return;
  await shop.sequelize.query('DELETE FROM books WHERE id % 5 = 0');
  const res = await restore(damageBothCopies(downloaded.bytes).file, { passphrase: PASSPHRASE, flush: '1' });
  assert.is(res.status, 200, res.body);
  assert.match(res.body, 'was damaged and has been healed');
  assert.match(res.body, 'recovered, with damage repaired', 'the integrity summary is shown');
  assert.equal(await shop.rows(), original);
});

test('restore: dry run reports and changes nothing', async () => {
  if (!enabled) return;
  await shop.sequelize.query('DELETE FROM books WHERE id > 250');
  const before = await shop.rows();
  const res = await restore(downloaded.bytes, { passphrase: PASSPHRASE, flush: '1', dryRun: '1' });
  assert.is(res.status, 200, res.body);
  assert.match(res.body, 'Dry run');
  assert.equal(await shop.rows(), before);
});

test('restore: wrong passphrase gives a clear page, database untouched, name escaped', async () => {
  if (!enabled) return;
  const before = await shop.rows();
  const evil = `<img src=x onerror=alert(1)>.dbs`; // FormData sends '"' as %22, so none here
  const res = await restore(downloaded.bytes, { passphrase: 'not the passphrase', flush: '1' }, { fileName: evil });
  assert.is(res.status, 401, res.body);
  assert.match(res.body, 'Wrong passphrase');
  assert.match(res.body, 'Nothing in the database was changed');
  assert.not.match(res.body, '<img');
  assert.match(res.body, '&lt;img src=x onerror=alert(1)&gt;.dbs');
  assert.not.match(res.body, 'not the passphrase');
  assert.equal(await shop.rows(), before);
  await tempIsEmpty();
});

test('restore: a damaged upload is refused before the database is touched', async () => {
  if (!enabled) return;
  const before = await shop.rows();
  const damaged = damageBeyondRepair(downloaded.bytes);
  const res = await restore(damaged, { passphrase: PASSPHRASE, flush: '1' });
  assert.is(res.status, 422, res.body);
  assert.match(res.body, 'Damaged backup');
  assert.match(res.body, 'cannot be recovered');
  assert.equal(await shop.rows(), before);
});

test('restore: a non-backup file with an HTML name gets an escaped error', async () => {
  if (!enabled) return;
  const res = await restore(new TextEncoder().encode('<script>alert(1)</script> not a backup'), { passphrase: PASSPHRASE }, { fileName: "'><b onmouseover=alert(1)>x.dbs" });
  assert.is(res.status, 422);
  assert.not.match(res.body, '<script>');
  assert.not.match(res.body, '<b onmouseover');
  assert.match(res.body, '&#39;&gt;&lt;b onmouseover=alert(1)&gt;x.dbs', res.body);
});

test('restore: CSRF token required, wrong token refused, nothing stored', async () => {
  if (!enabled) return;
  const before = await shop.rows();
  for (const csrf of ['omit', 'wrong'] as const) {
    const res = await restore(downloaded.bytes, { passphrase: PASSPHRASE, flush: '1' }, { csrf });
    assert.is(res.status, 403, csrf);
  }
  assert.equal(await shop.rows(), before);
  await tempIsEmpty();
});

/** Posts a multipart body chunked (no Content-Length), so only the streaming count can stop it. */
function postChunked(cookie: string, token: string, total: number): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const boundary = '----dbsboundary7';
    const target = new URL(url + '/restore');
    const req = httpRequest({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: { ...ROOT, cookie, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
    });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    req.write(`--${boundary}\r\ncontent-disposition: form-data; name="csrf"\r\n\r\n${token}\r\n`);
    req.write(`--${boundary}\r\ncontent-disposition: form-data; name="passphrase"\r\n\r\n${PASSPHRASE}\r\n`);
    req.write(`--${boundary}\r\ncontent-disposition: form-data; name="backup"; filename="big.dbs"\r\ncontent-type: application/octet-stream\r\n\r\n`);
    const piece = new Uint8Array(16 * 1024).fill(0x41);
    const pump = () => {
      while (!answered && sent < total) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (!answered) req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}

test('restore: an oversize upload is refused while streaming, nothing stored', async () => {
  if (!enabled) return;
  const before = await shop.rows();
  const { cookie, token } = await form('/restore');
  const res = await postChunked(cookie, token, 8 * MAX_UPLOAD);
  assert.is(res.status, 413);
  assert.match(res.body, 'too large');
  assert.match(res.body, '512 KiB');
  assert.equal(await shop.rows(), before);
  await tempIsEmpty();
  // With a Content-Length above the limit the answer comes before the body is read.
  const body = new FormData();
  body.set('csrf', token);
  body.set('backup', new Blob([new Uint8Array(MAX_UPLOAD + 100_000)]), 'big.dbs');
  const declared = await fetch(url + '/restore', { method: 'POST', headers: { ...ROOT, cookie }, body });
  assert.is(declared.status, 413);
  await tempIsEmpty();
});

test('the validator page is served with a no-network policy, linked from the forms', async () => {
  if (!enabled) return;
  const { body } = await form('/restore');
  assert.match(body, 'href="/dbs/validator"');
  const res = await fetch(url + '/validator', { headers: ROOT });
  if (res.status === 503) {
    console.log('NOTICE: web/dist/index.html is not built; run node web/build.mjs');
    return;
  }
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', "connect-src 'none'");
  assert.match(await res.text(), 'Backup validator');
});

test('in a real browser: the backup form downloads, the restore form restores (CSRF cookie and all)', async () => {
  if (!enabled || !(await requireChromium())) return;
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ acceptDownloads: true, extraHTTPHeaders: ROOT, viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const atBackup = await shop.rows();
    await page.goto(url + '/backup');
    await page.fill('#passphrase', PASSPHRASE);
    await page.fill('#confirm', PASSPHRASE);
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('button[type=submit]')]);
    assert.match(file.suggestedFilename(), /^shop-\d{8}-\d{6}Z\.dbs$/);
    const saved = join(temp, '..', `dbs-admin-browser-${process.pid}.dbs`);
    await file.saveAs(saved);

    await shop.sequelize.query('DELETE FROM books WHERE id % 2 = 0');
    await page.goto(url + '/restore');
    await page.fill('#passphrase', PASSPHRASE);
    await page.check('input[name=flush]');
    await page.uncheck('input[name=dryRun]');
    await page.setInputFiles('#backup', saved);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    const text = (await page.textContent('main')) ?? '';
    assert.match(text, 'Restore finished');
    assert.equal(await shop.rows(), atBackup);
    mkdirSync(join(root, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-output/admin-restore-result.png'), fullPage: true });

    // The validator page as the router serves it (its CSP header on top of the page's own).
    await page.click('text=Validate a file');
    await page.setInputFiles('#file', saved);
    await page.waitForSelector('#verdict[data-verdict]', { timeout: 45_000 });
    assert.is(await page.getAttribute('#verdict', 'data-verdict'), 'clean');
    await rm(saved, { force: true });
  } finally {
    await browser.close();
  }
});

test('the passphrase never reaches a log line', () => {
  if (!enabled) return;
  assert.ok(logs.length > 0, 'operations were logged');
  for (const line of logs) assert.not.ok(line.includes(PASSPHRASE) || line.includes('not the passphrase'), line);
});

test.run();
