// BLAKE2b (RFC 7693, unkeyed) in the codec's WebAssembly module (assembly/blake2b.ts): the bytes
// are copied into the module's memory once and hashed there. The codec uses the same entry point
// to hash a block it has already copied in for parity (Codec.encode's `hashInto`).
import { loadCodecWasm, memoryTo, type CodecExports } from './wasm.js';

export interface Blake2b {
  /** The first `length` bytes (1..64) of BLAKE2b-(8 * length) of `data`, as a fresh array. */
  digest(data: Uint8Array, length: number): Uint8Array;
}

let pending: Promise<Blake2b> | undefined;

/** BLAKE2b over the shared codec module (lazy, cached). */
export function loadBlake2b(): Promise<Blake2b> {
  pending ??= loadCodecWasm().then((wasm) => new WasmBlake2b(wasm));
  pending.catch(() => {
    pending = undefined;
  });
  return pending;
}

class WasmBlake2b implements Blake2b {
  readonly #wasm: CodecExports;
  readonly #work: number;
  #bytes: Uint8Array;

  constructor(wasm: CodecExports) {
    this.#wasm = wasm;
    this.#work = wasm.workBase();
    this.#bytes = new Uint8Array(wasm.memory.buffer);
  }

  digest(data: Uint8Array, length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 1 || length > 64) throw new RangeError(`BLAKE2b digest length must be 1 to 64 bytes, got ${length}`);
    const w = this.#wasm;
    const at = this.#work;
    const out = at + ((data.length + 15) & ~15);
    const bytes = memoryTo(w, out + 64, this.#bytes);
    if (!bytes) throw new RangeError(`cannot grow WebAssembly memory to hash ${data.length} bytes`);
    this.#bytes = bytes;
    bytes.set(data, at);
    w.blake2b(at, data.length, length, out);
    return this.#bytes.slice(out, out + length);
  }
}
