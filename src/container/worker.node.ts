// A worker thread of the block engine (pool.node.ts).
import { parentPort } from 'node:worker_threads';
import { handleMessage } from './pool.js';

parentPort!.on('message', async (message) => {
  const { reply, transfer } = await handleMessage(message);
  parentPort!.postMessage(reply, transfer);
});
