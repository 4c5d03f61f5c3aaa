// The admin router: download a backup, upload one to restore, and the client-side validator page.
// A plain (req, res, next?) handler, so it mounts in Express (`app.use('/dbs', dbsAdmin(...))`),
// Connect, or a bare node:http server (`dbsAdmin({ ..., basePath: '/dbs' })`).
//
// Safety rules: `authorize(req)` decides every request (there is no default); every POST needs a
// CSRF token; the passphrase is never stored, logged or written back into a page; every value on
// a page is HTML-escaped; an upload is counted while it streams and refused past the limit; a
// wrong passphrase or a damaged upload is found before anything touches the database.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import busboy from 'busboy';
import { DbsError, WrongPassphraseError } from '../errors.js';
import { Csrf, CSRF_FIELD } from './csrf.js';
import { html, message, page, type Html } from './html.js';
import { runBackup, runRestore, type RestoreSummary } from './operations.js';

export const DEFAULT_MAX_UPLOAD = 1 << 30;
const MAX_FORM_BYTES = 16 << 10;

export interface DbsAdminOptions {
  /** The application's Sequelize instance. */
  sequelize: unknown;
  /**
   * Required. Returns true when this request may back up and restore (e.g. a signed-in superuser).
   * Anything else (false, a throw) answers 403.
   */
  authorize: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Download name prefix: `<prefix>-YYYYMMDD-HHMMSSZ.dbs`. Default 'backup'. */
  prefix?: string;
  /** Largest upload accepted, in bytes, enforced while streaming. Default 1 GiB. */
  maxUploadBytes?: number;
  /** Shortest passphrase the backup form accepts. Default 8. */
  minPassphraseLength?: number;
  /** Where uploads and backups are parked while they are worked on. Default os.tmpdir(). */
  tempDir?: string;
  /** HMAC key for CSRF tokens (16+ bytes). Default: random per process. */
  csrfSecret?: string | Uint8Array;
  /** For a bare node:http server: the path the router answers under, e.g. '/dbs'. */
  basePath?: string;
  /** Extra options for createBackup (registry, fileRoots, KDF parameters …). */
  backupOptions?: Record<string, unknown>;
  /** Extra options for restoreBackup (registry, restoreRoots …). */
  restoreOptions?: Record<string, unknown>;
  /** Receives one line per operation, and the pipeline's warnings (never a passphrase). Without it, warnings go to stderr. */
  log?: (line: string) => void;
}

type Next = (error?: unknown) => void;
export type DbsAdminHandler = (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** `prefix-YYYYMMDD-HHMMSSZ.dbs` in UTC; the prefix is reduced to safe file-name characters. */
export function downloadName(prefix: string, at: Date): string {
  const safe = prefix.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'backup';
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}Z`;
  return `${safe}-${stamp}.dbs`;
}

function findValidatorPage(): string | undefined {
  // src/admin/router.ts (tsx) and dist/src/admin/router.js (built) both sit under the package root.
  for (const up of ['../../web/dist/index.html', '../../../web/dist/index.html']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

export function dbsAdmin(options: DbsAdminOptions): DbsAdminHandler {
  if (!options || typeof options.authorize !== 'function') {
    throw new TypeError('dbsAdmin: options.authorize(req) is required (e.g. req => req.user?.isSuperuser === true); there is no default');
  }
  if (!options.sequelize) throw new TypeError('dbsAdmin: options.sequelize is required');
  const maxUpload = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
  if (!Number.isSafeInteger(maxUpload) || maxUpload <= 0) throw new RangeError(`dbsAdmin: maxUploadBytes must be a positive integer, got ${maxUpload}`);
  const minPassphrase = options.minPassphraseLength ?? 8;
  const csrf = new Csrf(options.csrfSecret);
  const log = options.log ?? (() => {});
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  let restoring = false;

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  }

  function mountOf(req: IncomingMessage): string {
    const fromExpress = (req as { baseUrl?: string }).baseUrl;
    return typeof fromExpress === 'string' && fromExpress !== '' ? fromExpress : basePath;
  }

  return (req, res, next) => {
    handle(req, res, next).catch((error) => {
      log(`dbs admin: internal error: ${error instanceof Error ? error.message : String(error)}`);
      const base = mountOf(req);
      send(res, 500, page({ title: 'Error', base, body: html`<div class="card"><h1>Something went wrong</h1>${message('bad', describe(error))}</div>` }));
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, next?: Next) {
    const base = mountOf(req);
    let path = (req.url ?? '/').split('?')[0];
    if (basePath && !(req as { baseUrl?: string }).baseUrl) {
      if (path !== basePath && !path.startsWith(basePath + '/')) return notFound(res, next, base);
      path = path.slice(basePath.length);
    }
    path = path.replace(/\/+$/, '') || '/';
    const route = `${req.method} ${path}`;
    const known = ['GET /', 'GET /backup', 'POST /backup', 'GET /restore', 'POST /restore', 'GET /validator'];
    if (!known.includes(route)) {
      if (['/', '/backup', '/restore', '/validator'].includes(path)) {
        return send(res, 405, page({ title: 'Not allowed', base, body: html`<div class="card">${message('bad', `${req.method} is not allowed here.`)}</div>` }), { allow: path === '/backup' || path === '/restore' ? 'GET, POST' : 'GET' });
      }
      return notFound(res, next, base);
    }

    let allowed = false;
    try {
      allowed = (await options.authorize(req)) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) {
      req.resume();
      return send(res, 403, page({ title: 'Forbidden', base, body: html`<div class="card"><h1>Forbidden</h1>${message('bad', 'You are not allowed to back up or restore this application.', 'Sign in with an account that may, then try again.')}</div>` }), { connection: 'close' });
    }

    switch (route) {
      case 'GET /':
        return send(res, 200, page({ title: 'Backups', base, body: indexBody(base) }));
      case 'GET /backup':
        return send(res, 200, page({ title: 'Download a backup', base, body: backupForm(base, csrf.token(req, res, base || '/')) }));
      case 'POST /backup':
        return postBackup(req, res, base);
      case 'GET /restore':
        return send(res, 200, page({ title: 'Restore', base, body: restoreForm(base, csrf.token(req, res, base || '/')) }));
      case 'POST /restore':
        return postRestore(req, res, base);
      case 'GET /validator':
        return validator(res, base);
    }
  }

  function notFound(res: ServerResponse, next: Next | undefined, base: string) {
    if (next) return next();
    send(res, 404, page({ title: 'Not found', base, body: html`<div class="card">${message('bad', 'No such page.')}</div>` }));
  }

  function indexBody(base: string): Html {
    return html`<div class="card"><h1>Backups</h1><p class="muted">Encrypted, self-healing backups of this application's data and files.</p>
<div class="links"><a href="${base}/backup">Download a backup<span>An encrypted <code>.dbs</code> file of every model, its relations and files.</span></a>
<a href="${base}/restore">Restore from a backup<span>Upload a <code>.dbs</code> file; it is checked and healed before anything is written.</span></a>
<a href="${base}/validator">Validate a file in your browser<span>Checks and repairs a backup locally; the file is not uploaded.</span></a></div></div>`;
  }

  function backupForm(base: string, token: string, problem?: Html): Html {
    return html`<div class="card"><h1>Download a backup</h1>
<p class="muted">The backup is encrypted with this passphrase. It is not stored anywhere: without it the backup cannot be restored, so keep it safe.</p>
${problem}
<form method="post" action="${base}/backup" autocomplete="off">
<input type="hidden" name="${CSRF_FIELD}" value="${token}">
<label for="passphrase">Passphrase</label><input id="passphrase" name="passphrase" type="password" required minlength="${minPassphrase}" autocomplete="new-password">
<label for="confirm">Passphrase again</label><input id="confirm" name="confirm" type="password" required minlength="${minPassphrase}" autocomplete="new-password">
<button type="submit">Create and download</button></form></div>`;
  }

  function restoreForm(base: string, token: string, problem?: Html): Html {
    return html`<div class="card"><h1>Restore from a backup</h1>
<p class="muted">Largest upload: ${formatSize(maxUpload)}. The file is checked (and healed if damaged) and the passphrase verified before anything in the database changes. Want to check a file first without uploading it? Use the <a href="${base}/validator">validator</a>.</p>
${problem}
<form method="post" action="${base}/restore" enctype="multipart/form-data" autocomplete="off">
<input type="hidden" name="${CSRF_FIELD}" value="${token}">
<label for="passphrase">Passphrase</label><input id="passphrase" name="passphrase" type="password" required autocomplete="off">
<label class="check"><input type="checkbox" name="flush" value="1"><span>Empty the tables first (flush). Without it, rows are added to what is there.</span></label>
<label class="check"><input type="checkbox" name="dryRun" value="1" checked><span>Dry run: check everything and report, but change nothing.</span></label>
<label for="backup">Backup file</label><input id="backup" name="backup" type="file" accept=".dbs" required>
<button type="submit">Upload and restore</button></form></div>`;
  }

  async function readForm(req: IncomingMessage): Promise<Record<string, string> | 'too-large' | 'bad-type'> {
    const parsed = (req as { body?: unknown }).body;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).length > 0) {
      return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    }
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      return 'bad-type';
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        req.resume();
        return 'too-large';
      }
      chunks.push(chunk);
    }
    return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
  }

  async function postBackup(req: IncomingMessage, res: ServerResponse, base: string) {
    const form = await readForm(req);
    if (form === 'too-large' || form === 'bad-type') {
      return send(res, form === 'too-large' ? 413 : 400, page({ title: 'Bad request', base, body: html`<div class="card">${message('bad', 'The form could not be read.')}</div>` }));
    }
    if (!csrf.verify(req, form[CSRF_FIELD])) return csrfFailure(res, base);
    const token = csrf.token(req, res, base || '/');
    const passphrase = form.passphrase ?? '';
    if (passphrase.length < minPassphrase) {
      return send(res, 400, page({ title: 'Download a backup', base, body: backupForm(base, token, message('bad', `The passphrase must be at least ${minPassphrase} characters long.`)) }));
    }
    if (passphrase !== form.confirm) {
      return send(res, 400, page({ title: 'Download a backup', base, body: backupForm(base, token, message('bad', 'The two passphrases differ. Type the same passphrase twice.')) }));
    }
    const folder = await mkdtemp(join(options.tempDir ?? tmpdir(), 'dbs-admin-'));
    try {
      const at = new Date();
      const name = downloadName(options.prefix ?? 'backup', at);
      const path = join(folder, name);
      const started = Date.now();
      await runBackup({ sequelize: options.sequelize, passphrase, path, createdAt: at, extra: options.backupOptions, log: options.log });
      // Open, then remove: the bytes are sent from the open file, and nothing is left on disk
      // even if the download is interrupted (where the OS allows removing an open file).
      const handle = await open(path, 'r');
      const { size } = await handle.stat();
      await rm(folder, { recursive: true, force: true }).catch(() => {});
      log(`dbs admin: backup ${name} created (${size} bytes in ${Date.now() - started} ms), downloading`);
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        'content-disposition': `attachment; filename="${name}"`,
      });
      await pipeline(handle.createReadStream(), res);
    } catch (error) {
      log(`dbs admin: backup failed: ${describe(error)}`);
      if (res.headersSent) res.destroy();
      else send(res, 500, page({ title: 'Backup failed', base, body: backupForm(base, token, message('bad', `The backup failed: ${describe(error)}`, hintOf(error))) }));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  function csrfFailure(res: ServerResponse, base: string) {
    send(res, 403, page({ title: 'Form expired', base, body: html`<div class="card"><h1>The form has expired</h1>${message('bad', 'The security token of this form is missing or wrong, so nothing was done.', 'Open the page again from its link and resubmit.')}</div>` }));
  }

  async function postRestore(req: IncomingMessage, res: ServerResponse, base: string) {
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('multipart/form-data')) {
      req.resume();
      return send(res, 400, page({ title: 'Bad request', base, body: html`<div class="card">${message('bad', 'Upload the backup with the restore form.')}</div>` }));
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxUpload + MAX_FORM_BYTES) return oversize(req, res, base);
    if (restoring) {
      req.resume();
      return send(res, 409, page({ title: 'Busy', base, body: html`<div class="card">${message('warn', 'Another restore is running. Wait for it to finish, then try again.')}</div>` }));
    }
    restoring = true;
    let answer: { status: number; body: string } | 'oversize' | 'csrf';
    const folder = await mkdtemp(join(options.tempDir ?? tmpdir(), 'dbs-upload-'));
    try {
      answer = await receiveAndRestore(req, res, base, folder);
    } finally {
      restoring = false;
      // Removed before the answer goes out: once the browser sees the result, nothing is left.
      await rm(folder, { recursive: true, force: true });
    }
    if (answer === 'oversize') return oversize(req, res, base);
    if (answer === 'csrf') return csrfFailure(res, base);
    send(res, answer.status, answer.body);
  }

  async function receiveAndRestore(req: IncomingMessage, res: ServerResponse, base: string, folder: string): Promise<{ status: number; body: string } | 'oversize' | 'csrf'> {
    const upload = await receive(req, folder);
    if (upload.kind === 'oversize' || upload.kind === 'csrf') return upload.kind;
    if (upload.kind === 'bad') {
      return { status: 400, body: page({ title: 'Restore', base, body: restoreForm(base, csrf.token(req, res, base || '/'), message('bad', upload.reason)) }) };
    }
    const { fields, fileName, path, size } = upload;
    const flush = fields.flush === '1' || fields.flush === 'on';
    const dryRun = fields.dryRun === '1' || fields.dryRun === 'on';
    const started = Date.now();
    let summary: RestoreSummary;
    try {
      summary = await runRestore({ sequelize: options.sequelize, passphrase: fields.passphrase ?? '', path, flush, dryRun, extra: options.restoreOptions, log: options.log });
    } catch (error) {
      log(`dbs admin: restore of an upload (${size} bytes) refused: ${describe(error)}`);
      const wrong = error instanceof WrongPassphraseError;
      const title = wrong ? 'Wrong passphrase' : (error as DbsError)?.code === 'UNRECOVERABLE' ? 'Damaged backup' : 'Restore failed';
      return { status: wrong ? 401 : 422, body: page({ title, base, body: resultFailure(base, title, fileName, error) }) };
    }
    log(`dbs admin: restore of an upload (${size} bytes) ${dryRun ? 'checked (dry run)' : 'done'} in ${Date.now() - started} ms`);
    return { status: 200, body: page({ title: 'Restore result', base, body: resultPage(base, fileName, size, flush, dryRun, summary) }) };
  }

  type Upload =
    | { kind: 'ok'; fields: Record<string, string>; fileName: string; path: string; size: number }
    | { kind: 'oversize' }
    | { kind: 'csrf' }
    | { kind: 'bad'; reason: string };

  /** Streams the multipart body; the file goes to `folder`, counted, and is cut at the limit. */
  function receive(req: IncomingMessage, folder: string): Promise<Upload> {
    return new Promise((resolve) => {
      const fields: Record<string, string> = {};
      const path = join(folder, `upload-${randomBytes(6).toString('hex')}.dbs`);
      let fileName = '';
      let size = 0;
      let files = 0;
      let outcome: Upload | undefined;
      let writing: Promise<void> | undefined;
      let settled = false;
      const finish = (result: Upload) => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const stop = (result: Upload) => {
        outcome ??= result;
        req.unpipe(parser);
        req.resume(); // the rest of the body is read and dropped, never stored
        parser.removeAllListeners('file');
        finish(outcome);
      };
      let parser: ReturnType<typeof busboy>;
      try {
        parser = busboy({ headers: req.headers, limits: { fileSize: maxUpload, files: 1, fields: 10, fieldSize: MAX_FORM_BYTES, parts: 12 } });
      } catch (error) {
        req.resume();
        finish({ kind: 'bad', reason: `The upload could not be read: ${describe(error)}` });
        return;
      }
      parser.on('field', (name, value) => {
        fields[name] = value;
      });
      parser.on('file', (_name, stream, info) => {
        files++;
        // The token must come first (our form puts it first): no byte of an unverified upload is stored.
        if (files > 1 || !csrf.verify(req, fields[CSRF_FIELD])) {
          stream.resume();
          return stop({ kind: 'csrf' });
        }
        fileName = info.filename ?? '';
        const sink = createWriteStream(path, { mode: 0o600 });
        stream.on('data', (chunk: Buffer) => (size += chunk.length));
        stream.on('limit', () => {
          outcome ??= { kind: 'oversize' };
          stream.unpipe(sink);
          sink.destroy();
          stream.resume();
          stop(outcome);
        });
        writing = pipeline(stream, sink).catch(() => {});
      });
      parser.on('error', (error) => stop({ kind: 'bad', reason: `The upload could not be read: ${describe(error)}` }));
      parser.on('close', async () => {
        await writing;
        if (outcome) return finish(outcome);
        if (!csrf.verify(req, fields[CSRF_FIELD])) return finish({ kind: 'csrf' });
        if (files === 0 || size === 0) return finish({ kind: 'bad', reason: 'Choose a backup file to upload.' });
        finish({ kind: 'ok', fields, fileName, path, size });
      });
      req.on('aborted', () => stop({ kind: 'bad', reason: 'The upload was interrupted.' }));
      req.pipe(parser);
    });
  }

  function oversize(req: IncomingMessage, res: ServerResponse, base: string) {
    // Answer now and close the connection; the rest of the body is read and dropped, never stored.
    req.unpipe();
    req.resume();
    send(res, 413, page({ title: 'Too large', base, body: html`<div class="card"><h1>The upload is too large</h1>${message('bad', `This server accepts backups up to ${formatSize(maxUpload)}; nothing was stored and the database was not changed.`, 'Restore a large backup with the command line: dbs restore <file>.')}</div>` }), { connection: 'close' });
  }

  function resultFailure(base: string, title: string, fileName: string, error: unknown): Html {
    return html`<div class="card"><h1>${title}</h1>
${message('bad', describe(error), hintOf(error))}
<p>File: <code>${fileName || '(unnamed)'}</code>. Nothing in the database was changed.</p>
<p><a href="${base}/restore">Back to the restore form</a></p></div>`;
  }

  function resultPage(base: string, fileName: string, size: number, flush: boolean, dryRun: boolean, s: RestoreSummary): Html {
    const lead = dryRun
      ? message('ok', 'Dry run finished: the backup is readable and every row could be restored. Nothing was changed.')
      : message('ok', `Restore finished${flush ? ' (tables were emptied first)' : ''}.`);
    return html`<div class="card"><h1>Restore result</h1>
${lead}
${s.healed ? message('warn', `The uploaded file was damaged and has been healed: ${s.healedDetail ?? 'damaged blocks were recovered'}.`, 'Replace the stored copy of this backup with a healed one (dbs heal).') : ''}
<table><tbody>
<tr><th>File</th><td><code>${fileName || '(unnamed)'}</code> (${formatSize(size)})</td></tr>
<tr><th>Rows ${dryRun ? 'checked' : 'restored'}</th><td class="n">${s.rows}</td></tr>
<tr><th>Files ${dryRun ? 'checked' : 'restored'}</th><td class="n">${s.files}</td></tr>
<tr><th>Models</th><td class="n">${s.models}</td></tr>
</tbody></table>
${s.tables.length ? html`<h2 class="muted" style="font-size:.9rem;margin:18px 0 6px">Per model</h2><table><thead><tr><th>Model</th><th style="text-align:right">Rows</th></tr></thead><tbody>${s.tables.map((t) => html`<tr><td>${t.name}</td><td class="n">${t.rows}</td></tr>`)}</tbody></table>` : ''}
${s.warnings.length ? html`<h2 class="muted" style="font-size:.9rem;margin:18px 0 6px">Warnings</h2><ul>${s.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
<p style="margin-top:16px"><a href="${base}/restore">Restore another file</a></p></div>`;
  }

  function validator(res: ServerResponse, base: string) {
    const path = findValidatorPage();
    if (!path) {
      return send(res, 503, page({ title: 'Validator', base, body: html`<div class="card">${message('bad', 'The validator page is not built.', 'Run npm run build (it writes web/dist/index.html).')}</div>` }));
    }
    const body = readFileSync(path);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(body.length),
      // Same policy as the page's own meta tag: nothing may be fetched or sent.
      'content-security-policy': "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; worker-src blob:; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.end(body);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function hintOf(error: unknown): string | undefined {
  return error instanceof DbsError ? error.hint : undefined;
}

function formatSize(n: number): string {
  if (n >= 1 << 30) return `${+(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${+(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} bytes`;
}
