// Runs inside Chromium: proves the isomorphic entry bundles and the page is a secure context.
import { memorySource, collect, chunked } from '../../src/index.js';

export default async function () {
  const bytes = new Uint8Array([1, 2, 3, 4, 5]);
  const source = memorySource(bytes);
  const back = await collect(chunked(await source.read(1, 3), 2));
  return { back: Array.from(back), secure: isSecureContext, subtle: typeof crypto.subtle?.encrypt === 'function', node: typeof (globalThis as any).process };
}
