import { openContainer, protect, recover } from '../src/container/index.js';
import { workerEngine } from '../src/container/pool.node.js';
import { memorySource, collect } from '../src/io/memory.js';
const MiB = 1 << 20; const SIZE = 64 * MiB;
const payload = new Uint8Array(SIZE); for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
const c = await protect(payload, { meta: new Uint8Array(10) });
const d = c.slice(); for (let i = 0; i < d.length / 1000; i++) d[(Math.random() * d.length) | 0] ^= 0x11;
for (const [name, engine] of [['local', undefined], ['workers', workerEngine()]] as const) {
  for (let k = 0; k < 2; k++) {
    let t = performance.now();
    const r = await (await openContainer(memorySource(c), { engine })).validate();
    const v = (SIZE / 1e6 / ((performance.now() - t) / 1000)).toFixed(0);
    t = performance.now();
    const reader = await openContainer(memorySource(d), { engine });
    const back = await collect(reader.payload());
    console.log(name, 'validate', v, r.ok, r.healed, 'heal 1e-3', (SIZE / 1e6 / ((performance.now() - t) / 1000)).toFixed(0), Buffer.from(back).equals(Buffer.from(payload)), reader.report?.repairedByRS);
  }
}
