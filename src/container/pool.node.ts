// The block engine on every core (Node): worker_threads running worker.node.ts. Batches are
// transferred, not copied, both ways. Pass `engine: workerEngine()` to writeContainer and
// openContainer. The isomorphic default runs the same functions on the calling thread.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { BlockEngine, EncodeJob, EncodeResult, HealJob, HealedEntry } from './blocks.js';

interface Pending {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

/** Threads idle this long are ended (and started again on the next batch), so a process can exit. */
const IDLE_MS = 500;

export type EngineFactory = ((parity: number) => Promise<BlockEngine>) & { close(): Promise<void> };

/**
 * A factory for an engine of `workers` threads (default: one per core but one, which the calling
 * thread uses for its share of the batches and the I/O). The threads start on first
 * use, are shared by every writer and reader given this factory, and end after 0.5 s without work
 * or on `factory.close()`.
 */
export function workerEngine(options: { workers?: number } = {}): EngineFactory {
  // The calling thread takes a share of the batches too, so one core is left to it.
  const count = Math.max(1, options.workers ?? availableParallelism() - 1);
  let workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let turn = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;

  const stop = async () => {
    const ending = workers;
    workers = [];
    await Promise.all(ending.map((w) => w.terminate()));
  };
  const spawn = () => {
    const self = new URL(import.meta.url);
    const script = new URL(self.pathname.endsWith('.ts') ? './worker.node.ts' : './worker.node.js', self);
    // Under tsx (tests, benchmarks) the worker registers the TypeScript loader before importing.
    const worker = script.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`, { eval: true })
      : new Worker(script);
    worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error) p.reject(new Error(`block worker failed: ${m.error}`));
      else p.resolve(m.result as never);
      if (pending.size === 0) {
        idle = setTimeout(() => void stop(), IDLE_MS);
        idle.unref?.();
      }
    });
    worker.on('error', (error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
    return worker;
  };
  const post = <T>(kind: 'encode' | 'heal', job: EncodeJob | HealJob): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (idle) clearTimeout(idle);
      idle = undefined;
      if (workers.length === 0) workers = Array.from({ length: count }, spawn);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: never) => void, reject });
      workers[turn++ % workers.length].postMessage({ id, kind, job }, [job.buffer.buffer as ArrayBuffer]);
    });
  const engine: BlockEngine = {
    parallelism: count + 1,
    encodeBatch: (job) => post<EncodeResult>('encode', job),
    healBatch: (job) => post<{ buffer: Uint8Array; results: HealedEntry[] }>('heal', job),
    // Each writer or reader "closes" its handle; the threads stay for the next one until idle.
    close: async () => {},
  };
  return Object.assign(async () => engine, {
    close: async () => {
      if (idle) clearTimeout(idle);
      await stop();
    },
  });
}
