// Runs inside Chromium: writes a container, damages it (random bytes, both ends zeroed, touching
// damage in both copies of a block, inserted bytes), heals it from a Blob, and heals it into a
// fresh file. Only the isomorphic entry is imported.
import { protect, openContainer, healContainer, blobSource, collect, memorySource } from '../../src/index.js';
import { computeLayout, HEAD_SIZE } from '../../src/container/format.js';
import { seededBytes as seeded } from '../helpers/seeded.js';

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export default async function () {
  const payload = seeded((1 << 20) + 4321, 11);
  const meta = seeded(300, 12);
  const container = await protect(payload, { meta, id: seeded(16, 13), createdAt: new Date(1_760_000_000_000) });
  const damaged = container.slice();
  let x = 77;
  const rnd = (n: number) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
  for (let i = 0; i < damaged.length / 1000; i++) damaged[rnd(damaged.length)] ^= 1 + rnd(255);
  damaged.fill(0, 0, 200_000);
  damaged.fill(0, damaged.length - 200_000);
  const layout = computeLayout({ blockSize: 65536, parity: 16, metaLength: 300, blockCount: 17, payloadLength: payload.length });
  const body = (copy: number) => layout.blocks[copy] + 8 * layout.fullFrame + HEAD_SIZE;
  damaged.fill(0x33, body(0), body(0) + 30_000);
  damaged.fill(0x44, body(1) + 30_000, body(1) + 65_536);
  const withInsert = new Uint8Array(damaged.length + 100);
  const at = Math.floor(damaged.length * 0.7);
  withInsert.set(damaged.subarray(0, at));
  withInsert.set(seeded(100, 14), at);
  withInsert.set(damaged.subarray(at), at + 100);

  const reader = await openContainer(blobSource(new Blob([withInsert])));
  const back = await collect(reader.payload());
  const report = reader.report!;
  const healed = await collect(healContainer(blobSource(new Blob([withInsert]))));
  const after = await (await openContainer(memorySource(healed))).validate();
  return {
    containerDigest: await sha256(container),
    payloadDigest: await sha256(payload),
    backDigest: await sha256(back),
    metaSame: reader.meta.length === meta.length && reader.meta.every((b, i) => b === meta[i]),
    ok: report.ok,
    healed: report.healed,
    summary: report.summary(),
    afterOk: after.ok,
    afterHealed: after.healed,
    healedLength: healed.length,
    combined: report.combined,
    node: typeof (globalThis as { process?: unknown }).process,
  };
}
