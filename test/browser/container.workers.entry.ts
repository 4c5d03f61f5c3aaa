// Runs inside Chromium: writes and heals a container with the block work on Web Workers
// (worker.browser.ts served as /container-worker.js) and compares with the single-threaded path.
import { protect, writeContainer, openContainer, collect, chunked, memorySource, webWorkerEngine } from '../../src/index.js';
import { seededBytes as seeded } from '../helpers/seeded.js';

export default async function () {
  const engine = webWorkerEngine({ createWorker: () => new Worker('/container-worker.js', { type: 'module' }), workers: 2 });
  const payload = seeded(3 * (1 << 20) + 99, 5);
  const fixed = { meta: seeded(100, 6), id: seeded(16, 7), createdAt: new Date(1_780_000_000_000) };
  const single = await protect(payload, fixed);
  const parallel = await collect(writeContainer(chunked(payload), { ...fixed, engine }));
  const sameBytes = single.length === parallel.length && single.every((b, i) => b === parallel[i]);
  const damaged = parallel.slice();
  let x = 3;
  for (let i = 0; i < damaged.length / 500; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; damaged[x % damaged.length] ^= 0x5a; }
  const reader = await openContainer(memorySource(damaged), { engine });
  const back = await collect(reader.payload());
  const samePayload = back.length === payload.length && back.every((b, i) => b === payload[i]);
  await engine.close();
  return { sameBytes, samePayload, ok: reader.report?.ok, repaired: reader.report?.repairedByRS };
}
