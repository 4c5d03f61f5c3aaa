// Security layer benchmark: Argon2id at the default parameters, and encrypt/decrypt MB/s of the
// segmented AES-256-GCM stream with each backend (Node and Chromium), next to anchors measured in
// the same run: @noble/hashes Argon2id, one-shot node:crypto AES-256-GCM (the ceiling) and `age`
// file to file (X25519 recipient) on the same data.
// Size: DBS_BENCH_MB (default 256); the pure-JS backend: DBS_BENCH_NOBLE_MB (default = size).
import { randomFillSync, createCipheriv, createDecipheriv } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { nodeAesGcm } from '../src/crypto/aes.node.js';
import { nobleAesGcm, webCryptoAesGcm, type AesGcmBackend } from '../src/crypto/aes.js';
import { deriveKey, DEFAULT_KDF } from '../src/crypto/kdf.js';
import { openEnvelope, sealEnvelope, streamKeysOf } from '../src/crypto/envelope.js';
import { decryptStream, encryptSegments } from '../src/crypto/stream.js';
import type { ByteStream } from '../src/io/types.js';
import { fmt, hasTool, mbps, MiB, row, section, timeCommand, timeIt } from './lib.js';
import { requireChromium } from '../test/helpers/browser.js';
import { runEntryWithInput } from '../test/browser/crypto.runner.js';

const sizeMiB = Number(process.env.DBS_BENCH_MB || 256);
const nobleMiB = Number(process.env.DBS_BENCH_NOBLE_MB || sizeMiB);
const size = sizeMiB * MiB;

section('Argon2id at the defaults (64 MiB, t=3, p=1)');
const salt = new Uint8Array(16).fill(7);
const wasmS = await timeIt(() => deriveKey('benchmark passphrase', salt, DEFAULT_KDF), 3);
const nobleS = await timeIt(() => nobleArgon2id('benchmark passphrase', salt, { m: 65536, t: 3, p: 1, dkLen: 32 }), 1);
row('hash-wasm (shipped)', `${fmt(wasmS, 2)} s`, `@noble/hashes ${fmt(nobleS, 2)} s; issue: ~0.24 s`);

section(`AES-256-GCM stream, ${sizeMiB} MiB, 1 MiB segments, one core (Node ${process.version})`);
const data = new Uint8Array(size);
for (let at = 0; at < size; at += 64 * MiB) randomFillSync(data, at, Math.min(64 * MiB, size - at));
const chunksOf = (bytes: Uint8Array, n: number) => Array.from({ length: Math.ceil(bytes.length / n) }, (_, i) => bytes.subarray(i * n, (i + 1) * n));

async function* feed(chunks: Uint8Array[]): ByteStream {
  yield* chunks;
}

// The ceiling: one createCipheriv over 1 MiB updates, no segmenting.
const key = new Uint8Array(32).fill(1);
const iv = new Uint8Array(12).fill(2);
const rawEnc = await timeIt(() => {
  const c = createCipheriv('aes-256-gcm', key, iv);
  for (const part of chunksOf(data, MiB)) c.update(part);
  c.final();
});
const rawCipher = createCipheriv('aes-256-gcm', key, iv);
const rawParts = chunksOf(data, MiB).map((p) => rawCipher.update(p));
rawCipher.final();
const rawTag = rawCipher.getAuthTag();
const rawDec = await timeIt(() => {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(rawTag);
  for (const part of rawParts) d.update(part);
  d.final();
});
rawParts.length = 0;

let ageEnc = NaN;
let ageDec = NaN;
if (hasTool('age') && hasTool('age-keygen')) {
  const dir = mkdtempSync(join(tmpdir(), 'dbs-bench-age-'));
  try {
    spawnSync('age-keygen', ['-o', join(dir, 'key.txt')]);
    const recipient = /public key: (age1\S+)/.exec(readFileSync(join(dir, 'key.txt'), 'utf8'))![1];
    writeFileSync(join(dir, 'plain'), data);
    ageEnc = await timeIt(() => timeCommand('age', ['-r', recipient, '-o', join(dir, 'cipher'), join(dir, 'plain')]), 3);
    ageDec = await timeIt(() => timeCommand('age', ['-d', '-i', join(dir, 'key.txt'), '-o', join(dir, 'back'), join(dir, 'cipher')]), 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const anchor = (s: number) => (Number.isNaN(s) ? 'age not installed' : `age ${fmt(mbps(size, s))} MB/s (file to file)`);
row('node:crypto one-shot (ceiling)', `${fmt(mbps(size, rawEnc))} / ${fmt(mbps(size, rawDec))} MB/s`, 'encrypt / decrypt');

const sealed = await sealEnvelope([{ passphrase: 'bench', kdf: { memoryKiB: 256, passes: 1, parallelism: 1 } }]);
const opened = await openEnvelope(sealed.header, { passphrase: 'bench' });
for (const aes of [nodeAesGcm, webCryptoAesGcm, nobleAesGcm] as AesGcmBackend[]) {
  const n = aes === nobleAesGcm ? nobleMiB * MiB : size;
  const input = chunksOf(data.subarray(0, n), MiB);
  const runs = aes === nobleAesGcm ? 1 : 3;
  let cipher: Uint8Array[] = [];
  const enc = await timeIt(async () => {
    cipher = [];
    for await (const part of encryptSegments(feed(input), streamKeysOf(sealed), { aes }) /* one plaintext, several runs: bench only */) cipher.push(part);
  }, runs);
  let got = 0;
  const dec = await timeIt(async () => {
    got = 0;
    for await (const part of decryptStream(feed(cipher), opened, { aes })) got += part.length;
  }, runs);
  if (got !== n) throw new Error(`${aes.name}: decrypted ${got} of ${n} bytes`);
  const isNode = aes === nodeAesGcm;
  const label = `${aes.name}${n !== size ? ` (${n / MiB} MiB)` : ''}`;
  row(`${label} encrypt`, `${fmt(mbps(n, enc))} MB/s`, anchor(ageEnc), isNode ? { ok: mbps(n, enc) >= 1500, text: '>= 1500 MB/s' } : undefined);
  row(`${label} decrypt`, `${fmt(mbps(n, dec))} MB/s`, anchor(ageDec), isNode ? { ok: mbps(n, dec) >= 2000, text: '>= 2000 MB/s' } : undefined);
}

section(`Chromium (headless), ${sizeMiB} MiB`);
if (await requireChromium()) {
  const entry = new URL('../test/browser/crypto.bench-entry.ts', import.meta.url).pathname;
  const result = await runEntryWithInput<{ secure: boolean; results: Record<string, { encryptMBps: number; decryptMBps: number; sizeMiB: number }> }>(
    entry, { sizeMiB, nobleMiB }, { timeoutMs: 300_000 },
  );
  for (const [name, r] of Object.entries(result.results)) {
    const label = `${name}${r.sizeMiB !== sizeMiB ? ` (${r.sizeMiB} MiB)` : ''}`;
    const target = name === 'webcrypto' ? (v: number) => ({ ok: v >= 1000, text: '>= 1000 MB/s' }) : () => undefined;
    row(`${label} encrypt`, `${fmt(r.encryptMBps)} MB/s`, anchor(ageEnc), target(r.encryptMBps));
    row(`${label} decrypt`, `${fmt(r.decryptMBps)} MB/s`, anchor(ageDec), target(r.decryptMBps));
  }
}
