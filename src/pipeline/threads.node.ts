// How many threads do the block work (hashes, parity, healing) of a file the pipeline reads or
// writes: every core for files big enough to repay starting worker threads, this thread alone
// for the rest. The workers are started (warm) while the file's head is read, but their first
// batches still run cold. Measured here (2 cores, `dbs validate` from the page cache, alternated
// runs, start-up of about 0.25 s included): 2.3 GB file 1.41-1.48 s with a worker against
// 1.92-2.08 s on one thread; 578 MB 0.67-0.70 against 0.75-0.81 s; 289 MB 0.54-0.57 against
// 0.54-0.62 s, no gain; hence the threshold of 512 MiB.
import { availableParallelism } from 'node:os';
import { workerEngine, type EngineFactory } from '../container/pool.node.js';
import { UsageError } from '../errors.js';

/** Files at least this large get worker threads unless `threads` says otherwise. */
export const WORKERS_FROM_BYTES = 512 * 1024 * 1024;

/** Checks a `threads` setting: undefined (automatic) or a whole number of at least 1. */
export function checkThreads(threads: number | undefined): number | undefined {
  if (threads === undefined) return undefined;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new UsageError(`threads must be a whole number from 1 to 256, got ${threads}`, {
      hint: 'leave it out to use every core for files of 512 MiB or more; 1 keeps the work on one thread',
    });
  }
  return threads;
}

/** Threads for the block work of a file of `size` bytes, counting this one (`threads` when given). */
export function threadsFor(size: number, threads?: number): number {
  return checkThreads(threads) ?? (size >= WORKERS_FROM_BYTES ? availableParallelism() : 1);
}

/**
 * The engine for `threads` threads: undefined for one (this thread), else worker threads the
 * caller closes, started now with their codec loaded for `parity` (warm), so they are ready by
 * the time the caller has read what it needs before the first batch.
 */
export function blockEngine(threads: number, parity: number): EngineFactory | undefined {
  if (threads <= 1) return undefined;
  const engine = workerEngine({ workers: threads - 1 });
  engine.warm(parity);
  return engine;
}
