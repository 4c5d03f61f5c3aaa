// Checks a payload's records on a worker thread (records-thread.node.ts): the main thread reads
// the blocks back, decrypts and hands frames to the thread pool to inflate, while the worker parses
// every record and hashes the payload. createBackup starts one before the capture (its start-up
// then costs the verify pass nothing) and uses it once, for the verify-after-write pass.
import { siblingWorker } from '../io/thread.node.js';
import { FormatError } from '../errors.js';
import type { ByteStream } from '../io/types.js';

/** Payload bytes posted to the thread and not yet taken by it: bounds memory. */
const IN_FLIGHT = 8 << 20;

type Reply = { consumed: number } | { records: number } | { error: string };

export interface RecordsCheck {
  /** Streams the payload to the thread; resolves once its End record and closing hash checked out. */
  run(payload: ByteStream): Promise<{ payloadBytes: number; records: number }>;
  /** Ends the thread (also when `run` was never called). */
  close(): Promise<void>;
  /** True once the thread failed or ended (it could not start, say): the caller checks on its own thread instead. */
  readonly failed: boolean;
}

export function startRecordsCheck(): RecordsCheck {
  const thread = siblingWorker(import.meta.url, 'records-thread.node');
  // Idle until `run`: it must not keep the process alive.
  thread.unref();
  let inFlight = 0;
  let wakeSender: (() => void) | undefined;
  let closed: Promise<void> | undefined;
  let failed = false;
  const result = new Promise<number>((resolve, reject) => {
    thread.on('message', (m: Reply) => {
      if ('consumed' in m) {
        inFlight -= m.consumed;
        wakeSender?.();
      } else if ('records' in m) resolve(m.records);
      else reject(new FormatError(`the payload read back does not parse into records: ${m.error}`));
    });
    thread.on('error', (error) => {
      failed = true;
      reject(new Error(`the records check thread failed: ${error.message}`, { cause: error }));
    });
    thread.on('exit', (code) => {
      failed = true;
      reject(new Error(`the records check thread exited (code ${code}) before answering`));
    });
  });
  result.catch(() => {}); // thrown where `run` awaits it
  const close = (): Promise<void> => (closed ??= thread.terminate().then(() => undefined));
  return {
    async run(payload) {
      thread.ref();
      try {
        let payloadBytes = 0;
        for await (const chunk of payload) {
          payloadBytes += chunk.length;
          while (inFlight > IN_FLIGHT) await Promise.race([new Promise<void>((r) => (wakeSender = r)), result]);
          // A chunk that is its whole buffer (an inflated frame) is moved to the thread, not copied.
          const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
          const sent = whole ? chunk : chunk.slice();
          inFlight += sent.length;
          thread.postMessage({ chunk: sent }, [sent.buffer as ArrayBuffer]);
        }
        thread.postMessage({ end: true });
        return { payloadBytes, records: await result };
      } finally {
        await close();
      }
    },
    close,
    get failed() {
      return failed;
    },
  };
}
