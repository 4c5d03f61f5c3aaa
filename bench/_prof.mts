import { writeContainer, openContainer } from '../src/container/index.js';
import { memorySource, memorySpool, collect } from '../src/io/memory.js';
import { createBLAKE2b } from 'hash-wasm';
const MiB = 1 << 20; const SIZE = Number(process.env.M ?? 64) * MiB;
const payload = new Uint8Array(SIZE); for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
async function* chunks() { for (let i = 0; i < SIZE; i += MiB) yield payload.subarray(i, i + MiB); }
const b = await createBLAKE2b(256);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const rate = (t: number) => (SIZE / 1e6 / (cpu() - t)).toFixed(0);
let c: Uint8Array = new Uint8Array(0);
for (let k = 0; k < 3; k++) {
  let t = cpu();
  for (let i = 0; i < SIZE; i += 65536) b.init().update(payload.subarray(i, i + 65536)).digest('binary');
  const h = rate(t);
  t = cpu();
  const parts: Uint8Array[] = [];
  for await (const p of writeContainer(chunks(), { meta: new Uint8Array(100), spool: memorySpool })) parts.push(p);
  const e = rate(t);
  if (k === 0) c = await collect(parts);
  t = cpu();
  const r = await (await openContainer(memorySource(c))).validate();
  console.log('cpu-time MB/s: hash', h, 'encode', e, 'validate', rate(t), r.ok);
}
