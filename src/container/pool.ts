// A pool of block workers, whatever runs them: worker_threads (pool.node.ts) or Web Workers
// (pool.browser.ts). Batches go out with their buffers transferred, results come back in order of
// submission per caller; idle workers end after IDLE_MS so a process or page can let them go.
import { encodeBatch, healBatch, scanBatch, type BlockEngine, type EncodeJob, type EncodeResult, type HealJob, type HealedEntry, type ScanJob, type ScanResult } from './blocks.js';
import { loadTools } from './frames.js';
import { healBlock } from './heal.js';

/** The little a pool needs from a worker. */
export interface WorkerPort {
  post(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): Promise<unknown> | void;
}

export type EngineFactory = ((parity: number) => Promise<BlockEngine>) & {
  close(): Promise<void>;
  /**
   * Starts the workers now and has each load its codec for `parity`, so that the first batches
   * find them ready instead of waiting for their start-up (call it before reading a file's head).
   */
  warm(parity: number): void;
  /** Batches handed to the workers so far (warm-ups not counted): whether they did any work. */
  readonly batches: number;
};

const IDLE_MS = 500;

type Kind = 'encode' | 'heal' | 'scan' | 'warm';

interface Pending {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

/**
 * `spawn(onMessage, onError)` starts one worker. The calling thread takes one batch in
 * 2 * (count + 1) itself (see the writer and the reader), so `count` is usually cores - 1.
 */
export function createPool(count: number, spawn: (onMessage: (m: unknown) => void, onError: (e: Error) => void) => WorkerPort): EngineFactory {
  let workers: WorkerPort[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let turn = 0;
  let batches = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;

  const stop = async () => {
    const ending = workers;
    workers = [];
    await Promise.all(ending.map((w) => w.terminate()));
  };
  const onMessage = (raw: unknown) => {
    const m = raw as { id: number; result?: unknown; error?: string };
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(`block worker failed: ${m.error}`));
    else p.resolve(m.result as never);
    if (pending.size === 0) {
      idle = setTimeout(() => void stop(), IDLE_MS);
      (idle as { unref?: () => void }).unref?.();
    }
  };
  const onError = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const post = <T>(kind: Kind, job: EncodeJob | HealJob | ScanJob | WarmJob, transfer: ArrayBuffer[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (idle) clearTimeout(idle);
      idle = undefined;
      if (workers.length === 0) workers = Array.from({ length: Math.max(1, count) }, () => spawn(onMessage, onError));
      const id = nextId++;
      if (kind !== 'warm') batches++;
      pending.set(id, { resolve: resolve as (v: never) => void, reject });
      workers[turn++ % workers.length].post({ id, kind, job }, transfer);
    });
  const engine: BlockEngine = {
    // Enough batches in flight that no worker waits for the next one while this thread drains.
    parallelism: 2 * (Math.max(1, count) + 1),
    // The calling thread also reads, writes and copies every batch: a quarter of a core's share
    // of the block work balances it on two cores, less with more workers.
    hereEvery: 2 * (Math.max(1, count) + 1),
    workers: Math.max(1, count),
    encodeBatch: (job) => post<EncodeResult>('encode', job, [job.buffer.buffer as ArrayBuffer]),
    healBatch: (job) => post<{ buffer: Uint8Array; results: HealedEntry[] }>('heal', job, [job.buffer.buffer as ArrayBuffer]),
    scanBatch: (job) => post<ScanResult>('scan', job, job.windows.map((w) => w.buffer as ArrayBuffer)),
    // Each writer or reader "closes" its handle; the workers stay for the next one until idle.
    close: async () => {},
  };
  const factory = Object.assign(async () => engine, {
    close: async () => {
      if (idle) clearTimeout(idle);
      await stop();
    },
    warm: (parity: number) => {
      // One message per worker (posts go round): a failure shows again on the first real batch.
      for (let n = 0; n < Math.max(1, count); n++) post('warm', { parity }, []).catch(() => {});
    },
  });
  return Object.defineProperty(factory, 'batches', { get: () => batches }) as unknown as EngineFactory;
}

/** Loads a worker's codec ahead of its first batch. */
interface WarmJob {
  parity: number;
}

/** What a worker does with one message (shared by worker.node.ts and worker.browser.ts). */
export async function handleMessage(message: { id: number; kind: Kind; job: EncodeJob | HealJob | ScanJob | WarmJob }): Promise<{ reply: unknown; transfer: ArrayBuffer[] }> {
  try {
    const tools = await loadTools([message.job.parity]);
    if (message.kind === 'warm') return { reply: { id: message.id, result: null }, transfer: [] };
    if (message.kind === 'encode') {
      const result = encodeBatch(tools, message.job as EncodeJob);
      return { reply: { id: message.id, result }, transfer: [result.frames.buffer as ArrayBuffer, result.heads1.buffer as ArrayBuffer] };
    }
    if (message.kind === 'scan') {
      const result = scanBatch(tools, message.job as ScanJob, healBlock);
      return { reply: { id: message.id, result }, transfer: result.windows.map((w) => w.buffer as ArrayBuffer) };
    }
    const job = message.job as HealJob;
    const results = healBatch(tools, job, healBlock);
    return { reply: { id: message.id, result: { buffer: job.buffer, results } }, transfer: [job.buffer.buffer as ArrayBuffer] };
  } catch (error) {
    return { reply: { id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }, transfer: [] };
  }
}
