// Runs inside Chromium (see crypto.test.ts): fetches /input.json (the checked-in envelope vectors and
// a file sealed in Node), then checks known answers, the vectors, identical bytes across the
// available AES-GCM backends, typed errors, and seals a file for Node to open.
import { argon2id } from 'hash-wasm';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  AuthenticationError, WrongPassphraseError, collect, chunked, decryptStream, defaultAesGcm, generateIdentity,
  nobleAesGcm, openEnvelope, sealEnvelope, webCryptoAesGcm, workerAesGcm, type AesGcmBackend, type Identity,
} from '../../src/index.js';
import { encryptSegments } from '../../src/crypto/stream.js';
import { streamKeysOf } from '../../src/crypto/envelope.js';
import { seededBytes } from '../helpers/seeded.js';

interface Input {
  vectors: { name: string; bytes: string }[];
  node: { header: string; payload: string; passphrase: string; sha256: string };
  publicKey: string;
}

const fromB64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
function toB64(bytes: Uint8Array): string {
  let text = '';
  for (let at = 0; at < bytes.length; at += 0x8000) text += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return btoa(text);
}
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

function parseVector(bytes: Uint8Array) {
  let end = 0;
  while (!(bytes[end] === 10 && bytes[end + 1] === 10)) end++;
  const fields = new Map<string, string>();
  for (const line of new TextDecoder().decode(bytes.subarray(0, end)).split('\n')) fields.set(line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2));
  const body = bytes.subarray(end + 2);
  const length = Number(fields.get('header-length'));
  return { fields, header: body.slice(0, length), payload: body.slice(length) };
}

async function errorName(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return 'success';
  } catch (error) {
    if (error instanceof WrongPassphraseError) return 'WrongPassphraseError (instanceof)';
    if (error instanceof AuthenticationError) return 'AuthenticationError (instanceof)';
    return (error as Error).name;
  }
}

export default async function () {
  const input = (await (await fetch('/input.json')).json()) as Input;
  const backends: AesGcmBackend[] = typeof crypto.subtle?.encrypt === 'function' ? [webCryptoAesGcm, nobleAesGcm] : [nobleAesGcm];

  // Known answers: AES-256-GCM test case 16 on each backend; Argon2id reference vector (hash-wasm).
  const aesKat: Record<string, string> = {};
  for (const backend of backends) {
    const key = await backend.importKey(fromHex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'));
    const plain = fromHex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const out = await key.seal(fromHex('cafebabefacedbaddecaf888'), fromHex('feedfacedeadbeeffeedfacedeadbeefabaddad2'), [plain]);
    aesKat[backend.name] = hex(await collect(out));
  }
  const argon = await argon2id({ password: 'password', salt: 'somesalt', iterations: 2, memorySize: 65536, parallelism: 1, hashLength: 32, outputType: 'hex' });

  // The checked-in vectors, read with the default backend.
  const vectors: Record<string, { outcome: string; stage: string; sha256?: string }> = {};
  for (const v of input.vectors) {
    const { fields, header, payload } = parseVector(fromB64(v.bytes));
    const identity: Identity = fields.has('passphrase') ? { passphrase: fields.get('passphrase')! } : { privateKey: fields.get('identity')! };
    let stage = 'header';
    try {
      const opened = await openEnvelope(header, identity);
      stage = 'payload';
      const plain = await collect(decryptStream(chunked(payload, 50), opened));
      vectors[v.name] = { outcome: 'success', stage: '', sha256: hex(sha256(plain)) };
    } catch (error) {
      vectors[v.name] = { outcome: (error as Error).name, stage };
    }
  }

  // A file sealed in Node, opened here.
  const fromNode = await openEnvelope(fromB64(input.node.header), { passphrase: input.node.passphrase });
  const nodePlain = await collect(decryptStream(chunked(fromB64(input.node.payload), 4096), fromNode));

  // Seal here; every available backend gives the same bytes; Node opens it with the private key.
  const kdf = { memoryKiB: 256, passes: 1, parallelism: 1 };
  const sealed = await sealEnvelope([{ passphrase: 'browser pw', kdf }, { publicKey: input.publicKey }], { segmentSize: 4096 });
  const plain = seededBytes(50_000, 77);
  const ciphertexts = await Promise.all(backends.map(async (aes) => toB64(await collect(encryptSegments(chunked(plain, 3333), streamKeysOf(sealed), { aes })))));
  const opened = await openEnvelope(sealed.header, { passphrase: 'browser pw' });
  const back = await collect(decryptStream(chunked(fromB64(ciphertexts[0]), 1000), opened));
  const tampered = fromB64(ciphertexts[0]);
  tampered[5000] ^= 1;

  // The worker pool (inline Blob URL workers): same bytes as the in-page backends, decrypts, detects
  // tampering; a worker that cannot start hands over to the in-page backend and says why.
  const fallbacks: string[] = [];
  const pooled = workerAesGcm({ workers: 3, inFlightPerWorker: 2, onFallback: (e) => fallbacks.push(e.message) });
  const pooledCipher = await collect(encryptSegments(chunked(plain, 3333), streamKeysOf(sealed), { aes: pooled }));
  const pooledBack = await collect(decryptStream(chunked(pooledCipher, 777), opened, { aes: pooled }));
  const pooledTampered = await errorName(() => collect(decryptStream(chunked(tampered), opened, { aes: pooled })));
  const pooledFallbacks = fallbacks.splice(0);
  pooled.close();
  const broken = workerAesGcm({ createWorker: () => new Worker('/no-such-worker.js'), onFallback: (e) => fallbacks.push(e.message) });
  const brokenCipher = await collect(encryptSegments(chunked(plain, 5000), streamKeysOf(sealed), { aes: broken }));
  const workerPool = {
    name: pooled.name,
    concurrency: pooled.concurrency,
    identical: toB64(pooledCipher) === ciphertexts[0],
    roundTrip: hex(pooledBack) === hex(plain),
    tampered: pooledTampered,
    fallbacks: pooledFallbacks,
    brokenIdentical: toB64(brokenCipher) === ciphertexts[0],
    brokenFallbacks: fallbacks,
  };

  const identity = generateIdentity();
  return {
    workerPool,
    secure: isSecureContext,
    defaultBackend: defaultAesGcm().name,
    backends: backends.map((b) => b.name),
    aesKat,
    argon,
    vectors,
    fromNodeSha256: hex(sha256(nodePlain)),
    roundTrip: hex(back) === hex(plain),
    identical: ciphertexts.every((c) => c === ciphertexts[0]),
    sealed: { header: toB64(sealed.header), payload: ciphertexts[0], sha256: hex(sha256(plain)) },
    wrongPassphrase: await errorName(() => openEnvelope(sealed.header, { passphrase: 'nope' })),
    tampered: await errorName(() => collect(decryptStream(chunked(tampered), opened))),
    identity: /^dbs1/.test(identity.publicKey) && /^DBS-SECRET-KEY-1/.test(identity.privateKey),
  };
}
