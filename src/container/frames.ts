// Frames: every structure in a container is a frame = head (96 bytes + RS parity) then a body
// (data + RS parity). These functions build frames and read heads and small bodies back, using
// the codec and the hashers; they are synchronous and pure over their inputs.
import type { Codec } from '../integrity/codec.js';
import { loadCodec } from '../integrity/codec.js';
import {
  HEAD_DATA, HEAD_PARITY, HEAD_SIZE, SMALL_PARITY, CHECK_LENGTH, FORMAT_VERSION,
  hasMagic, parityLength, readHeadFields, writeHeadFields, type Head,
} from './format.js';
import { equalBytes, loadHashers, type Hashers } from './hash.js';

/** The codecs and hashers a container needs, loaded once. */
export interface Tools {
  hashers: Hashers;
  head: Codec;
  small: Codec;
  codec(parity: number): Codec;
}

export async function loadTools(blockParities: number[] = []): Promise<Tools> {
  const parities = [...new Set([HEAD_PARITY, SMALL_PARITY, ...blockParities])];
  const loaded = new Map<number, Codec>();
  for (const p of parities) loaded.set(p, await loadCodec({ parity: p }));
  const hashers = await loadHashers();
  return {
    hashers,
    head: loaded.get(HEAD_PARITY)!,
    small: loaded.get(SMALL_PARITY)!,
    codec(parity) {
      const codec = loaded.get(parity);
      if (!codec) throw new Error(`internal: codec for parity ${parity} was not loaded`);
      return codec;
    },
  };
}

/** Writes a complete head (fields, check, parity) into out[at .. at + HEAD_SIZE). */
export function encodeHead(tools: Tools, out: Uint8Array, at: number, head: Omit<Head, 'version'>): void {
  const data = out.subarray(at, at + HEAD_DATA);
  writeHeadFields(data, head);
  // The check (BLAKE2b-128 of the fields) and the parity in one call into the codec's module.
  tools.head.seal(data, CHECK_LENGTH, out.subarray(at + HEAD_DATA, at + HEAD_SIZE));
}

/**
 * Builds a frame around `data`. The body hash is `hash` when given (blocks pass their own), else
 * computed. `bodyParity` is `parity` when given (block frames), else the small-structure parity.
 */
export function encodeFrame(
  tools: Tools,
  fields: { kind: number; copy: number; flags: number; index: number; id: Uint8Array },
  data: Uint8Array,
  options: { parity?: number; hash?: Uint8Array; parityBytes?: Uint8Array } = {},
): Uint8Array {
  const parity = options.parity ?? SMALL_PARITY;
  const codec = tools.codec(parity);
  const parityBytes = options.parityBytes ?? codec.encode(data);
  const frame = new Uint8Array(HEAD_SIZE + data.length + parityBytes.length);
  encodeHead(tools, frame, 0, {
    ...fields,
    bodyParity: parity,
    length: data.length,
    hash: options.hash ?? tools.hashers.hash(data),
  });
  frame.set(data, HEAD_SIZE);
  frame.set(parityBytes, HEAD_SIZE + data.length);
  return frame;
}

/** A head read back, and whether it needed Reed-Solomon correction. */
export interface ReadHead extends Head {
  corrected: boolean;
}

/**
 * Reads the head at bytes[at..]: accepted when its check verifies as stored, or after Reed-Solomon
 * correction. Returns undefined when neither works (no head there, or damaged beyond repair).
 * Only version-1 heads are accepted; `versionSeen` reports a foreign version with the magic.
 */
export function readHead(tools: Tools, bytes: Uint8Array, at: number): ReadHead | undefined {
  if (at < 0 || at + HEAD_SIZE > bytes.length) return readShortHead(tools, bytes, at);
  const data = bytes.subarray(at, at + HEAD_DATA);
  if (headVerifies(tools, data)) {
    const parity = bytes.subarray(at + HEAD_DATA, at + HEAD_SIZE);
    // The fields are right; a damaged parity region is still damage worth reporting.
    return withCorrected(readHeadFields(data), !tools.head.check(data, parity));
  }
  const work = bytes.slice(at, at + HEAD_SIZE);
  const wd = work.subarray(0, HEAD_DATA);
  const result = tools.head.decode(wd, work.subarray(HEAD_DATA));
  if (!result.ok || !headVerifies(tools, wd)) return undefined;
  return withCorrected(readHeadFields(wd), true);
}

// Sets the flag on the fields object itself (a spread into a new object cost a copy per head).
function withCorrected(head: Head, corrected: boolean): ReadHead {
  const read = head as ReadHead;
  read.corrected = corrected;
  return read;
}

// A head cut by the end of the file can still be checked if its 96 data bytes are there.
function readShortHead(tools: Tools, bytes: Uint8Array, at: number): ReadHead | undefined {
  if (at < 0 || at + HEAD_DATA > bytes.length) return undefined;
  const data = bytes.subarray(at, at + HEAD_DATA);
  return headVerifies(tools, data) ? withCorrected(readHeadFields(data), true) : undefined;
}

function headVerifies(tools: Tools, data: Uint8Array): boolean {
  if (!hasMagic(data) || data[4] !== FORMAT_VERSION) return false;
  return equalBytes(tools.hashers.check(data.subarray(0, HEAD_DATA - CHECK_LENGTH)), data.subarray(HEAD_DATA - CHECK_LENGTH, HEAD_DATA));
}

/**
 * Recovers a small body (params, meta, manifest chunk) of `length` bytes protected with
 * SMALL_PARITY from `bytes` (data + parity, possibly cut short): as stored, else RS-corrected.
 * Returns the data only if it hashes to `hash`.
 */
export function readSmallBody(tools: Tools, bytes: Uint8Array, length: number, hash: Uint8Array): { data: Uint8Array; corrected: boolean } | undefined {
  const total = length + parityLength(length, SMALL_PARITY);
  if (bytes.length < length) return undefined;
  const data = bytes.subarray(0, length);
  if (tools.hashers.verify(data, hash)) {
    const clean = bytes.length >= total && tools.small.check(data, bytes.subarray(length, total));
    return { data: data.slice(), corrected: !clean };
  }
  if (bytes.length < total) return undefined;
  const work = bytes.slice(0, total);
  const wd = work.subarray(0, length);
  const result = tools.small.decode(wd, work.subarray(length));
  if (!result.ok || !tools.hashers.verify(wd, hash)) return undefined;
  return { data: wd.slice(), corrected: true };
}

/** Raw version byte of something that carries the magic at `at` (for "unknown version" errors). */
export function foreignVersionAt(bytes: Uint8Array, at: number): number | undefined {
  return hasMagic(bytes, at) && bytes.length > at + 4 && bytes[at + 4] !== FORMAT_VERSION ? bytes[at + 4] : undefined;
}
