// Argon2id on a worker thread (Node). Importing this module makes every key derivation of the
// process (sealEnvelope, openEnvelope, rekeyEnvelope) run there, so its ~0.25 s at the defaults
// no longer blocks the event loop (a database capture started meanwhile keeps going). The Node
// entry (src/index.node.ts) imports it. Same hash-wasm code, so the same keys (kdf-worker test).
import type { Worker } from 'node:worker_threads';
import { siblingWorker } from '../io/thread.node.js';
import { setKdfRunner, type KdfParams, type KdfRunner } from './kdf.js';

/** The thread ends after this long without work (it holds Argon2's memory, 64 MiB at the defaults). */
const IDLE_MS = 1000;

interface Pending {
  resolve(key: Uint8Array): void;
  reject(error: Error): void;
}

let worker: Worker | undefined;
let idle: ReturnType<typeof setTimeout> | undefined;
const pending = new Map<number, Pending>();
let nextId = 0;

function fail(error: Error): void {
  const waiting = [...pending.values()];
  pending.clear();
  worker = undefined;
  for (const p of waiting) p.reject(error);
}

function start(): Worker {
  const thread = siblingWorker(import.meta.url, 'kdf-thread.node');
  thread.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
    const job = pending.get(m.id);
    if (!job) return;
    pending.delete(m.id);
    if (m.key) job.resolve(new Uint8Array(m.key.buffer, m.key.byteOffset, m.key.byteLength));
    else job.reject(new Error(`key derivation failed: ${m.error}`));
    if (pending.size === 0) settle(thread);
  });
  thread.on('error', (error) => {
    if (worker === thread) fail(new Error(`key derivation thread failed: ${error.message}`, { cause: error }));
  });
  thread.on('exit', (code) => {
    if (worker === thread) fail(new Error(`key derivation thread exited (code ${code}) before answering`));
  });
  return thread;
}

/** No work left: let the process exit, and end the thread after IDLE_MS. */
function settle(thread: Worker): void {
  thread.unref();
  idle = setTimeout(() => {
    if (worker === thread && pending.size === 0) {
      worker = undefined;
      void thread.terminate();
    }
  }, IDLE_MS);
  idle.unref();
}

/** Derives on the worker thread (started on first use, shared by all callers, one job at a time there). */
export const deriveOnWorker: KdfRunner = (password: Uint8Array, salt: Uint8Array, params: KdfParams) =>
  new Promise<Uint8Array>((resolve, reject) => {
    if (idle) clearTimeout(idle);
    idle = undefined;
    worker ??= start();
    worker.ref();
    const id = nextId++;
    pending.set(id, { resolve, reject });
    // Copies: the caller's buffers stay usable; the thread zeroes its copy of the passphrase.
    worker.postMessage({ id, password: password.slice(), salt: salt.slice(), params: { ...params } });
  });

/** Ends the thread now (it would end by itself after 1 s idle); pending derivations fail. */
export async function closeKdfWorker(): Promise<void> {
  const thread = worker;
  if (!thread) return;
  fail(new Error('key derivation thread closed'));
  await thread.terminate();
}

setKdfRunner(deriveOnWorker);
