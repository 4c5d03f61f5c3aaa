// A size budget for the codec's WebAssembly: it ships inlined (base64) in every bundle, browser
// included, so growth must be a decision. Also checks the inlined bytes are the built module.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { codecWasmBytes } from '../../src/integrity/wasm.js';
import { CODEC_WASM_SIZE } from '../../src/integrity/wasm/codec-wasm.js';

// 16 KiB until BLAKE2b moved into the module (scalar 14.7 KB, with the two-lane pair hash 17.2 KB).
const BUDGET = 20 * 1024;

test(`codec.wasm stays within ${BUDGET} bytes`, () => {
  const bytes = codecWasmBytes();
  console.log(`NOTICE: codec.wasm is ${bytes.length} bytes (budget ${BUDGET})`);
  assert.is(bytes.length, CODEC_WASM_SIZE);
  assert.ok(bytes.length <= BUDGET, `codec.wasm is ${bytes.length} bytes, over the budget of ${BUDGET}`);
});

test('the inlined module is valid WebAssembly with no imports', () => {
  const bytes = codecWasmBytes();
  assert.ok(WebAssembly.validate(bytes));
  assert.equal(WebAssembly.Module.imports(new WebAssembly.Module(bytes)), []);
  const built = new URL('../../build/codec.wasm', import.meta.url);
  if (existsSync(built)) assert.ok(Buffer.from(readFileSync(built)).equals(Buffer.from(bytes)), 'inlined bytes are build/codec.wasm');
});

test.run();
