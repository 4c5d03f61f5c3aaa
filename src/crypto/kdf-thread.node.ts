// The worker thread of kdf-worker.node.ts: derives one key per message, in arrival order.
import { parentPort } from 'node:worker_threads';
import { deriveKeyBytes, type KdfParams } from './kdf.js';

interface Job {
  id: number;
  password: Uint8Array;
  salt: Uint8Array;
  params: KdfParams;
}

parentPort!.on('message', async ({ id, password, salt, params }: Job) => {
  try {
    const key = await deriveKeyBytes(password, salt, params);
    password.fill(0);
    parentPort!.postMessage({ id, key }, [key.buffer as ArrayBuffer]);
  } catch (error) {
    // Only the message travels back: never the inputs.
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
