import { writeContainer, openContainer } from '../src/container/index.js';
import { memorySource, memorySpool, collect } from '../src/io/memory.js';
const MiB = 1 << 20; const SIZE = 64 * MiB;
const payload = new Uint8Array(SIZE); for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
async function* chunks() { for (let i = 0; i < SIZE; i += MiB) yield payload.subarray(i, i + MiB); }
const rate = (t: number) => (SIZE / 1e6 / ((performance.now() - t) / 1000)).toFixed(0);
const c = await collect(writeContainer(chunks(), { meta: new Uint8Array(100), spool: memorySpool }));
for (let k = 0; k < 6; k++) {
  let t = performance.now();
  const r = await (await openContainer(memorySource(c))).validate();
  console.log('validate', rate(t), r.ok);
}
