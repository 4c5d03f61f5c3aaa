// Benchmark body run in Chromium by bench/crypto.bench.ts: encrypt/decrypt MB/s of the security
// layer's streams with each AES-GCM backend the page has, on data generated in the page.
import { decryptStream, encryptStream, nobleAesGcm, openEnvelope, sealEnvelope, webCryptoAesGcm, workerAesGcm, type AesGcmBackend, type ByteStream } from '../../src/index.js';

async function* pieces(chunks: Uint8Array[]): ByteStream {
  yield* chunks;
}

async function measure(aes: AesGcmBackend, sizeMiB: number, runs: number) {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < sizeMiB; i++) {
    const chunk = new Uint8Array(1 << 20);
    for (let at = 0; at < chunk.length; at += 65536) crypto.getRandomValues(chunk.subarray(at, at + 65536));
    chunks.push(chunk);
  }
  let encryptS = Infinity;
  let decryptS = Infinity;
  for (let run = 0; run < runs; run++) {
    // A fresh envelope per run: a Sealed encrypts one stream only.
    const sealed = await sealEnvelope([{ passphrase: 'bench', kdf: { memoryKiB: 256, passes: 1, parallelism: 1 } }]);
    const opened = await openEnvelope(sealed.header, { passphrase: 'bench' });
    let start = performance.now();
    const cipher: Uint8Array[] = [];
    for await (const part of encryptStream(pieces(chunks), sealed, { aes })) cipher.push(part);
    encryptS = Math.min(encryptS, (performance.now() - start) / 1000);
    start = performance.now();
    let bytes = 0;
    for await (const part of decryptStream(pieces(cipher), opened, { aes })) bytes += part.length;
    decryptS = Math.min(decryptS, (performance.now() - start) / 1000);
    if (bytes !== sizeMiB << 20) throw new Error(`decrypted ${bytes} bytes, expected ${sizeMiB << 20}`);
  }
  return { encryptMBps: (sizeMiB << 20) / 1e6 / encryptS, decryptMBps: (sizeMiB << 20) / 1e6 / decryptS };
}

/** The page's own AES-GCM speed: bare subtle.encrypt/decrypt calls on 1 MiB buffers, 16 in flight, best of runs. */
async function rawWebCrypto(sizeMiB: number, runs: number) {
  const key = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = Array.from({ length: sizeMiB }, () => new Uint8Array(1 << 20));
  let sealed: ArrayBuffer[] = [];
  let encryptS = Infinity;
  let decryptS = Infinity;
  for (let run = 0; run < runs; run++) {
    let start = performance.now();
    sealed = [];
    for (let i = 0; i < plain.length; i += 16) sealed.push(...(await Promise.all(plain.slice(i, i + 16).map((p) => crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, p)))));
    encryptS = Math.min(encryptS, (performance.now() - start) / 1000);
    start = performance.now();
    for (let i = 0; i < sealed.length; i += 16) await Promise.all(sealed.slice(i, i + 16).map((c) => crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, c)));
    decryptS = Math.min(decryptS, (performance.now() - start) / 1000);
  }
  return { encryptMBps: (sizeMiB << 20) / 1e6 / encryptS, decryptMBps: (sizeMiB << 20) / 1e6 / decryptS };
}

export default async function () {
  const input = (await (await fetch('/input.json')).json()) as { sizeMiB: number; nobleMiB: number; runs: number; workers?: number };
  const out: Record<string, { encryptMBps: number; decryptMBps: number; sizeMiB: number }> = {};
  const raw = typeof crypto.subtle?.encrypt === 'function' ? await rawWebCrypto(input.sizeMiB, input.runs) : undefined;
  if (typeof crypto.subtle?.encrypt === 'function') {
    out.webcrypto = { ...(await measure(webCryptoAesGcm, input.sizeMiB, input.runs)), sizeMiB: input.sizeMiB };
    const fellBack: string[] = [];
    const pool = workerAesGcm({ workers: input.workers, onFallback: (e) => fellBack.push(e.message) });
    const speeds = await measure(pool, input.sizeMiB, input.runs);
    pool.close();
    if (fellBack.length) throw new Error(`the worker pool fell back to the page: ${fellBack[0]}`);
    out[`${pool.name} (${pool.workers} workers, ${pool.concurrency} in flight)`] = { ...speeds, sizeMiB: input.sizeMiB };
  }
  out.noble = { ...(await measure(nobleAesGcm, input.nobleMiB, 1)), sizeMiB: input.nobleMiB };
  return { secure: isSecureContext, raw, results: out };
}
