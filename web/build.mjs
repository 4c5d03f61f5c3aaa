// Builds the client-side validator into ONE self-contained file, web/dist/index.html: the CSS and
// the page script inlined, the Web Worker inlined as a string the page turns into a Blob URL,
// the WASM codec and hash-wasm inlined by their own modules. No network at run time (the page's
// Content-Security-Policy forbids it). Prints the size; writes web/dist/build.json with it.
// Run by scripts/build.mjs, or alone: `node web/build.mjs`.
import { build, transform } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const src = join(here, 'src');
const out = join(here, 'dist');

const common = {
  bundle: true,
  platform: 'browser',
  conditions: ['browser'],
  target: 'es2022',
  minify: true,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
};

async function bundle(entry, options = {}) {
  const result = await build({ ...common, entryPoints: [join(src, entry)], format: 'iife', ...options });
  return result.outputFiles[0].text;
}

// Inline script text must not close its own <script> element or open an HTML comment.
function safeForScript(code, what) {
  const fixed = code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
  if (/<\/script/i.test(fixed)) throw new Error(`${what}: cannot inline, contains </script`);
  return fixed;
}

function kib(n) {
  return `${(n / 1024).toFixed(0)} KiB`;
}

export async function buildWeb() {
  const worker = await bundle('worker.ts');
  const page = await bundle('main.ts', { define: { __WORKER_SOURCE__: JSON.stringify(worker) } });
  const css = (await transform(readFileSync(join(src, 'style.css'), 'utf8'), { loader: 'css', minify: true })).code;
  const template = readFileSync(join(src, 'index.html'), 'utf8');
  const fill = (size) =>
    template
      .replace('/*@@CSS@@*/', () => css.replace(/<\/style/gi, '<\\/style'))
      .replace('/*@@JS@@*/', () => safeForScript(page, 'page script'))
      .replace('@@BUNDLE_SIZE@@', () => size);
  // The page states its own size: settle the figure (two passes are enough for a rounded KiB).
  let html = fill('000 KiB');
  for (let i = 0; i < 3; i++) html = fill(kib(Buffer.byteLength(html)));
  const bytes = Buffer.byteLength(html);
  const gzip = gzipSync(html, { level: 9 }).length;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'index.html'), html);
  const report = { file: 'web/dist/index.html', bytes, gzipBytes: gzip, workerBytes: worker.length, pageBytes: page.length - JSON.stringify(worker).length };
  writeFileSync(join(out, 'build.json'), JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`web: web/dist/index.html ${kib(bytes)} (${kib(gzip)} gzipped; worker ${kib(worker.length)})\n`);
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
}
