// Messages between the page (main.ts) and its Web Worker (worker.ts), and the view model the
// page renders. Everything here is structured-clone safe: plain objects, typed arrays, Blobs.
import type { ContentsSummary } from './payload.js';

/** How one block of the payload was obtained, as drawn in the block map. */
export const BlockState = {
  CLEAN: 0,
  REPAIRED: 1, // Reed-Solomon corrected bytes in a copy
  SECOND_COPY: 2, // the first copy was bad, the second verified
  COMBINED: 3, // neither copy verified alone; bytes from both (plus RS) did
  FAILED: 4,
} as const;
export type BlockState = (typeof BlockState)[keyof typeof BlockState];

export const BLOCK_STATE_NAMES = ['clean', 'repaired', 'second copy', 'combined', 'failed'] as const;

export type Verdict = 'clean' | 'repaired' | 'unrecoverable';

export interface BlockCounts {
  total: number;
  clean: number;
  repaired: number;
  secondCopy: number;
  combined: number;
  failed: number;
}

/** What the page shows about a file once it has been read. */
export interface FileView {
  fileName: string;
  fileSize: number;
  verdict: Verdict;
  /** One sentence under the verdict. */
  headline: string;
  counts: BlockCounts;
  /** One BlockState per payload block, in order. */
  blocks: Uint8Array;
  /** Bytes corrected by Reed-Solomon, when the report says. */
  correctedBytes?: number;
  /** Damage outside the payload blocks (header, manifest and meta copies), one line each. */
  notes: string[];
  container: {
    version?: number;
    createdAt?: string; // ISO 8601
    blockSize?: number;
    parity?: number;
    blockCount?: number;
    payloadLength?: number;
    metaCopies?: string;
  };
  /** The security header, read without any secret. Absent when it cannot be parsed. */
  envelope?: {
    cipher?: string;
    kdf?: string; // e.g. "Argon2id, 64 MiB, 3 passes, 1 lane"
    slots?: string; // e.g. "1 passphrase"
    passphraseSlots: number;
    detail?: string;
  };
  /** Set when the container could not be opened at all. */
  fatal?: { code: string; message: string; hint?: string };
  /** The integrity report's own summary text. */
  summary?: string;
  elapsedMs: number;
}

export type PassphraseOutcome =
  | { kind: 'ok'; bytes: number; contents?: ContentsSummary; elapsedMs: number; kdfMs: number }
  | { kind: 'wrong'; message: string; hint?: string }
  | { kind: 'tampered'; message: string; hint?: string }
  | { kind: 'error'; code: string; message: string; hint?: string };

export type ToWorker =
  | { type: 'inspect'; file: Blob; name: string }
  | { type: 'passphrase'; passphrase: string }
  /** Without a handle the healed file comes back as a Blob; with one it is streamed into that file. */
  | { type: 'heal'; handle?: FileSystemFileHandle };

export type Phase = 'reading' | 'checking' | 'decrypting' | 'healing';

export type FromWorker =
  | { type: 'progress'; phase: Phase; done: number; total: number }
  | { type: 'inspected'; view: FileView }
  | { type: 'passphrase'; outcome: PassphraseOutcome }
  | { type: 'healed'; blob?: Blob; name: string; size: number; elapsedMs: number }
  | { type: 'failed'; during: 'inspect' | 'passphrase' | 'heal'; code: string; message: string; hint?: string };
