// A worker thread of the block engine (pool.node.ts): runs encodeBatch / healBatch on batches
// posted by the main thread and transfers the buffers back.
import { parentPort } from 'node:worker_threads';
import { encodeBatch, healBatch, type EncodeJob, type HealJob } from './blocks.js';
import { loadTools, type Tools } from './frames.js';
import { healBlock } from './heal.js';

const tools = new Map<number, Promise<Tools>>();
const toolsFor = (parity: number) => {
  let t = tools.get(parity);
  if (!t) tools.set(parity, (t = loadTools([parity])));
  return t;
};

parentPort!.on('message', async (message: { id: number; kind: 'encode' | 'heal'; job: EncodeJob | HealJob }) => {
  try {
    const t = await toolsFor(message.job.parity);
    if (message.kind === 'encode') {
      const result = encodeBatch(t, message.job as EncodeJob);
      parentPort!.postMessage({ id: message.id, result }, [result.copy0.buffer as ArrayBuffer, result.copy1.buffer as ArrayBuffer]);
    } else {
      const job = message.job as HealJob;
      const results = healBatch(t, job, healBlock);
      parentPort!.postMessage({ id: message.id, result: { buffer: job.buffer, results } }, [job.buffer.buffer as ArrayBuffer]);
    }
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
});
