// The block engine on every core in the browser: Web Workers running worker.browser.ts. Bundlers
// emit the worker as its own file; pass how to start one, e.g.
//   webWorkerEngine({ createWorker: () => new Worker(new URL('./worker.browser.js', import.meta.url), { type: 'module' }) })
import { createPool, type EngineFactory } from './pool.js';

export function webWorkerEngine(options: { createWorker: () => Worker; workers?: number }): EngineFactory {
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 2;
  const count = Math.max(1, options.workers ?? cores - 1);
  return createPool(count, (onMessage, onError) => {
    const worker = options.createWorker();
    worker.onmessage = (event) => onMessage(event.data);
    worker.onerror = (event) => onError(new Error(`block worker failed: ${event.message}`));
    return { post: (m, transfer) => worker.postMessage(m, transfer), terminate: () => worker.terminate() };
  });
}
