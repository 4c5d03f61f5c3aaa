// Block work as pure functions over a batch of frames, so a batch can run here or in a worker
// (worker_threads in Node, see pool.node.ts): encodeBatch fills hashes, parity and heads of both
// copies of up to ~1 MiB of block frames laid back to back in one buffer.
import { blockLayout, type Codec } from '../integrity/codec.js';
import { FLAG_LAST, HASH_LENGTH, HEAD_SIZE, KIND, frameSize } from './format.js';
import { encodeHead, loadTools, readHead, type Tools } from './frames.js';
import { equalBytes } from './hash.js';

export interface EncodeJob {
  /** Frames back to back; each frame's data already sits at HEAD_SIZE within it. */
  buffer: Uint8Array;
  /** Data length of each frame (all blockSize except perhaps the last). */
  lengths: number[];
  firstIndex: number;
  /** The batch ends with the last block of the payload. */
  endsPayload: boolean;
  id: Uint8Array;
  parity: number;
}

export interface EncodeResult {
  /** Copy 0 frames: the job's buffer, filled in. */
  frames: Uint8Array;
  /**
   * The heads of copy 1, back to back (HEAD_SIZE bytes per frame). Copy 1 differs from copy 0 only
   * in its heads, so the writer swaps these in, hands the frames to the spool and swaps them back
   * (swapHeads) instead of keeping a second copy of every batch: one fresh buffer less per batch.
   */
  heads1: Uint8Array;
  /** BLAKE2b-256 of each block, back to back. */
  hashes: Uint8Array;
}

export function encodeBatch(tools: Tools, job: EncodeJob): EncodeResult {
  const { buffer, lengths, parity } = job;
  const codec = tools.codec(parity);
  const n = lengths.length;
  const hashes = new Uint8Array(n * HASH_LENGTH);
  const heads1 = new Uint8Array(n * HEAD_SIZE);
  const starts: number[] = [];
  let end = 0;
  for (const length of lengths) {
    starts.push(end);
    end += frameSize(length, parity);
  }
  // Parity straight into the frames, hashes straight into `hashes`: one copy into WASM memory per
  // block, and two blocks of one length (all but perhaps the last) hashed side by side.
  const data = (k: number) => buffer.subarray(starts[k] + HEAD_SIZE, starts[k] + HEAD_SIZE + lengths[k]);
  const parityOf = (k: number) => buffer.subarray(starts[k] + HEAD_SIZE + lengths[k], k + 1 < n ? starts[k + 1] : end);
  const hash = (k: number) => hashes.subarray(k * HASH_LENGTH, (k + 1) * HASH_LENGTH);
  for (let k = 0; k < n; ) {
    if (k + 1 < n && lengths[k + 1] === lengths[k]) {
      codec.encodePair(data(k), data(k + 1), parityOf(k), parityOf(k + 1), hash(k), hash(k + 1));
      k += 2;
    } else {
      codec.encode(data(k), parityOf(k), hash(k));
      k += 1;
    }
  }
  for (let k = 0; k < n; k++) {
    encodeHead(tools, buffer, starts[k], headFields(job, k, 0, hash(k)));
    encodeHead(tools, heads1, k * HEAD_SIZE, headFields(job, k, 1, hash(k)));
  }
  return { frames: buffer.subarray(0, end), heads1, hashes };
}

/**
 * Exchanges the heads of the frames in `frames` (data lengths `lengths`) with the HEAD_SIZE-byte
 * heads in `heads`; calling it twice restores both.
 */
export function swapHeads(frames: Uint8Array, heads: Uint8Array, lengths: readonly number[], parity: number): void {
  // Three copies of a head through a spare one, not a byte loop: 3 vs 14 us per 1 MiB batch.
  const held = new Uint8Array(HEAD_SIZE);
  let at = 0;
  for (let k = 0; k < lengths.length; k++) {
    const h = k * HEAD_SIZE;
    held.set(frames.subarray(at, at + HEAD_SIZE));
    frames.set(heads.subarray(h, h + HEAD_SIZE), at);
    heads.set(held, h);
    at += frameSize(lengths[k], parity);
  }
}

function headFields(job: EncodeJob, k: number, copy: number, hash: Uint8Array) {
  const last = job.endsPayload && k === job.lengths.length - 1;
  return {
    kind: KIND.BLOCK, copy, flags: last ? FLAG_LAST : 0, index: job.firstIndex + k, id: job.id,
    bodyParity: job.parity, length: job.lengths[k], hash,
  };
}

/** Runs batches of block work: here, synchronously, or in worker threads (pool.node.ts). */
export interface BlockEngine {
  encodeBatch(job: EncodeJob): Promise<EncodeResult>;
  /** Heals a batch (workers only; the reader heals in place on this thread otherwise). */
  healBatch?(job: HealJob): Promise<{ buffer: Uint8Array; results: HealedEntry[] }>;
  /** Checks and heals a run of frames read whole from both copies (workers only). */
  scanBatch?(job: ScanJob): Promise<ScanResult>;
  /** Batches worth keeping in flight (1 when work runs on this thread). */
  readonly parallelism: number;
  /** With workers: the calling thread does one batch in this many itself (0: none). */
  readonly hereEvery?: number;
  /** Worker threads behind this engine (absent: none); see `Balance`. */
  readonly workers?: number;
  close(): Promise<void>;
}

/**
 * Where the next batch runs: on a worker while the workers hold fewer than two batches each, else
 * on the calling thread. The calling thread also reads, copies and writes every batch, so it takes
 * a share of the block work only when the workers are the ones behind: the split follows the load
 * of the moment (a busy machine, a slow source) instead of a fixed ratio.
 */
export class Balance {
  #busy = 0;
  readonly #depth: number;
  constructor(workers = 0) {
    this.#depth = 2 * workers;
  }

  /** Whether the calling thread should run the next batch itself. */
  get here(): boolean {
    return this.#depth > 0 && this.#busy >= this.#depth;
  }

  /**
   * `here`, read after one turn of the event loop while batches are out. A worker's finished batch
   * is counted only once its reply is delivered, which needs a macrotask turn; a producer that
   * never leaves the microtask queue (a payload already in memory, a consumer that keeps every
   * piece) would otherwise see the workers behind forever and run most batches itself.
   */
  async hereAfterTurn(): Promise<boolean> {
    if (this.#busy > 0) await nextTurn();
    return this.here;
  }

  /** Counts a batch sent to a worker until it settles. */
  sent<T>(promise: Promise<T>): Promise<T> {
    this.#busy++;
    const done = () => {
      this.#busy--;
    };
    promise.then(done, done);
    return promise;
  }
}

/** Resolves after one macrotask turn (setImmediate in Node; a MessageChannel in browsers, unclamped). */
function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => void immediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}

export async function localEngine(parity: number): Promise<BlockEngine> {
  const tools = await loadTools([parity]);
  return {
    parallelism: 1,
    encodeBatch: async (job) => encodeBatch(tools, job),
    close: async () => {},
  };
}

/** Healing a batch of blocks in a worker: both copies' bodies are copied into one buffer. */
export interface HealEntry {
  length: number;
  /** Offsets of the copies' bodies (data + parity) in the buffer, -1 when not found. */
  at: [number, number];
  /** Acceptable BLAKE2b-256 digests, back to back. */
  hashes: Uint8Array;
  quick: boolean;
}

export interface HealJob {
  buffer: Uint8Array;
  parity: number;
  entries: HealEntry[];
}

export interface HealedEntry {
  outcome: import('./heal.js').Outcome;
  copies: [import('./heal.js').CopyState, import('./heal.js').CopyState];
  reason?: string;
  /** Where the verified data now sits in the returned buffer (-1 when failed). */
  dataAt: number;
}

export function healBatch(tools: Tools, job: HealJob, heal: typeof import('./heal.js').healBlock): HealedEntry[] {
  const codec = tools.codec(job.parity);
  const parityLength = (n: number) => (n === 0 ? 0 : blockParity(n, job.parity));
  return job.entries.map((e) => {
    const p = parityLength(e.length);
    const body = (at: number) => (at < 0 ? undefined : { data: job.buffer.subarray(at, at + e.length), parity: job.buffer.subarray(at + e.length, at + e.length + p) });
    const hashes: Uint8Array[] = [];
    for (let h = 0; h < e.hashes.length; h += HASH_LENGTH) hashes.push(e.hashes.subarray(h, h + HASH_LENGTH));
    const b0 = body(e.at[0]);
    const b1 = body(e.at[1]);
    const r = heal(codec, tools.hashers, hashes, [b0, b1], { quick: e.quick });
    let dataAt = -1;
    if (r.data) {
      if (b0 && r.data === b0.data) dataAt = e.at[0];
      else if (b1 && r.data === b1.data) dataAt = e.at[1];
      else {
        dataAt = e.at[0] >= 0 ? e.at[0] : e.at[1];
        job.buffer.set(r.data, dataAt);
      }
    }
    return { outcome: r.outcome, copies: r.copies, reason: r.reason, dataAt };
  });
}

function bodyParity(length: number, parity: number): number {
  return length === 0 ? 0 : blockParity(length, parity);
}

function blockParity(length: number, parity: number): number {
  return blockLayout(length, parity).parityLength;
}

/**
 * A run of whole frames read straight from the file, both copies, for a worker to check and heal:
 * the heads are parsed there (not on the calling thread) and the window buffers travel by transfer.
 * Each copy's window holds `lengths.length` frames back to back at their expected places.
 */
export interface ScanJob {
  /** Copy 0's and copy 1's frames; transferred to the worker and back. */
  windows: [Uint8Array, Uint8Array];
  parity: number;
  /** Bytes from one frame to the next (a full frame). */
  fullFrame: number;
  firstIndex: number;
  /** Data length of each block. */
  lengths: number[];
  /** The manifest's BLAKE2b-256 digest of each block, back to back. */
  hashes: Uint8Array;
  id: Uint8Array;
  quick: boolean;
}

export interface ScannedEntry extends HealedEntry {
  /** Whether each copy's head was read as stored (not lost, not corrected). */
  heads: [boolean, boolean];
  /** Which window holds the verified data (with `dataAt`). */
  dataIn: 0 | 1;
}

/**
 * `placed: false` when a head is not where it should be (lost, or the frames moved): the caller
 * then walks these blocks itself, searching for frames, and nothing of this job is used.
 */
export type ScanResult = { placed: false; windows: [Uint8Array, Uint8Array] } | { placed: true; windows: [Uint8Array, Uint8Array]; results: ScannedEntry[] };

/**
 * BLAKE2b-256 of copy 0's data of the frames of a run (`fullFrame` bytes apart in `window`), for
 * blocks of one length two at a time (Codec.hashPair, one per SIMD lane): healBlock hashes copy 0
 * of every block first anyway. A block left without a partner is undefined (healBlock hashes it).
 */
export function firstCopyDigests(codec: Codec, window: Uint8Array, fullFrame: number, lengths: readonly number[]): (Uint8Array | undefined)[] {
  const n = lengths.length;
  const digests: (Uint8Array | undefined)[] = new Array(n).fill(undefined);
  const data = (k: number) => window.subarray(k * fullFrame + HEAD_SIZE, k * fullFrame + HEAD_SIZE + lengths[k]);
  for (let k = 0; k + 1 < n; ) {
    if (lengths[k + 1] !== lengths[k]) {
      k += 1;
      continue;
    }
    const a = new Uint8Array(HASH_LENGTH);
    const b = new Uint8Array(HASH_LENGTH);
    codec.hashPair(data(k), data(k + 1), a, b);
    digests[k] = a;
    digests[k + 1] = b;
    k += 2;
  }
  return digests;
}

export function scanBatch(tools: Tools, job: ScanJob, heal: typeof import('./heal.js').healBlock): ScanResult {
  const { windows, parity, fullFrame, lengths } = job;
  const codec = tools.codec(parity);
  const results: ScannedEntry[] = [];
  const heads: [boolean, boolean][] = [];
  // Every head first: a moved or lost head sends the whole run back before any costly healing.
  for (let k = 0; k < lengths.length; k++) {
    const at = k * fullFrame;
    const pair: [boolean, boolean] = [false, false];
    for (const c of [0, 1] as const) {
      const head = readHead(tools, windows[c], at);
      if (!head || head.kind !== KIND.BLOCK || head.copy !== c || head.index !== job.firstIndex + k || !equalBytes(head.id, job.id)) {
        return { placed: false, windows };
      }
      if (windows[c].length < at + HEAD_SIZE + lengths[k] + bodyParity(lengths[k], parity)) return { placed: false, windows };
      pair[c] = !head.corrected;
    }
    heads.push(pair);
  }
  const digests = firstCopyDigests(codec, windows[0], fullFrame, lengths);
  for (let k = 0; k < lengths.length; k++) {
    const length = lengths[k];
    const start = k * fullFrame + HEAD_SIZE;
    const end = start + length + bodyParity(length, parity);
    const body = (c: 0 | 1) => ({ data: windows[c].subarray(start, start + length), parity: windows[c].subarray(start + length, end) });
    const b0 = body(0);
    const b1 = body(1);
    const r = heal(codec, tools.hashers, [job.hashes.subarray(k * HASH_LENGTH, (k + 1) * HASH_LENGTH)], [b0, b1], { quick: job.quick, digest0: digests[k] });
    let dataAt = -1;
    let dataIn: 0 | 1 = 0;
    if (r.data) {
      dataAt = start;
      if (r.data === b1.data) dataIn = 1;
      else if (r.data !== b0.data) windows[0].set(r.data, start);
    }
    results.push({ outcome: r.outcome, copies: r.copies, reason: r.reason, dataAt, dataIn, heads: heads[k] });
  }
  return { placed: true, windows, results };
}
