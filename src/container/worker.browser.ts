// A Web Worker of the block engine (pool.browser.ts). Bundle it as its own module script.
import { handleMessage } from './pool.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown, t: Transferable[]): void };
scope.onmessage = async (event) => {
  const { reply, transfer } = await handleMessage(event.data);
  scope.postMessage(reply, transfer);
};
