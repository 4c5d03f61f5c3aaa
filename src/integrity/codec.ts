// Reed-Solomon over GF(2^8) (primitive polynomial 0x11d, generator roots alpha^0..alpha^(p-1)),
// systematic, interleaved inside a block so that a contiguous burst is spread over many
// codewords. The arithmetic runs in WebAssembly (assembly/); this module lays out the block,
// copies bytes in and out of WASM memory (never handing out views into it) and checks arguments.
import { loadCodecWasm, memoryTo, type CodecExports } from './wasm.js';

/** Parity symbols per codeword by default: RS(255,239), 8 errors or 16 erasures per codeword. */
export const DEFAULT_PARITY = 16;
/** Largest block the codec accepts (its working copy must fit in 32-bit WASM memory). */
export const MAX_BLOCK_LENGTH = 1 << 30;

/** How one block of `dataLength` bytes is split into interleaved codewords. */
export interface BlockLayout {
  /** Data bytes in the block. */
  readonly dataLength: number;
  /** Parity symbols per codeword (p). */
  readonly parity: number;
  /** Codewords in the block (N, a multiple of 16); data byte i belongs to codeword i mod N. */
  readonly stride: number;
  /** Data symbols per codeword (k); symbol floor(i / N) of codeword i mod N is data byte i. */
  readonly dataPerCodeword: number;
  /** Parity bytes of the block, N * p. */
  readonly parityLength: number;
  /** Longest contiguous run of damaged bytes anywhere in [data | parity] always corrected (errors only). */
  readonly burstBytes: number;
  /** The same when the damaged positions are known and passed as erasures. */
  readonly erasureBurstBytes: number;
}

export interface DecodeResult {
  /** True when every codeword is now clean. */
  ok: boolean;
  /** Bytes changed in data and parity. */
  corrected: number;
  /** Codewords (0..stride-1) that could not be corrected; their bytes are left as they were. */
  failedCodewords: number[];
}

export interface Codec {
  readonly parity: number;
  /**
   * The block's parity region: blockLayout(data.length, parity).parityLength bytes, written to
   * `into` when given (a buffer the caller reuses; it must have exactly that length), else new.
   * `hashInto` (1 to 64 bytes), when given, receives BLAKE2b-(8 * hashInto.length) of `data`,
   * hashed from the copy the parity is computed from (one copy into WASM memory serves both).
   */
  encode(data: Uint8Array, into?: Uint8Array, hashInto?: Uint8Array): Uint8Array;
  /**
   * encode(a, intoA, hashA) and encode(b, intoB, hashB) for two blocks of one length, their
   * hashes computed side by side (one message per lane of the module's SIMD BLAKE2b).
   */
  encodePair(a: Uint8Array, b: Uint8Array, intoA: Uint8Array, intoB: Uint8Array, hashA: Uint8Array, hashB: Uint8Array): void;
  /**
   * BLAKE2b-(8 * hashA.length) of `a` into hashA and of `b` into hashB, two messages of one length
   * hashed side by side as encodePair does (no parity): a validate checks blocks two at a time.
   */
  hashPair(a: Uint8Array, b: Uint8Array, hashA: Uint8Array, hashB: Uint8Array): void;
  /**
   * Makes `data` self-checking and encodes it: its last `checkLength` bytes (1..64) receive
   * BLAKE2b-(8 * checkLength) of the bytes before them, then its parity goes to `into` (exactly
   * parityLength bytes, as encode). One copy into WASM memory and one call (frame heads).
   */
  seal(data: Uint8Array, checkLength: number, into: Uint8Array): void;
  /** True when every codeword is clean (all syndromes zero). */
  check(data: Uint8Array, parity: Uint8Array): boolean;
  /** Corrects in place every codeword it can; erasures are byte offsets in [data | parity]. */
  decode(data: Uint8Array, parity: Uint8Array, erasures?: ArrayLike<number>): DecodeResult;
}

function checkParity(parity: number): void {
  if (!Number.isInteger(parity) || parity < 2 || parity > 64 || parity % 2 !== 0) {
    throw new RangeError(`parity must be an even integer from 2 to 64, got ${parity}`);
  }
}

/** The layout of one block (see docs/FORMAT.md, "Block layout and codec"). */
export function blockLayout(dataLength: number, parity: number = DEFAULT_PARITY): BlockLayout {
  checkParity(parity);
  if (!Number.isInteger(dataLength) || dataLength < 0 || dataLength > MAX_BLOCK_LENGTH) {
    throw new RangeError(`block data length must be an integer from 0 to ${MAX_BLOCK_LENGTH}, got ${dataLength}`);
  }
  if (dataLength === 0) {
    return { dataLength, parity, stride: 0, dataPerCodeword: 0, parityLength: 0, burstBytes: 0, erasureBurstBytes: 0 };
  }
  const kmax = 255 - parity;
  const stride = 16 * Math.ceil(Math.ceil(dataLength / kmax) / 16);
  const k = Math.ceil(dataLength / stride);
  // The last data row holds r bytes; codewords 0..r-1 then meet their parity row 0 after a gap
  // of r bytes instead of `stride`, so a burst across that seam reaches one of them sooner.
  const r = dataLength - (k - 1) * stride;
  const seam = r < stride ? stride - r : 0;
  const t = parity / 2;
  return {
    dataLength,
    parity,
    stride,
    dataPerCodeword: k,
    parityLength: stride * parity,
    burstBytes: t * stride - seam,
    erasureBurstBytes: parity * stride - seam,
  };
}

let codecs: Map<number, Promise<Codec>> | undefined;

/** The codec for `parity` symbols per codeword (default 16). Lazy and cached; the WASM is inlined. */
export function loadCodec(options: { parity?: number } = {}): Promise<Codec> {
  const parity = options.parity ?? DEFAULT_PARITY;
  checkParity(parity);
  codecs ??= new Map();
  let codec = codecs.get(parity);
  if (!codec) {
    codec = loadCodecWasm().then((wasm) => new WasmCodec(wasm, parity));
    codec.catch(() => codecs?.delete(parity));
    codecs.set(parity, codec);
  }
  return codec;
}

// One instance of the module serves every codec: calls are synchronous, so they never overlap.
class WasmCodec implements Codec {
  readonly parity: number;
  readonly #wasm: CodecExports;
  readonly #work: number;
  #bytes: Uint8Array;
  #layout: BlockLayout | undefined; // of the last block size seen (blocks are mostly one size)

  constructor(wasm: CodecExports, parity: number) {
    this.#wasm = wasm;
    this.parity = parity;
    this.#work = wasm.workBase();
    this.#bytes = new Uint8Array(wasm.memory.buffer);
  }

  encode(data: Uint8Array, into?: Uint8Array, hashInto?: Uint8Array): Uint8Array {
    const layout = this.#layoutOf(data);
    if (into !== undefined) expectParityLength(layout, into);
    if (hashInto !== undefined) expectDigestLength(hashInto);
    if (layout.dataLength === 0) {
      if (hashInto !== undefined) this.#hashEmpty(hashInto);
      return into ?? new Uint8Array(0);
    }
    const { d, p, q } = this.#load(layout, data, undefined, 0);
    this.#wasm.encode(d, p, layout.stride, layout.dataPerCodeword, this.parity);
    if (hashInto !== undefined) {
      // q (the decoder's scratch, unused by encode) holds at least 164 bytes: see #load.
      this.#wasm.blake2b(d, layout.dataLength, hashInto.length, q);
      hashInto.set(this.#bytes.subarray(q, q + hashInto.length));
    }
    const parity = this.#bytes.subarray(p, p + layout.parityLength);
    if (into === undefined) return parity.slice();
    into.set(parity);
    return into;
  }

  encodePair(a: Uint8Array, b: Uint8Array, intoA: Uint8Array, intoB: Uint8Array, hashA: Uint8Array, hashB: Uint8Array): void {
    const layout = this.#layoutOf(a);
    if (bytesLength(b, 'b') !== layout.dataLength) throw new RangeError(`encodePair needs two blocks of one length, got ${layout.dataLength} and ${b.length}`);
    expectParityLength(layout, intoA);
    expectParityLength(layout, intoB);
    expectDigestPair(hashA, hashB);
    if (layout.dataLength === 0) {
      this.#hashEmpty(hashA);
      this.#hashEmpty(hashB);
      return;
    }
    // b sits where a's decoder scratch would (unused by encode); b's scratch takes both digests.
    const first = this.#load(layout, a, undefined, 0);
    const second = this.#load(layout, b, undefined, 0, first.q);
    const w = this.#wasm;
    w.encode(first.d, first.p, layout.stride, layout.dataPerCodeword, this.parity);
    w.encode(second.d, second.p, layout.stride, layout.dataPerCodeword, this.parity);
    const out = second.q;
    w.blake2bTwo(first.d, second.d, layout.dataLength, hashA.length, out, out + 64);
    const bytes = this.#bytes;
    intoA.set(bytes.subarray(first.p, first.p + layout.parityLength));
    intoB.set(bytes.subarray(second.p, second.p + layout.parityLength));
    hashA.set(bytes.subarray(out, out + hashA.length));
    hashB.set(bytes.subarray(out + 64, out + 64 + hashA.length));
  }

  hashPair(a: Uint8Array, b: Uint8Array, hashA: Uint8Array, hashB: Uint8Array): void {
    const length = bytesLength(a, 'a');
    if (bytesLength(b, 'b') !== length) throw new RangeError(`hashPair needs two messages of one length, got ${length} and ${b.length}`);
    expectDigestPair(hashA, hashB);
    // a, then b at the next 16-byte boundary, then both digests (64 bytes each).
    const at = this.#work;
    const atB = at + ((length + 15) & ~15);
    const out = atB + ((length + 15) & ~15);
    const w = this.#wasm;
    const bytes = memoryTo(w, out + 128, this.#bytes);
    if (!bytes) throw new RangeError(`cannot grow WebAssembly memory to hash two messages of ${length} bytes`);
    this.#bytes = bytes;
    bytes.set(a, at);
    bytes.set(b, atB);
    w.blake2bTwo(at, atB, length, hashA.length, out, out + 64);
    hashA.set(bytes.subarray(out, out + hashA.length));
    hashB.set(bytes.subarray(out + 64, out + 64 + hashA.length));
  }

  seal(data: Uint8Array, checkLength: number, into: Uint8Array): void {
    const layout = this.#layoutOf(data);
    expectParityLength(layout, into);
    if (!Number.isInteger(checkLength) || checkLength < 1 || checkLength > 64 || checkLength > layout.dataLength) {
      throw new RangeError(`checkLength must be 1 to 64 and at most the data length (${layout.dataLength}), got ${checkLength}`);
    }
    const hashed = layout.dataLength - checkLength;
    const { d, p } = this.#load(layout, data, undefined, 0);
    this.#wasm.seal(d, hashed, checkLength, p, layout.stride, layout.dataPerCodeword, this.parity);
    data.set(this.#bytes.subarray(d + hashed, d + layout.dataLength), hashed);
    into.set(this.#bytes.subarray(p, p + layout.parityLength));
  }

  check(data: Uint8Array, parity: Uint8Array): boolean {
    const layout = this.#layoutOf(data);
    expectParityLength(layout, parity);
    if (layout.dataLength === 0) return true;
    const { d, p } = this.#load(layout, data, parity, 0);
    return this.#wasm.check(d, p, layout.stride, layout.dataPerCodeword, this.parity) === 1;
  }

  decode(data: Uint8Array, parity: Uint8Array, erasures?: ArrayLike<number>): DecodeResult {
    const layout = this.#layoutOf(data);
    expectParityLength(layout, parity);
    const total = layout.dataLength + layout.parityLength;
    const nErasures = erasures?.length ?? 0;
    for (let i = 0; i < nErasures; i++) {
      const o = erasures![i];
      if (!Number.isInteger(o) || o < 0 || o >= total) {
        throw new RangeError(`erasure ${i} is ${o}, expected a byte offset from 0 to ${total - 1} in [data | parity]`);
      }
    }
    if (layout.dataLength === 0) return { ok: true, corrected: 0, failedCodewords: [] };
    const { d, p, q, e, counts, sorted, failed } = this.#load(layout, data, parity, nErasures);
    if (nErasures > 0) {
      const view = new Uint32Array(this.#bytes.buffer, e, nErasures);
      for (let i = 0; i < nErasures; i++) view[i] = erasures![i];
    }
    const w = this.#wasm;
    const nFailed = w.decode(d, p, q, layout.dataLength, layout.stride, layout.dataPerCodeword, this.parity,
      e, nErasures, counts, sorted, failed);
    const corrected = w.lastCorrected();
    if (corrected > 0) {
      data.set(this.#bytes.subarray(d, d + layout.dataLength));
      parity.set(this.#bytes.subarray(p, p + layout.parityLength));
    }
    const failedCodewords = Array.from(new Uint32Array(this.#bytes.buffer, failed, nFailed));
    return { ok: nFailed === 0, corrected, failedCodewords };
  }

  #hashEmpty(out: Uint8Array): void {
    const w = this.#wasm;
    const at = this.#work;
    const bytes = memoryTo(w, at + 64, this.#bytes);
    if (!bytes) throw new RangeError('cannot grow WebAssembly memory');
    this.#bytes = bytes;
    w.blake2b(at, 0, out.length, at);
    out.set(this.#bytes.subarray(at, at + out.length));
  }

  #layoutOf(data: Uint8Array): BlockLayout {
    const length = bytesLength(data, 'data');
    if (this.#layout?.dataLength !== length) this.#layout = blockLayout(length, this.parity);
    return this.#layout;
  }

  // Lays the block out in WASM memory from `base` (growing it once when a bigger block arrives),
  // copies the data in with its zero padding and the parity if given, and returns the regions'
  // offsets. From q to end there are at least 164 bytes (parityLength >= 32, stride >= 16).
  #load(layout: BlockLayout, data: Uint8Array, parity: Uint8Array | undefined, nErasures: number, base = this.#work) {
    const { stride, dataPerCodeword: k, parityLength } = layout;
    const d = base;
    const p = d + k * stride;
    const q = p + parityLength;
    const e = q + parityLength;
    const counts = e + 4 * nErasures;
    const sorted = counts + 4 * (stride + 1);
    const failed = sorted + 4 * nErasures;
    const end = failed + 4 * stride;
    const bytes = memoryTo(this.#wasm, end, this.#bytes);
    if (!bytes) throw new RangeError(`cannot grow WebAssembly memory to ${end} bytes for a block of ${layout.dataLength} bytes`);
    this.#bytes = bytes;
    bytes.set(data, d);
    bytes.fill(0, d + layout.dataLength, p);
    if (parity) bytes.set(parity, p);
    return { d, p, q, e, counts, sorted, failed };
  }
}

function bytesLength(value: unknown, what: string): number {
  // the second test accepts a Uint8Array from another realm (iframe, vm context)
  if (!(value instanceof Uint8Array) && !(ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array')) {
    throw new TypeError(`${what} must be a Uint8Array`);
  }
  return (value as Uint8Array).length;
}

function expectDigestLength(out: Uint8Array): void {
  const got = bytesLength(out, 'hashInto');
  if (got < 1 || got > 64) throw new RangeError(`hashInto must hold 1 to 64 bytes (a BLAKE2b digest), got ${got}`);
}

/** Two digest buffers of one length, each 1 to 64 bytes (encodePair, hashPair). */
function expectDigestPair(hashA: Uint8Array, hashB: Uint8Array): void {
  expectDigestLength(hashA);
  if (bytesLength(hashB, 'hashB') !== hashA.length) throw new RangeError(`hashA and hashB must have one length, got ${hashA.length} and ${hashB.length}`);
}

function expectParityLength(layout: BlockLayout, parity: Uint8Array): void {
  const got = bytesLength(parity, 'parity');
  if (got !== layout.parityLength) {
    throw new RangeError(
      `expected ${layout.parityLength} parity bytes for ${layout.dataLength} data bytes (parity ${layout.parity}), got ${got}`,
    );
  }
}
