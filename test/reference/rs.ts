// A slow, obviously-correct Reed-Solomon reference for the tests: GF(2^8) multiplication by
// shift-and-add, the generator built as a product of (x - alpha^i), parity by polynomial long
// division, syndromes by Horner's rule, and the block interleaving written out index by index
// straight from docs/ARCHITECTURE.md. Nothing here is shared with the codec under test.

/** a * b in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1. */
export function gfMul(a: number, b: number): number {
  let product = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) product ^= a;
    b >>= 1;
    a <<= 1;
    if (a & 0x100) a ^= 0x11d;
  }
  return product;
}

export function gfPow(a: number, e: number): number {
  let r = 1;
  for (let i = 0; i < e; i++) r = gfMul(r, a);
  return r;
}

/** Generator coefficients, highest degree first: prod_{i<p} (x - 2^i). */
export function generator(p: number): number[] {
  let g = [1];
  for (let i = 0; i < p; i++) {
    const root = gfPow(2, i);
    const next = new Array(g.length + 1).fill(0);
    for (let j = 0; j < g.length; j++) {
      next[j] ^= g[j]; // * x
      next[j + 1] ^= gfMul(g[j], root); // * root
    }
    g = next;
  }
  return g;
}

/** Parity of one codeword: the remainder of message(x) * x^p divided by g(x), highest degree first. */
export function encodeCodeword(message: ArrayLike<number>, p: number): number[] {
  const g = generator(p);
  const work = [...Array.from(message), ...new Array(p).fill(0)];
  for (let i = 0; i < message.length; i++) {
    const coef = work[i];
    if (coef === 0) continue;
    for (let j = 0; j < g.length; j++) work[i + j] ^= gfMul(g[j], coef);
  }
  return work.slice(message.length);
}

/** Syndromes S_i = C(2^i), i = 0..p-1, of a codeword given highest degree first. */
export function syndromes(codeword: ArrayLike<number>, p: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < p; i++) {
    const x = gfPow(2, i);
    let acc = 0;
    for (let j = 0; j < codeword.length; j++) acc = gfMul(acc, x) ^ codeword[j];
    out.push(acc);
  }
  return out;
}

/** The layout numbers, computed the plain way. */
export function referenceLayout(dataLength: number, p: number) {
  const kmax = 255 - p;
  const codewords = Math.ceil(dataLength / kmax);
  const stride = 16 * Math.ceil(codewords / 16);
  const k = Math.ceil(dataLength / stride);
  return { stride, k };
}

/** Codeword c of a block (k data symbols then p parity symbols); unstored symbols are zero. */
export function codewordOf(data: Uint8Array, parity: Uint8Array | null, c: number, p: number): number[] {
  const { stride, k } = referenceLayout(data.length, p);
  const word: number[] = [];
  for (let s = 0; s < k; s++) {
    const i = s * stride + c;
    word.push(i < data.length ? data[i] : 0);
  }
  for (let t = 0; t < p; t++) word.push(parity ? parity[t * stride + c] : 0);
  return word;
}

/** Parity region of a block, one codeword at a time. */
export function referenceEncodeBlock(data: Uint8Array, p: number): Uint8Array {
  const { stride, k } = referenceLayout(data.length, p);
  const parity = new Uint8Array(stride * p);
  for (let c = 0; c < stride; c++) {
    const message = codewordOf(data, null, c, p).slice(0, k);
    const par = encodeCodeword(message, p);
    for (let t = 0; t < p; t++) parity[t * stride + c] = par[t];
  }
  return parity;
}

/** Whether every codeword of a block has all syndromes zero. */
export function referenceCheckBlock(data: Uint8Array, parity: Uint8Array, p: number): boolean {
  const { stride } = referenceLayout(data.length, p);
  for (let c = 0; c < stride; c++) {
    if (syndromes(codewordOf(data, parity, c, p), p).some((s) => s !== 0)) return false;
  }
  return true;
}

/** Which codeword a byte offset of [data | parity] belongs to. */
export function codewordOfOffset(offset: number, dataLength: number, p: number): number {
  const { stride } = referenceLayout(dataLength, p);
  return offset < dataLength ? offset % stride : (offset - dataLength) % stride;
}
