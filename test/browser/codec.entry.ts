// Runs inside Chromium from the package's browser entry (src/index.ts): encode a 64 KiB block,
// correct 8 errors in every codeword, then a burst of burstBytes, and return digests that the
// Node side compares with its own results for the same bytes.
import { blockLayout, loadCodec } from '../../src/index.js';

// The same xorshift32 as test/helpers/env.ts (which reads process.env, absent in a page).
function xorshift(seed: number) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export default async function () {
  const codec = await loadCodec();
  const layout = blockLayout(65536);
  const next = xorshift(2024);
  const original = new Uint8Array(65536);
  for (let i = 0; i < original.length; i++) original[i] = next() & 0xff;
  const parity = codec.encode(original);
  const parityDigest = await sha256(parity);
  const data = original.slice();
  const damagedParity = parity.slice();
  const rows = layout.dataPerCodeword - 1; // full rows only
  let damaged = 0;
  for (let c = 0; c < layout.stride; c++) {
    const chosen = new Set<number>();
    while (chosen.size < 8) chosen.add(next() % rows);
    for (const s of chosen) {
      data[s * layout.stride + c] ^= 1 + (next() % 255);
      damaged++;
    }
  }
  const cleanBefore = codec.check(data, damagedParity);
  const first = codec.decode(data, damagedParity);
  const afterFirst = codec.check(data, damagedParity);
  for (let o = 40000; o < 40000 + layout.burstBytes; o++) data[o] ^= 0xa5;
  const second = codec.decode(data, damagedParity);
  return {
    parityDigest,
    damaged,
    cleanBefore,
    afterFirst,
    first: { ok: first.ok, corrected: first.corrected },
    second: { ok: second.ok, corrected: second.corrected },
    burstBytes: layout.burstBytes,
    restored: (await sha256(data)) === (await sha256(original)) && (await sha256(damagedParity)) === parityDigest,
    node: typeof (globalThis as { process?: unknown }).process,
  };
}
