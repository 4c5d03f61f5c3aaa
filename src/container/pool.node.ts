// The block engine on every core (Node): worker_threads running worker.node.ts. Pass
// `engine: workerEngine()` to writeContainer / openContainer / healContainer / replaceMeta.
import { siblingWorker } from '../io/thread.node.js';
import { availableParallelism } from 'node:os';
import { createPool, type EngineFactory } from './pool.js';

export type { EngineFactory };

/**
 * A factory for an engine of `workers` threads (default: one per core but one, which the calling
 * thread uses for its share of the batches and the I/O). The threads start on first use, are
 * shared by every writer and reader given this factory, and end after 0.5 s without work or on
 * `factory.close()`.
 */
export function workerEngine(options: { workers?: number } = {}): EngineFactory {
  const count = Math.max(1, options.workers ?? availableParallelism() - 1);
  return createPool(count, (onMessage, onError) => {
    const worker = siblingWorker(import.meta.url, 'worker.node');
    worker.on('message', onMessage);
    worker.on('error', onError);
    return { post: (m, transfer) => worker.postMessage(m, transfer), terminate: () => worker.terminate() };
  });
}
