// A size budget for the validator page: everything it needs is inlined in one HTML file, so a
// whole library pulled in by accident (a dynamic import of a package's root, say) shows up here.
// 181 KiB when the budget was set: codec.wasm, Argon2id of hash-wasm, X25519 and AES of @noble.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const page = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));
const BUDGET = 200 * 1024;

test(`web/dist/index.html stays within ${BUDGET / 1024} KiB`, () => {
  assert.ok(existsSync(page), `${page} is missing: build it with node scripts/build.mjs`);
  const size = statSync(page).size;
  console.log(`NOTICE: web/dist/index.html is ${(size / 1024).toFixed(0)} KiB (budget ${BUDGET / 1024} KiB)`);
  assert.ok(size <= BUDGET, `the validator page is ${(size / 1024).toFixed(0)} KiB, over the budget of ${BUDGET / 1024} KiB: look for a library bundled whole`);
});

test.run();
