// The validator page: picks a file, hands it to the worker, renders what comes back. All text from
// the file (its name, app name, messages) goes through textContent, never innerHTML.
import { BLOCK_STATE_NAMES, type FileView, type FromWorker, type PassphraseOutcome, type Phase, type ToWorker } from './protocol.js';
import type { ContentsSummary } from './payload.js';
import { formatBytes, formatCount, formatDuration, formatUtc, healedName } from './format.js';

declare const __WORKER_SOURCE__: string;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const drop = $('drop');
const fileInput = $<HTMLInputElement>('file');
const progress = $('progress');
const result = $('result');
const downloadButton = $<HTMLButtonElement>('download');
const passForm = $<HTMLFormElement>('pass-form');
const passInput = $<HTMLInputElement>('passphrase');
const passButton = $<HTMLButtonElement>('pass-check');
const passResult = $('pass-result');

let worker: Worker | undefined;
let view: FileView | undefined;
let busy = false;
let contents: ContentsSummary | undefined;

function startWorker(): Worker {
  worker?.terminate();
  const url = URL.createObjectURL(new Blob([__WORKER_SOURCE__], { type: 'text/javascript' }));
  const w = new Worker(url, { name: 'dbs-validator' });
  URL.revokeObjectURL(url);
  w.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
  w.onerror = (event) => {
    event.preventDefault();
    showFatal({ code: 'WORKER', message: `the background worker stopped: ${event.message || 'unknown error'}` });
  };
  return w;
}

function send(message: ToWorker) {
  worker!.postMessage(message);
}

// ---- file selection -------------------------------------------------------------------------

function choose(file: File | undefined) {
  // A new file may be chosen at any time: the worker working on the previous one is stopped.
  if (!file) return;
  worker = startWorker();
  view = undefined;
  contents = undefined;
  result.hidden = true;
  passResult.hidden = true;
  passInput.value = '';
  const current = $('current');
  current.hidden = false;
  drop.classList.add('compact');
  current.replaceChildren(document.createTextNode('Selected: '), strong(file.name), document.createTextNode(` · ${formatBytes(file.size)}`));
  setBusy(true);
  setProgress('reading', 0, file.size);
  send({ type: 'inspect', file, name: file.name });
}

$('pick').addEventListener('click', (e) => {
  e.stopPropagation();
  fileInput.click();
});
drop.addEventListener('click', () => fileInput.click());
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    fileInput.click();
  }
});
fileInput.addEventListener('change', () => {
  choose(fileInput.files?.[0]);
  fileInput.value = '';
});
for (const name of ['dragenter', 'dragover'] as const) {
  drop.addEventListener(name, (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
}
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  choose(e.dataTransfer?.files[0]);
});
// A file dropped outside the zone would otherwise navigate away from the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

// ---- worker messages ------------------------------------------------------------------------

function onMessage(message: FromWorker) {
  switch (message.type) {
    case 'progress':
      setProgress(message.phase, message.done, message.total);
      break;
    case 'inspected':
      setBusy(false);
      progress.hidden = true;
      view = message.view;
      render(view);
      break;
    case 'passphrase':
      setBusy(false);
      progress.hidden = true;
      showPassphrase(message.outcome);
      break;
    case 'healed': {
      setBusy(false);
      progress.hidden = true;
      if (message.blob) {
        const url = URL.createObjectURL(message.blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = message.name;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      }
      $('download-note').textContent = `Saved as ${message.name} (${formatBytes(message.size)}, rebuilt in ${formatDuration(message.elapsedMs)})`;
      break;
    }
    case 'failed':
      setBusy(false);
      progress.hidden = true;
      if (message.during === 'inspect') showFatal(message);
      else if (message.during === 'passphrase') showPassphrase({ kind: 'error', code: message.code, message: message.message, hint: message.hint });
      else $('download-note').textContent = `Could not rebuild the file: ${message.message}`;
      break;
  }
}

const PHASE_LABEL: Record<Phase, string> = {
  reading: 'Reading the file',
  checking: 'Checking blocks',
  decrypting: 'Decrypting and authenticating',
  healing: 'Rebuilding a clean file',
};

function setProgress(phase: Phase, done: number, total: number) {
  progress.hidden = false;
  const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
  $('progress-label').textContent = `${PHASE_LABEL[phase]}… ${total > 0 ? `${formatBytes(done)} of ${formatBytes(total)}` : ''}`;
  $('progress-pct').textContent = `${pct} %`;
  $('progress-fill').style.width = `${pct}%`;
}

function setBusy(value: boolean) {
  busy = value;
  document.body.dataset.busy = String(value);
  downloadButton.disabled = value || !view || view.verdict === 'unrecoverable';
  passButton.disabled = value || !view || !view.envelope;
}

// ---- rendering ------------------------------------------------------------------------------

const ICONS = {
  clean: '<svg viewBox="0 0 24 24"><path d="m5.5 12.5 4.2 4.2 8.8-9" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  repaired: '<svg viewBox="0 0 24 24"><path d="M14.7 6.3a4 4 0 0 0-5.2 5.2l-5 5a1.6 1.6 0 0 0 2.3 2.3l5-5a4 4 0 0 0 5.2-5.2l-2.3 2.3-2.2-.3-.3-2.2 2.5-2.1Z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/></svg>',
  unrecoverable: '<svg viewBox="0 0 24 24"><path d="M12 7v6m0 4v.01" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"/></svg>',
};
const LABEL = { clean: 'Clean', repaired: 'Repaired', unrecoverable: 'Unrecoverable' };

function strong(text: string) {
  const el = document.createElement('strong');
  el.textContent = text;
  return el;
}

function render(v: FileView) {
  result.hidden = false;
  const verdict = $('verdict');
  verdict.className = `card verdict ${v.fatal ? 'unrecoverable' : v.verdict}`;
  verdict.dataset.verdict = v.fatal ? 'unreadable' : v.verdict;
  $('verdict-icon').innerHTML = ICONS[v.fatal ? 'unrecoverable' : v.verdict]; // constant markup only
  $('verdict-label').textContent = v.fatal ? 'Not readable' : LABEL[v.verdict];
  $('verdict-line').textContent = v.headline;
  $('download-note').textContent = v.fatal
    ? ''
    : v.verdict === 'clean'
      ? 'Same content, freshly written'
      : v.verdict === 'repaired'
        ? 'A clean copy with every block restored'
        : 'Too much damage to rebuild';
  downloadButton.hidden = !!v.fatal;
  // A clean file needs nothing: a fresh copy is offered, quietly.
  downloadButton.textContent = v.verdict === 'clean' ? 'Download a fresh copy' : 'Download healed file';
  downloadButton.className = v.verdict === 'clean' ? 'secondary' : 'primary';
  // A file that could not be opened has no blocks to show: only its facts.
  $('blocks-card').hidden = !!v.fatal;
  $('cards').classList.toggle('single', !!v.fatal);
  setBusy(false);
  renderCounts(v);
  drawMap(v);
  renderFacts(v);
  const notes = $('notes');
  notes.replaceChildren(
    ...v.notes.map((n) => {
      const li = document.createElement('li');
      li.textContent = n;
      return li;
    }),
  );
  passForm.parentElement!.hidden = !v.envelope || v.envelope.passphraseSlots === 0;
}

function renderCounts(v: FileView) {
  const c = v.counts;
  const items: [string, number, string][] = [
    ['blocks', c.total, 'total'],
    [BLOCK_STATE_NAMES[0], c.clean, '0'],
    ['repaired by RS', c.repaired, '1'],
    ['from second copy', c.secondCopy, '2'],
    ['combined copies', c.combined, '3'],
    [BLOCK_STATE_NAMES[4], c.failed, '4'],
  ];
  $('counts').replaceChildren(
    ...items.map(([label, n, sw]) => {
      const box = document.createElement('div');
      box.className = `count${n === 0 ? ' zero' : ''}`;
      box.dataset.count = sw === 'total' ? 'total' : BLOCK_STATE_NAMES[Number(sw)].replace(' ', '-');
      const num = document.createElement('span');
      num.className = 'n';
      num.textContent = formatCount(n);
      const key = document.createElement('span');
      key.className = 'k';
      const swatch = document.createElement('span');
      swatch.className = `swatch sw-${sw}`;
      key.append(swatch, document.createTextNode(label));
      box.append(num, key);
      return box;
    }),
  );
}

const STATE_COLORS = ['--clean', '--repaired', '--second', '--combined', '--failed'].map((name) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim(),
);

function drawMap(v: FileView) {
  const canvas = $<HTMLCanvasElement>('map');
  const n = v.blocks.length;
  canvas.hidden = n === 0;
  if (n === 0) {
    $('map-note').textContent = v.fatal ? '' : 'No payload blocks.';
    return;
  }
  const width = Math.max(200, canvas.parentElement!.clientWidth - 44);
  const maxHeight = 180;
  // The largest square cell for which every block still fits; below 3 px, cells aggregate blocks.
  let cell = 18;
  let gap = 3;
  let per = 1;
  const fits = () => Math.ceil(Math.ceil(n / per) / Math.max(1, Math.floor((width + gap) / (cell + gap)))) * (cell + gap) <= maxHeight;
  while (!fits() && cell > 3) {
    cell -= cell > 10 ? 2 : 1;
    gap = cell >= 8 ? 2 : 1;
  }
  while (!fits()) per *= 2;
  const cols = Math.max(1, Math.floor((width + gap) / (cell + gap)));
  const cells = Math.ceil(n / per);
  const rows = Math.ceil(cells / cols);
  const dpr = window.devicePixelRatio || 1;
  const cssHeight = rows * (cell + gap) - gap;
  canvas.style.height = `${cssHeight}px`;
  canvas.style.width = `${cols * (cell + gap) - gap}px`;
  canvas.width = Math.round((cols * (cell + gap) - gap) * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(dpr, dpr);
  for (let i = 0; i < cells; i++) {
    let state = 0;
    for (let b = i * per; b < Math.min(n, (i + 1) * per); b++) state = Math.max(state, v.blocks[b]);
    ctx.fillStyle = STATE_COLORS[state];
    const x = (i % cols) * (cell + gap);
    const y = Math.floor(i / cols) * (cell + gap);
    ctx.beginPath();
    if (cell >= 6 && 'roundRect' in ctx) ctx.roundRect(x, y, cell, cell, Math.min(3, cell / 4));
    else ctx.rect(x, y, cell, cell);
    ctx.fill();
  }
  canvas.setAttribute('aria-label', `Block map of ${n} blocks`);
  // The damaged blocks by index, for tests and for anyone inspecting the page (capped).
  const damaged: Record<number, string> = {};
  let listed = 0;
  for (let b = 0; b < n && listed < 4096; b++) {
    if (v.blocks[b] !== 0) {
      damaged[b] = BLOCK_STATE_NAMES[v.blocks[b]];
      listed++;
    }
  }
  canvas.dataset.damaged = JSON.stringify(damaged);
  $('map-note').textContent =
    (per > 1 ? `Each square stands for ${per} blocks and shows the worst of them. ` : 'One square per block, in file order. ') +
    (v.container.blockSize ? `Block size ${formatBytes(v.container.blockSize)}.` : '');
}

function fact(term: string, value: string, options: { id?: string; pending?: boolean } = {}) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  if (options.id) dd.id = options.id;
  if (options.pending) dd.className = 'pending';
  return [dt, dd];
}

function renderFacts(v: FileView) {
  const c = v.container;
  const rows: HTMLElement[] = [...fact('File', v.fileName), ...fact('Size', `${formatBytes(v.fileSize)} (${formatCount(v.fileSize)} bytes)`)];
  if (v.fatal) {
    rows.push(...fact('Problem', v.fatal.message));
    if (v.fatal.hint) rows.push(...fact('What to do', v.fatal.hint));
  } else {
    rows.push(
      ...fact('Created', formatUtc(c.createdAt)),
      ...contentFacts(),
      ...fact('Payload', c.payloadLength === undefined ? '—' : `${formatBytes(c.payloadLength)} encrypted`),
      ...fact('Blocks', c.blockCount === undefined ? '—' : `${formatCount(c.blockCount)} × ${formatBytes(c.blockSize)}, two copies`),
      ...fact('Parity', c.parity === undefined ? '—' : `Reed-Solomon, ${c.parity} symbols per codeword`),
    );
    if (c.metaCopies) rows.push(...fact('Key header copies', c.metaCopies));
    if (v.envelope) {
      if (v.envelope.cipher) rows.push(...fact('Encryption', v.envelope.cipher));
      if (v.envelope.kdf) rows.push(...fact('Key derivation', v.envelope.kdf));
      if (v.envelope.slots) rows.push(...fact('Key slots', v.envelope.slots));
    } else {
      rows.push(...fact('Encryption', 'security header not readable'));
    }
    if (c.version !== undefined) rows.push(...fact('Format', `version ${c.version}`));
    rows.push(...fact('Checked in', formatDuration(v.elapsedMs)));
  }
  $('facts').replaceChildren(...rows);
}

const DIALECTS: Record<string, string> = { postgres: 'PostgreSQL', mariadb: 'MariaDB', mysql: 'MySQL', sqlite: 'SQLite' };

/** The application and database rows: known only once the payload has been decrypted. */
function contentFacts(): HTMLElement[] {
  if (!contents) return fact('Application', 'shown after the passphrase check', { pending: true });
  const c = contents;
  const shown = c.models.slice(0, 6).join(', ') + (c.models.length > 6 ? `, … (${c.models.length} in all)` : '');
  const rows = fact('Application', c.app ?? 'not recorded in this backup', { pending: !c.app });
  if (c.dialect) rows.push(...fact('Database', `${DIALECTS[c.dialect] ?? c.dialect}${c.databaseVersion ? ` ${c.databaseVersion.replace(/\s*\(.*$/, '')}` : ''}${c.sequelizeVersion ? ` · Sequelize ${c.sequelizeVersion}` : ''}`));
  rows.push(...fact('Models', c.models.length ? `${c.models.length}: ${shown}` : 'none'));
  return rows;
}

function showFatal(error: { code: string; message: string; hint?: string }) {
  const file = (view?.fileName ?? $('current').textContent) || 'file';
  render({
    fileName: view?.fileName ?? file.replace(/^Selected: /, '').replace(/ · .*$/, ''),
    fileSize: view?.fileSize ?? 0,
    verdict: 'unrecoverable',
    headline: `${error.message}${error.hint ? ` — ${error.hint}` : ''}`,
    counts: { total: 0, clean: 0, repaired: 0, secondCopy: 0, combined: 0, failed: 0 },
    blocks: new Uint8Array(0),
    notes: [],
    container: {},
    fatal: error,
    elapsedMs: 0,
  });
}

// ---- passphrase and download ----------------------------------------------------------------

passForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (busy || !view) return;
  const passphrase = passInput.value;
  if (!passphrase) {
    passInput.focus();
    return;
  }
  setBusy(true);
  passResult.hidden = false;
  passResult.className = 'pass-result busy';
  passResult.dataset.outcome = 'busy';
  passResult.textContent = 'Deriving the key (Argon2id) and decrypting…';
  send({ type: 'passphrase', passphrase });
});

function showPassphrase(outcome: PassphraseOutcome) {
  passResult.hidden = false;
  passResult.dataset.outcome = outcome.kind;
  if (outcome.kind === 'ok') {
    passResult.className = 'pass-result ok';
    passResult.textContent = `Passphrase correct. All ${formatBytes(outcome.bytes)} of data decrypted and authenticated (key derived in ${formatDuration(outcome.kdfMs)}, total ${formatDuration(outcome.elapsedMs)}).`;
    if (outcome.contents && view) {
      contents = outcome.contents;
      renderFacts(view);
    }
  } else if (outcome.kind === 'wrong') {
    passResult.className = 'pass-result wrong';
    passResult.textContent = 'Wrong passphrase: no key slot of this backup opens with it. The file itself is not at fault — check the passphrase and try again.';
  } else if (outcome.kind === 'tampered') {
    passResult.className = 'pass-result bad';
    passResult.textContent = `The passphrase opens the backup, but the data does not authenticate: ${outcome.message}. Do not trust this file.`;
  } else {
    passResult.className = 'pass-result bad';
    passResult.textContent = `Passphrase check stopped: ${outcome.message}${outcome.hint ? ` — ${outcome.hint}` : ''}`;
  }
}

type SavePicker = (options: { suggestedName: string; types: { description: string; accept: Record<string, string[]> }[] }) => Promise<FileSystemFileHandle>;

downloadButton.addEventListener('click', async () => {
  if (busy || !view) return;
  // Where the browser lets the person pick a file, the healed file is streamed into it (flat
  // memory at any size); elsewhere it is assembled as a Blob and downloaded.
  const picker = (window as unknown as { showSaveFilePicker?: SavePicker }).showSaveFilePicker;
  let handle: FileSystemFileHandle | undefined;
  if (typeof picker === 'function') {
    try {
      handle = await picker({ suggestedName: healedName(view.fileName), types: [{ description: 'DBS backup', accept: { 'application/octet-stream': ['.dbs'] } }] });
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') return; // the person cancelled
      handle = undefined;
    }
  }
  setBusy(true);
  $('download-note').textContent = 'Rebuilding…';
  send({ type: 'heal', handle });
});

setBusy(false);
