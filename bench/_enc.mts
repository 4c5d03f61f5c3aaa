import { writeContainer } from '../src/container/index.js';
import { memorySpool } from '../src/io/memory.js';
const MiB = 1 << 20; const SIZE = 128 * MiB;
const payload = new Uint8Array(SIZE); for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
async function* chunks() { for (let i = 0; i < SIZE; i += MiB) yield payload.subarray(i, i + MiB); }
const nullSpool = async () => ({ async write() {}, async *readBack() {}, async dispose() {} });
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
for (let k = 0; k < 4; k++) {
  const t = cpu(); let n = 0;
  for await (const p of writeContainer(chunks(), { meta: new Uint8Array(100), spool: memorySpool })) n += p.length;
  console.log('encode cpu MB/s', (SIZE / 1e6 / (cpu() - t)).toFixed(0));
}
