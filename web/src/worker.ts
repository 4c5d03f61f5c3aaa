// The page's Web Worker: owns the file and does all the work off the main thread, so the page stays
// responsive on a 2 GiB backup. The file is a Blob read in slices (blobSource); nothing is sent
// anywhere but back to the page.
import { blobSource } from './dbs.js';
import { checkPassphrase, healToBlob, healToSink, inspect, type Inspected, type Sink } from './engine.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { healedName } from './format.js';
import { clearStaleSpools } from './spool.js';

const scope = self as unknown as { postMessage(m: FromWorker): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker) => scope.postMessage(m);

let current: Inspected | undefined;
const cleared = clearStaleSpools().catch(() => {});
let fileName = 'backup.dbs';

function failure(during: 'inspect' | 'passphrase' | 'heal', error: unknown): FromWorker {
  const e = error as { code?: string; message?: string; hint?: string };
  return { type: 'failed', during, code: e?.code ?? 'ERROR', message: e?.message ?? String(error), hint: e?.hint };
}

// Progress messages at most every 50 ms: enough for a smooth bar, cheap for the page.
function throttled(phase: 'reading' | 'checking' | 'decrypting' | 'healing') {
  let last = 0;
  return (done: number, total: number) => {
    const now = Date.now();
    if (now - last < 50 && done < total) return;
    last = now;
    post({ type: 'progress', phase, done, total });
  };
}

scope.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === 'inspect') {
      fileName = message.name;
      current = await inspect(blobSource(message.file), message.name, throttled('checking'));
      post({ type: 'inspected', view: current.view });
    } else if (message.type === 'passphrase') {
      if (!current) throw new Error('no file is open');
      const outcome = await checkPassphrase(current, message.passphrase, throttled('decrypting'));
      post({ type: 'passphrase', outcome });
    } else if (message.type === 'heal') {
      if (!current) throw new Error('no file is open');
      await cleared;
      const started = performance.now();
      if (message.handle) {
        // Streamed to the file the person picked: memory stays flat whatever the size.
        const writable = (await message.handle.createWritable()) as unknown as Sink;
        const size = await healToSink(current, writable, throttled('healing'));
        post({ type: 'healed', name: message.handle.name, size, elapsedMs: performance.now() - started });
      } else {
        const blob = await healToBlob(current, throttled('healing'));
        post({ type: 'healed', blob, name: healedName(fileName), size: blob.size, elapsedMs: performance.now() - started });
      }
    }
  } catch (error) {
    post(failure(message.type === 'inspect' ? 'inspect' : message.type, error));
  }
};

