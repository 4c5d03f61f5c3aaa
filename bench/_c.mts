import { loadCodec } from '../src/integrity/codec.js';
import { loadTools, encodeHead } from '../src/container/frames.js';
const codec = await loadCodec({ parity: 16 });
const tools = await loadTools([16]);
const d = new Uint8Array(65536); crypto.getRandomValues(d);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const N = 1024;
for (let k = 0; k < 3; k++) {
let t = cpu(); for (let i = 0; i < N; i++) codec.encode(d); const e = (N * 65536 / 1e6 / (cpu() - t)).toFixed(0);
t = cpu(); for (let i = 0; i < N; i++) tools.hashers.hash(d); const h = (N * 65536 / 1e6 / (cpu() - t)).toFixed(0);
const p = codec.encode(d);
t = cpu(); for (let i = 0; i < N; i++) codec.check(d, p); const c = (N * 65536 / 1e6 / (cpu() - t)).toFixed(0);
const f = new Uint8Array(400); const id = new Uint8Array(16);
t = cpu(); for (let i = 0; i < N; i++) encodeHead(tools, f, 0, { kind: 5, copy: 0, flags: 0, index: i, id, bodyParity: 16, length: 65536, hash: id }); const hd = ((cpu() - t) * 1e6 / N).toFixed(1);
t = cpu(); for (let i = 0; i < N; i++) tools.hashers.check(f.subarray(0, 80)); const ck = ((cpu() - t) * 1e6 / N).toFixed(1);
t = cpu(); for (let i = 0; i < N; i++) tools.head.check(f.subarray(0, 96), f.subarray(96, 352)); const hc = ((cpu() - t) * 1e6 / N).toFixed(1);
console.log(`rs encode ${e} MB/s, hash ${h}, rs check ${c}; head encode ${hd} us, check-hash ${ck} us, head rs check ${hc} us`);
}
