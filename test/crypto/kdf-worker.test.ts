// Argon2id on a worker thread (kdf-worker.node.ts): the same keys as the calling thread, the event
// loop kept free while sealEnvelope/openEnvelope wait for it, and the thread ending when idle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { closeKdfWorker, deriveOnWorker } from '../../src/crypto/kdf-worker.node.js';
import { DEFAULT_KDF, deriveKey, passphraseBytes, setKdfRunner } from '../../src/crypto/kdf.js';
import { openEnvelope, sealEnvelope } from '../../src/crypto/envelope.js';
import { generateIdentity } from '../../src/crypto/keys.js';
import { WrongPassphraseError } from '../../src/errors.js';
import { seededBytes } from '../helpers/env.js';
import { rejects } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Runs `work` while a 2 ms timer ticks; returns the longest gap between ticks (the event loop's longest stall). */
async function longestStall<T>(work: () => Promise<T>): Promise<{ value: T; stallMs: number; ticks: number }> {
  let last = performance.now();
  let stallMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
    ticks++;
  }, 2);
  try {
    const value = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { value, stallMs, ticks };
  } finally {
    clearInterval(timer);
  }
}

test('importing the module routes deriveKey to the worker; keys equal the in-thread path and @noble/hashes', async () => {
  const shapes = [
    { memoryKiB: 8, passes: 1, parallelism: 1 }, { memoryKiB: 256, passes: 3, parallelism: 2 }, { memoryKiB: 1024, passes: 2, parallelism: 4 },
  ];
  for (const [i, params] of shapes.entries()) {
    const passphrase = `passphrase ${i} \u00e9\u0301`;
    const salt = seededBytes(16 + i * 8, 900 + i);
    const onWorker = await deriveKey(passphrase, salt, params);
    const inThread = await deriveKey(passphrase, salt, params, { inThread: true });
    const direct = await deriveOnWorker(passphraseBytes(passphrase), salt, params);
    const reference = nobleArgon2id(passphraseBytes(passphrase), salt, { t: params.passes, m: params.memoryKiB, p: params.parallelism, dkLen: 32 });
    assert.is(hex(onWorker), hex(inThread), JSON.stringify(params));
    assert.is(hex(direct), hex(inThread));
    assert.is(hex(inThread), hex(reference));
    assert.is(onWorker.length, 32);
  }
});

test('concurrent derivations on the worker come back to the right callers', async () => {
  const params = { memoryKiB: 512, passes: 1, parallelism: 1 };
  const inputs = Array.from({ length: 8 }, (_, i) => ({ pass: `p${i}`, salt: seededBytes(16, 70 + i) }));
  const together = await Promise.all(inputs.map(({ pass, salt }) => deriveKey(pass, salt, params).then(hex)));
  for (const [i, { pass, salt }] of inputs.entries()) assert.is(together[i], hex(await deriveKey(pass, salt, params, { inThread: true })));
});

test('sealEnvelope/openEnvelope at the default Argon2 cost leave the event loop free (in-thread path stalls it)', async () => {
  // A passphrase and a public key, as a scheduled backup with a recovery key would have.
  const recipients = [{ passphrase: 'correct horse battery staple' }, { publicKey: generateIdentity().publicKey }] as const;
  setKdfRunner(undefined);
  const blocking = await longestStall(() => sealEnvelope(recipients));
  setKdfRunner(deriveOnWorker);
  await deriveKey('warm the thread up', seededBytes(16, 1), { memoryKiB: 8, passes: 1, parallelism: 1 });
  const sealing = await longestStall(() => sealEnvelope(recipients));
  const opening = await longestStall(() => openEnvelope(sealing.value.header, recipients[0]));
  assert.is(opening.value.slot, 0);
  // The in-thread header opens the same way on the worker (same key), and a wrong passphrase is still told.
  await openEnvelope(blocking.value.header, recipients[0]);
  await rejects(openEnvelope(sealing.value.header, { passphrase: 'wrong' }), WrongPassphraseError, 'wrong passphrase on the worker');
  console.log(`NOTICE: longest event-loop stall during sealEnvelope: in-thread ${blocking.stallMs.toFixed(0)} ms, worker ${sealing.stallMs.toFixed(0)} ms (open ${opening.stallMs.toFixed(0)} ms); timer ticks ${blocking.ticks} vs ${sealing.ticks}`);
  assert.ok(blocking.stallMs > 100, `the in-thread derivation should stall the loop (got ${blocking.stallMs.toFixed(0)} ms)`);
  assert.ok(sealing.stallMs < blocking.stallMs / 2, `sealEnvelope on the worker stalled ${sealing.stallMs.toFixed(0)} ms`);
  assert.ok(opening.stallMs < blocking.stallMs / 2, `openEnvelope on the worker stalled ${opening.stallMs.toFixed(0)} ms`);
  assert.ok(sealing.ticks > 3 * Math.max(1, blocking.ticks), 'timers ran while the worker derived');
  assert.equal({ ...DEFAULT_KDF }, { memoryKiB: 65536, passes: 3, parallelism: 1 });
});

test('closeKdfWorker fails nothing when idle, and the next derivation starts a new thread', async () => {
  await closeKdfWorker();
  const salt = seededBytes(16, 3);
  const params = { memoryKiB: 64, passes: 1, parallelism: 1 };
  assert.is(hex(await deriveKey('again', salt, params)), hex(await deriveKey('again', salt, params, { inThread: true })));
  const pending = deriveKey('cut short', salt, { memoryKiB: 65536, passes: 3, parallelism: 1 });
  const refused = rejects(pending, Error, 'a derivation pending when the thread is closed', /closed/);
  await closeKdfWorker();
  await refused;
});

test.run();
