import { writeContainer, protect } from '../src/container/index.js';
import { workerEngine } from '../src/container/pool.node.js';
import { memorySpool, collect, chunked } from '../src/io/memory.js';
const MiB = 1 << 20; const SIZE = 128 * MiB;
const payload = new Uint8Array(SIZE); for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
async function* chunks() { for (let i = 0; i < SIZE; i += MiB) yield payload.subarray(i, i + MiB); }
const small = payload.subarray(0, 3 * MiB + 5);
const id = new Uint8Array(16), createdAt = new Date(0);
const a = await protect(small, { meta: new Uint8Array(9), id, createdAt });
const b = await collect(writeContainer(chunked(small), { meta: new Uint8Array(9), id, createdAt, engine: workerEngine() }));
console.log('identical bytes with workers:', Buffer.from(a).equals(Buffer.from(b)));
for (const [name, engine] of [['local', undefined], ['workers', workerEngine()]] as const) {
  for (let k = 0; k < 2; k++) {
    const t = performance.now(); let n = 0;
    for await (const p of writeContainer(chunks(), { meta: new Uint8Array(100), spool: memorySpool, engine })) n += p.length;
    console.log(name, 'encode wall MB/s', (SIZE / 1e6 / ((performance.now() - t) / 1000)).toFixed(0));
  }
}
