// AES-256-GCM on a small pool of Web Workers (browsers). Segments are independent (each has its
// own nonce), so they can be sealed or opened on several threads at once; the stream keeps their
// order (stream.ts, InOrder) and its window, workers x inFlightPerWorker, bounds the memory. Each
// worker receives the key as a non-extractable CryptoKey (structured clone): the raw bytes never
// leave this thread. Where Workers or WebCrypto are missing, or a worker cannot start (e.g. a
// Content-Security-Policy without worker-src blob:), the in-page backend does the work instead and
// `onFallback` is told why.
import { AES_KEY_LENGTH, hasWebCrypto, nobleAesGcm, webCryptoAesGcm, type AesGcmBackend, type AesGcmKey } from './aes.js';
import { totalLength } from './bytes.js';

/**
 * The workers' script, plain JS with no imports (so it can be inlined as a Blob URL, or bundled as
 * a file by a caller that passes createWorker). Messages: {op:'key', id, slot, key: CryptoKey} and
 * {op:'seal'|'open', id, slot, nonce, aad, data: ArrayBuffer (transferred)}. WebCrypto copies its
 * input, so the input buffer goes back too (spare), to carry the next segment: no allocation.
 */
export const AES_WORKER_SOURCE = `'use strict';
const keys = new Map();
onmessage = async (event) => {
  const m = event.data;
  if (m.op === 'key') {
    if (!(self.crypto && self.crypto.subtle)) { postMessage({ id: m.id, error: 'no WebCrypto in the worker' }); return; }
    keys.set(m.slot, m.key);
    postMessage({ id: m.id, ok: true });
    return;
  }
  const params = { name: 'AES-GCM', iv: m.nonce, additionalData: m.aad, tagLength: 128 };
  try {
    const out = m.op === 'seal' ? await crypto.subtle.encrypt(params, keys.get(m.slot), m.data) : await crypto.subtle.decrypt(params, keys.get(m.slot), m.data);
    postMessage({ id: m.id, ok: true, data: out, spare: m.data }, [out, m.data]);
  } catch (e) {
    if (m.op === 'open' && e && e.name === 'OperationError') postMessage({ id: m.id, ok: false, spare: m.data }, [m.data]);
    else postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
};
`;

export interface WorkerAesGcmOptions {
  /** Starts one worker running AES_WORKER_SOURCE (default: a module-less worker from a Blob URL of it). */
  createWorker?: () => Worker;
  /** Worker count (default: cores - 1, 1 to 2). */
  workers?: number;
  /** Segments in flight per worker (default 3); the stream's window is workers x this. */
  inFlightPerWorker?: number;
  /** Backend used where workers cannot run (default: WebCrypto in the page, else @noble/ciphers). */
  fallback?: AesGcmBackend;
  /** Told, each time a key goes to the fallback instead, why. */
  onFallback?: (reason: Error) => void;
  /** Workers end after this long without work, dropping their keys (default 2000 ms). */
  idleMs?: number;
}

export interface WorkerAesGcmBackend extends AesGcmBackend {
  readonly workers: number;
  /** Ends the workers now; later calls start new ones. */
  close(): void;
}

interface Reply {
  id: number;
  ok?: boolean;
  data?: ArrayBuffer;
  spare?: ArrayBuffer;
  error?: string;
}

interface Thread {
  worker: Worker;
  busy: number;
  /** Key slots imported into this worker. */
  keys: Map<number, Promise<void>>;
}

const START_TIMEOUT_MS = 10_000;

function defaultWorkerCount(): number {
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 2;
  // Chromium runs every WebCrypto operation of a renderer process on one thread, so workers only
  // take the copies and allocations off the page: two are enough, and one core stays for the page.
  return Math.min(2, Math.max(1, cores - 1));
}

function inlineWorker(): Worker {
  const url = URL.createObjectURL(new Blob([AES_WORKER_SOURCE], { type: 'text/javascript' }));
  try {
    return new Worker(url, { name: 'dbs-aes' });
  } finally {
    // The worker has fetched its script by the time it runs; revoke once it had the chance to.
    setTimeout(() => URL.revokeObjectURL(url), START_TIMEOUT_MS);
  }
}

/** A backend that spreads AES-GCM operations over Web Workers (see the top of this file). */
export function workerAesGcm(options: WorkerAesGcmOptions = {}): WorkerAesGcmBackend {
  const count = Math.max(1, Math.floor(options.workers ?? defaultWorkerCount()));
  const perWorker = Math.max(1, Math.floor(options.inFlightPerWorker ?? 3));
  const idleMs = options.idleMs ?? 2000;
  const fallback = () => options.fallback ?? (hasWebCrypto() ? webCryptoAesGcm : nobleAesGcm);
  const create = options.createWorker ?? inlineWorker;

  let threads: Thread[] | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let nextId = 0;
  let nextSlot = 0;
  /** Input buffers handed back by the workers, reused for the next segments (at most one window's worth). */
  let spares: ArrayBuffer[] = [];
  const pending = new Map<number, { thread: Thread; resolve(r: Reply): void; reject(e: Error): void }>();

  function stop(reason: Error): void {
    const ended = threads;
    threads = undefined;
    spares = [];
    if (idle) clearTimeout(idle);
    idle = undefined;
    for (const [id, job] of pending) {
      if (ended?.includes(job.thread)) {
        pending.delete(id);
        job.reject(reason);
      }
    }
    for (const t of ended ?? []) t.worker.terminate();
  }

  function start(): Thread[] {
    const started: Thread[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const thread: Thread = { worker: create(), busy: 0, keys: new Map() };
        thread.worker.onmessage = (event: MessageEvent<Reply>) => {
          const job = pending.get(event.data.id);
          if (!job) return;
          pending.delete(event.data.id);
          thread.busy--;
          job.resolve(event.data);
          if (pending.size === 0) {
            if (idle) clearTimeout(idle);
            idle = setTimeout(() => pending.size === 0 && stop(new Error('AES workers ended (idle)')), idleMs);
          }
        };
        thread.worker.onerror = (event: ErrorEvent) => {
          event.preventDefault?.();
          if (threads?.includes(thread)) stop(new Error(`AES worker failed: ${event.message || 'could not start'}`));
        };
        started.push(thread);
      }
    } catch (error) {
      for (const t of started) t.worker.terminate();
      throw error;
    }
    return started;
  }

  function call(thread: Thread, message: Record<string, unknown>, transfer: Transferable[] = []): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (!threads?.includes(thread)) {
        reject(new Error('AES worker ended before the operation was sent'));
        return;
      }
      if (idle) clearTimeout(idle);
      idle = undefined;
      const id = nextId++;
      pending.set(id, { thread, resolve, reject });
      thread.busy++;
      thread.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Hands the key to a thread once (per start of the pool); resolves when the thread has it. */
  function ensureKey(thread: Thread, slot: number, key: CryptoKey): Promise<void> {
    let ready = thread.keys.get(slot);
    if (!ready) {
      ready = call(thread, { op: 'key', slot, key }).then((r) => {
        if (!r.ok) throw new Error(`AES worker cannot take the key: ${r.error}`);
      });
      thread.keys.set(slot, ready);
    }
    return ready;
  }

  function leastBusy(pool: Thread[]): Thread {
    let best = pool[0];
    for (const t of pool) if (t.busy < best.busy) best = t;
    return best;
  }

  async function run(op: 'seal' | 'open', slot: number, key: CryptoKey, nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[]): Promise<Reply> {
    threads ??= start();
    const thread = leastBusy(threads);
    await ensureKey(thread, slot, key);
    // One copy into a buffer of our own, transferred (the caller's buffers stay intact).
    const length = totalLength(parts);
    const spare = spares.pop();
    const data = spare && spare.byteLength === length ? new Uint8Array(spare) : new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      data.set(part, at);
      at += part.length;
    }
    const reply = await call(thread, { op, slot, nonce, aad, data: data.buffer }, [data.buffer]);
    if (reply.spare && spares.length < count * perWorker) spares.push(reply.spare);
    if (reply.error !== undefined) throw new Error(`AES worker: ${reply.error}`);
    return reply;
  }

  return {
    name: 'webcrypto-workers',
    concurrency: count * perWorker,
    workers: count,
    close() {
      stop(new Error('AES workers closed'));
    },
    async importKey(raw) {
      if (!(raw instanceof Uint8Array) || raw.length !== AES_KEY_LENGTH) {
        throw new TypeError(`AES-256-GCM key: expected a Uint8Array of length ${AES_KEY_LENGTH}, got length ${raw?.length}`);
      }
      if (typeof Worker !== 'function' || !hasWebCrypto()) {
        options.onFallback?.(new Error(typeof Worker !== 'function' ? 'Web Workers are not available here' : 'WebCrypto is not available here (not a secure context)'));
        return fallback().importKey(raw);
      }
      const key = await globalThis.crypto.subtle.importKey('raw', raw.slice(), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
      const slot = nextSlot++;
      // Start the pool and give every worker the key now, so a worker that cannot start is found
      // here, where the in-page backend can still take over.
      try {
        threads ??= start();
        const pool = threads;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`AES workers did not answer within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        });
        const failed = new Promise<never>((_, reject) => {
          for (const t of pool) t.worker.addEventListener('error', (e) => reject(new Error(`AES worker failed: ${(e as ErrorEvent).message || 'could not start'}`)), { once: true });
        });
        failed.catch(() => {});
        try {
          await Promise.race([Promise.all(pool.map((t) => ensureKey(t, slot, key))), timeout, failed]);
        } finally {
          clearTimeout(timer);
        }
      } catch (error) {
        stop(error as Error);
        options.onFallback?.(error as Error);
        return fallback().importKey(raw);
      }
      const workerKey: AesGcmKey = {
        async seal(nonce, aad, parts) {
          return [new Uint8Array((await run('seal', slot, key, nonce, aad, parts)).data!)];
        },
        async open(nonce, aad, parts) {
          const reply = await run('open', slot, key, nonce, aad, parts);
          return reply.ok ? [new Uint8Array(reply.data!)] : undefined;
        },
      };
      return workerKey;
    },
  };
}
