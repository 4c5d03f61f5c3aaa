// The worker thread of records-check.node.ts: parses a payload's records as they arrive (every
// record's bounds, the End record and the payload's closing BLAKE2b hash), off the main thread.
// Only the payload format module is loaded here (not the data layer with its database code).
import { parentPort } from 'node:worker_threads';
import { readRecords } from '../data/format.js';

type Message = { chunk: Uint8Array } | { end: true };

const port = parentPort!;
const queue: Uint8Array[] = [];
let ended = false;
let wake: (() => void) | undefined;

port.on('message', (m: Message) => {
  if ('chunk' in m) queue.push(m.chunk);
  else ended = true;
  wake?.();
});

async function* input(): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = queue.shift();
    if (chunk) {
      // Lets the sender post more (it bounds the bytes in flight).
      port.postMessage({ consumed: chunk.length });
      yield chunk;
      continue;
    }
    if (ended) return;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
}

try {
  let records = 0;
  for await (const record of readRecords(input(), { views: true })) {
    void record;
    records++;
  }
  port.postMessage({ records });
} catch (error) {
  port.postMessage({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}
