// The container's on-disk constants, the frame head, the params body and the layout arithmetic.
// Everything here is pure (no codec, no hashing) so the writer, the reader and the tests share
// one definition of where every byte goes. docs/FORMAT.md, section "Container", describes it.
import { blockLayout } from '../integrity/codec.js';
import { FormatError, LimitError } from '../errors.js';

/** First bytes of every frame; 0x89 catches 7-bit transfers, "DBS" names the format. */
export const MAGIC = Uint8Array.of(0x89, 0x44, 0x42, 0x53);
export const FORMAT_VERSION = 1;
export const SUPPORTED_VERSIONS = [FORMAT_VERSION] as const;

/** Frame kinds (byte 5 of a head). */
export const KIND = { HEADER: 1, TRAILER: 2, META: 3, MANIFEST: 4, BLOCK: 5 } as const;
export type Kind = (typeof KIND)[keyof typeof KIND];
const KIND_NAMES: Record<number, string> = { 1: 'header', 2: 'trailer', 3: 'meta', 4: 'manifest', 5: 'block' };
export const kindName = (kind: number) => KIND_NAMES[kind] ?? `kind ${kind}`;

/** Head flags. LAST marks the last block of a copy and the last manifest chunk. */
export const FLAG_LAST = 1;

/** Bytes of a head before its Reed-Solomon parity (a multiple of 16: six symbols per codeword). */
export const HEAD_DATA = 96;
/** Parity symbols per head codeword: 16 interleaved codewords of 6 + 16 symbols, 8 errors each. */
export const HEAD_PARITY = 16;
/** Parity symbols for the small structures' bodies (params, meta, manifest): twice the block default. */
export const SMALL_PARITY = 32;
/** Bytes of the params body carried by the header and the trailer. */
export const PARAMS_LENGTH = 32;
/** Block hashes per manifest chunk: keeps each chunk's body at 64 KiB + 32 bytes. */
export const MANIFEST_CHUNK_BLOCKS = 2048;
export const MANIFEST_FIXED = 32;
export const HASH_LENGTH = 32;
export const CHECK_LENGTH = 16;
export const ID_LENGTH = 16;

export const DEFAULT_BLOCK_SIZE = 64 * 1024;
export const DEFAULT_PARITY = 16;

/** Safety bounds, checked before anything is allocated from a value read in a file. */
export const LIMITS = {
  metaLength: 64 * 1024,
  minBlockSize: 1024,
  maxBlockSize: 16 * 1024 * 1024,
  maxBlockCount: 0xffff_fff0,
  maxPayloadLength: Number.MAX_SAFE_INTEGER,
} as const;

/** Byte length of a frame head (data + parity). */
export const HEAD_SIZE = HEAD_DATA + parityLength(HEAD_DATA, HEAD_PARITY);

/** Parity bytes that follow `dataLength` body bytes protected with `parity` symbols per codeword. */
export function parityLength(dataLength: number, parity: number): number {
  return dataLength === 0 ? 0 : blockLayout(dataLength, parity).parityLength;
}

/** Total bytes of a frame whose body holds `dataLength` bytes. */
export function frameSize(dataLength: number, parity: number): number {
  return HEAD_SIZE + dataLength + parityLength(dataLength, parity);
}

export function checkParity(parity: number, what = 'parity'): void {
  if (!Number.isInteger(parity) || parity < 2 || parity > 64 || parity % 2 !== 0) {
    throw new FormatError(`${what} must be an even number of symbols from 2 to 64, got ${parity}`);
  }
}

/** The decoded fields of a frame head. */
export interface Head {
  version: number;
  kind: number;
  copy: number;
  flags: number;
  bodyParity: number;
  index: number;
  length: number;
  id: Uint8Array;
  hash: Uint8Array;
}

/**
 * Head data layout (96 bytes):
 *  0 magic(4) | 4 version | 5 kind | 6 copy | 7 flags | 8 bodyParity | 9..15 zero
 * 16 index u32 | 20 length u32 | 24..31 zero | 32 container id(16) | 48 body hash(32) | 80 check(16)
 * The check is BLAKE2b-128 of bytes 0..79; the caller fills it (hashing lives in hash.ts).
 */
export function writeHeadFields(out: Uint8Array, head: Omit<Head, 'version'>): void {
  out.fill(0, 0, HEAD_DATA);
  out.set(MAGIC, 0);
  out[4] = FORMAT_VERSION;
  out[5] = head.kind;
  out[6] = head.copy;
  out[7] = head.flags;
  out[8] = head.bodyParity;
  const view = new DataView(out.buffer, out.byteOffset, HEAD_DATA);
  view.setUint32(16, head.index, true);
  view.setUint32(20, head.length, true);
  out.set(head.id, 32);
  out.set(head.hash, 48);
}

export function readHeadFields(bytes: Uint8Array): Head {
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEAD_DATA);
  return {
    version: bytes[4],
    kind: bytes[5],
    copy: bytes[6],
    flags: bytes[7],
    bodyParity: bytes[8],
    index: view.getUint32(16, true),
    length: view.getUint32(20, true),
    id: bytes.slice(32, 48),
    hash: bytes.slice(48, 80),
  };
}

export function hasMagic(bytes: Uint8Array, at = 0): boolean {
  return bytes[at] === MAGIC[0] && bytes[at + 1] === MAGIC[1] && bytes[at + 2] === MAGIC[2] && bytes[at + 3] === MAGIC[3];
}

/** Layout parameters stored in the header and trailer bodies (and repeated in the manifest). */
export interface Params {
  blockSize: number;
  parity: number;
  createdAt: number; // ms since the Unix epoch
  metaLength: number;
  /** Known in the trailer; the header is written before the payload has been seen. */
  final: boolean;
  blockCount: number;
  payloadLength: number;
}

/**
 * Params body (32 bytes): 0 blockSize u32 | 4 parity u8 | 5 flags u8 (bit 0: counts known) | 6..7 zero
 * 8 createdAt u64 ms | 16 metaLength u32 | 20 blockCount u32 | 24 payloadLength u64
 */
export function encodeParams(p: Params): Uint8Array {
  const out = new Uint8Array(PARAMS_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint32(0, p.blockSize, true);
  out[4] = p.parity;
  out[5] = p.final ? 1 : 0;
  view.setBigUint64(8, BigInt(p.createdAt), true);
  view.setUint32(16, p.metaLength, true);
  view.setUint32(20, p.final ? p.blockCount : 0, true);
  view.setBigUint64(24, BigInt(p.final ? p.payloadLength : 0), true);
  return out;
}

export function decodeParams(body: Uint8Array): Params {
  const view = new DataView(body.buffer, body.byteOffset, PARAMS_LENGTH);
  const payloadLength = view.getBigUint64(24, true);
  const createdAt = view.getBigUint64(8, true);
  const params: Params = {
    blockSize: view.getUint32(0, true),
    parity: body[4],
    final: (body[5] & 1) === 1,
    createdAt: createdAt > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(createdAt),
    metaLength: view.getUint32(16, true),
    blockCount: view.getUint32(20, true),
    payloadLength: payloadLength > BigInt(LIMITS.maxPayloadLength) ? -1 : Number(payloadLength),
  };
  return params;
}

/** Refuses params that no writer produces, before any allocation depends on them. */
export function checkParams(p: Params, where: string): void {
  if (p.blockSize < LIMITS.minBlockSize || p.blockSize > LIMITS.maxBlockSize) {
    throw new LimitError(`${where}: block size`, p.blockSize, p.blockSize > LIMITS.maxBlockSize ? LIMITS.maxBlockSize : LIMITS.minBlockSize);
  }
  if (p.parity < 2 || p.parity > 64 || p.parity % 2 !== 0) throw new FormatError(`${where}: parity ${p.parity} is not an even number from 2 to 64`);
  if (p.metaLength > LIMITS.metaLength) throw new LimitError(`${where}: meta length`, p.metaLength, LIMITS.metaLength);
  if (p.createdAt < 0) throw new FormatError(`${where}: creation time is out of range`);
  if (p.final) checkCounts(p.blockCount, p.payloadLength, p.blockSize, where);
}

export function checkCounts(blockCount: number, payloadLength: number, blockSize: number, where: string): void {
  if (payloadLength < 0) throw new LimitError(`${where}: payload length`, payloadLength, LIMITS.maxPayloadLength);
  if (blockCount > LIMITS.maxBlockCount) throw new LimitError(`${where}: block count`, blockCount, LIMITS.maxBlockCount);
  const expected = blockCountFor(payloadLength, blockSize);
  if (blockCount !== expected) {
    throw new FormatError(`${where}: block count ${blockCount} does not match payload length ${payloadLength} in blocks of ${blockSize} (expected ${expected})`);
  }
}

/** An empty payload still has one (empty) block, so the last-block flag always exists. */
export function blockCountFor(payloadLength: number, blockSize: number): number {
  return Math.max(1, Math.ceil(payloadLength / blockSize));
}

/** Where everything sits in a container written with these params (before any damage). */
export interface Layout {
  blockSize: number;
  parity: number;
  metaLength: number;
  blockCount: number;
  payloadLength: number;
  lastLength: number;
  /** Frame sizes. */
  headerFrame: number;
  metaFrame: number;
  fullFrame: number;
  lastFrame: number;
  manifestChunks: number;
  manifestFrame: (chunk: number) => number;
  /** Offsets: [copy] arrays for the two copies; meta has three copies. */
  meta: [number, number, number];
  blocks: [number, number];
  manifest: [number, number];
  trailer: number;
  fileSize: number;
}

export function manifestChunkLength(chunk: number, blockCount: number): number {
  const first = chunk * MANIFEST_CHUNK_BLOCKS;
  return MANIFEST_FIXED + Math.min(MANIFEST_CHUNK_BLOCKS, blockCount - first) * HASH_LENGTH;
}

export function computeLayout(p: { blockSize: number; parity: number; metaLength: number; blockCount: number; payloadLength: number }): Layout {
  const { blockSize, parity, metaLength, blockCount, payloadLength } = p;
  const lastLength = payloadLength - (blockCount - 1) * blockSize;
  const headerFrame = frameSize(PARAMS_LENGTH, SMALL_PARITY);
  const metaFrame = frameSize(metaLength, SMALL_PARITY);
  const fullFrame = frameSize(blockSize, parity);
  const lastFrame = frameSize(lastLength, parity);
  const manifestChunks = Math.ceil(blockCount / MANIFEST_CHUNK_BLOCKS);
  const manifestFrame = (chunk: number) => frameSize(manifestChunkLength(chunk, blockCount), SMALL_PARITY);
  let manifestBytes = 0;
  for (let c = 0; c < manifestChunks; c++) manifestBytes += manifestFrame(c);
  const copyBytes = (blockCount - 1) * fullFrame + lastFrame;
  const meta0 = headerFrame;
  const blocks0 = meta0 + metaFrame;
  const manifest0 = blocks0 + copyBytes;
  const meta1 = manifest0 + manifestBytes;
  const blocks1 = meta1 + metaFrame;
  const manifest1 = blocks1 + copyBytes;
  const meta2 = manifest1 + manifestBytes;
  const trailer = meta2 + metaFrame;
  return {
    blockSize, parity, metaLength, blockCount, payloadLength, lastLength,
    headerFrame, metaFrame, fullFrame, lastFrame, manifestChunks, manifestFrame,
    meta: [meta0, meta1, meta2],
    blocks: [blocks0, blocks1],
    manifest: [manifest0, manifest1],
    trailer,
    fileSize: trailer + headerFrame,
  };
}

/** Byte length of block `index` under a layout. */
export function blockLength(layout: Pick<Layout, 'blockSize' | 'blockCount' | 'lastLength'>, index: number): number {
  return index === layout.blockCount - 1 ? layout.lastLength : layout.blockSize;
}
