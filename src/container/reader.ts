// The reader: finds the container's structures (at their places, or by scanning when the ends are
// lost or bytes were inserted or deleted), recovers meta and manifests from any good copy, then
// walks the blocks of both copies in step, healing each (heal.ts). Memory holds two read windows,
// the block hashes (32 bytes per block) and one block at a time.
import { FormatError, LimitError, TruncatedError, UnrecoverableBlocksError, UnsupportedVersionError } from '../errors.js';
import type { ByteSource, ByteStream } from '../io/types.js';
import {
  FLAG_LAST, FORMAT_VERSION, HASH_LENGTH, HEAD_SIZE, KIND, LIMITS, MAGIC, MANIFEST_CHUNK_BLOCKS, PARAMS_LENGTH,
  SMALL_PARITY, SUPPORTED_VERSIONS, blockCountFor, blockLength, checkCounts, checkParams, computeLayout,
  decodeParams, frameSize, manifestChunkLength, parityLength, type Layout, type Params,
} from './format.js';
import { foreignVersionAt, loadTools, readHead, readSmallBody, type ReadHead, type Tools } from './frames.js';
import { equalBytes } from './hash.js';
import { healBlock, type BlockBody, type CopyState, type Outcome } from './heal.js';
import { Balance, scanBatch, type BlockEngine, type HealEntry, type HealedEntry, type ScanJob, type ScanResult as ScannedRun } from './blocks.js';
import { IntegrityReport, type CopyCount } from './report.js';
import { decodeManifestChunk } from './writer.js';

export interface ContainerInfo {
  version: number;
  blockSize: number;
  parity: number;
  blockCount: number;
  payloadLength: number;
  /** When the container was written (undefined when both header and trailer are lost). */
  createdAt?: Date;
  metaLength: number;
  /** Meta copies found readable (of 3). */
  metaCopies: number;
  /** Container id (hex): ties the frames of one file together. */
  id: string;
  fileSize: number;
  /** The size a container with these parameters has when undamaged. */
  expectedSize: number;
}

export interface ContainerReader {
  readonly info: ContainerInfo;
  /** The upper layer's header bytes, recovered from any good copy. */
  readonly meta: Uint8Array;
  /** The healed payload. Throws UnrecoverableBlocksError (with the report) after the last good byte if blocks fail. */
  payload(): ByteStream;
  /** Reads and heals every block without handing data out; never throws for damage. */
  validate(): Promise<IntegrityReport>;
  /** The report of the last finished payload() or validate() pass. */
  readonly report?: IntegrityReport;
}

/** Bytes read ahead per window: large reads, since each read of a file costs a round trip to the I/O thread. */
const WINDOW = 1 << 20;
/** Failed blocks after which healing skips the costly combining searches (up to about 0.4 s a block). */
const THOROUGH_FAILURES = 8;
const SCAN_WINDOW = 2 << 20;
/** Heads remembered by a whole-file scan (blocks are only counted): bounds memory on crafted input. */
const MAX_SCANNED_HEADS = 65536;

/** Opens a container for reading. Throws FormatError / UnsupportedVersionError / LimitError / TruncatedError. */
export interface OpenOptions {
  /** Runs block healing; default: this thread. `workerEngine()` (Node) uses every core. */
  engine?: (parity: number) => Promise<BlockEngine>;
}

export async function openContainer(source: ByteSource, options: OpenOptions = {}): Promise<ContainerReader> {
  const tools = await loadTools();
  const opened = await locate(source, tools);
  const blockTools = await loadTools([opened.layout.parity]);
  return new Reader(source, blockTools, opened, options.engine);
}

interface Located {
  layout: Layout;
  id: Uint8Array;
  createdAt?: number;
  meta: Uint8Array;
  metaCopies: number;
  /** Block hashes from the manifest (undefined entries where every copy of a chunk was lost). */
  hashes?: Uint8Array;
  haveChunk: boolean[];
  base: IntegrityReport;
}

interface Found {
  pos: number;
  head: ReadHead;
}

async function locate(source: ByteSource, tools: Tools): Promise<Located> {
  const size = source.size;
  const base = new IntegrityReport();
  const headerFrame = frameSize(PARAMS_LENGTH, SMALL_PARITY);
  if (size === 0) throw new FormatError('the file is empty: not a DBS container');
  const first = await source.read(0, Math.min(size, headerFrame));
  const last = await source.read(Math.max(0, size - headerFrame), Math.min(size, headerFrame));

  // A newer writer: both ends carry the magic with the same other version (one flipped byte at
  // one end is damage, and Reed-Solomon would "correct" it, so this is checked on the raw bytes).
  const v0 = foreignVersionAt(first, 0);
  if (v0 !== undefined && v0 === foreignVersionAt(last, 0)) throw new UnsupportedVersionError('container format', v0, SUPPORTED_VERSIONS);
  const header = readParams(tools, first, 0, KIND.HEADER);
  const trailer = size >= headerFrame ? readParams(tools, last, 0, KIND.TRAILER) : undefined;
  if (!header && !trailer) {
    const v = foreignVersionAt(first, 0) ?? foreignVersionAt(last, 0);
    if (v !== undefined) throw new UnsupportedVersionError('container format', v, SUPPORTED_VERSIONS);
  }
  count(base.headers, header);
  count(base.headers, trailer);

  let id = (trailer ?? header)?.head.id;
  let params: Partial<Params> & { final?: boolean } = trailer?.params ?? header?.params ?? {};
  let scan: ScanResult | undefined;
  if (header && trailer && !equalBytes(header.head.id, trailer.head.id)) base.notes.push('the header and the trailer belong to different containers; the trailer was followed');

  if (!trailer?.params.final) {
    if (!header && size < HEAD_SIZE) {
      if (first.length >= MAGIC.length && first.subarray(0, 4).every((b, i) => b === MAGIC[i])) {
        throw new TruncatedError(`the file is ${size} bytes: a DBS container cut short inside its header`, { offset: size });
      }
      throw new FormatError('not a DBS container (no DBS magic at the start and the file is too short)', { offset: 0 });
    }
    scan = await scanFile(source, tools, id);
    if (scan.foreignVersion !== undefined && scan.foreignRaw > scan.nativeRaw) {
      throw new UnsupportedVersionError('container format', scan.foreignVersion, SUPPORTED_VERSIONS);
    }
    if (!scan.id) {
      if (scan.foreignVersion !== undefined) throw new UnsupportedVersionError('container format', scan.foreignVersion, SUPPORTED_VERSIONS);
      throw new FormatError(`not a DBS container: no intact DBS structure found in ${size} bytes`, {
        hint: 'check that this is a .dbs backup file; a file whose every structure is destroyed cannot be read',
      });
    }
    id = scan.id;
    base.notes.push(header ? 'the trailer was lost; the file was scanned to find its structures' : 'both ends were lost; the file was scanned to find its structures');
    params = await deriveParams(source, tools, scan, params, base);
  }
  if (!id) throw new FormatError('not a DBS container');
  if (params.blockSize === undefined || params.parity === undefined || params.metaLength === undefined) {
    throw new FormatError('the container parameters (block size, parity, meta length) could not be recovered from any structure');
  }
  if (!params.final || params.blockCount === undefined || params.payloadLength === undefined) {
    throw new TruncatedError(
      `the file ends inside the first copy of the blocks: the last block, both manifests and the trailer are missing${scan?.maxBlock !== undefined ? ` (blocks 0..${scan.maxBlock} seen)` : ''}`,
      { offset: size, hint: 'the file was cut short before its first full copy was written; find a complete copy of the backup' },
    );
  }
  const full = params as Params;
  checkParams(full, 'container parameters');
  const layout = computeLayout(full);
  if (scan && !trailer && !scan.sawBeyondFirstCopy && size < layout.manifest[0]) {
    throw new TruncatedError(
      `the file ends at byte ${size}, inside the first copy of the blocks (which ends at ${layout.manifest[0]}); nothing after it survives`,
      { offset: size, hint: 'the file was cut short before its first full copy was written; find a complete copy of the backup' },
    );
  }
  // Values that would make us allocate or loop far beyond what this file can hold are refused.
  if (layout.blocks[0] + (layout.blockCount - 1) * layout.fullFrame > 2 * size + 16 * (1 << 20)) {
    throw new LimitError('block count', layout.blockCount, Math.floor((2 * size) / layout.fullFrame) + 1,
      `a file of ${size} bytes cannot hold ${layout.blockCount} blocks of ${layout.blockSize} bytes; it is damaged or crafted`);
  }

  // Meta: the three copies at their places, then any found by scanning, then combined.
  const scanned = (kind: number, index?: number) =>
    scan?.heads.filter((f) => f.head.kind === kind && (index === undefined || f.head.index === index) && equalBytes(f.head.id, id!)).map((f) => f.pos) ?? [];
  const rescan = async (why: string) => {
    if (scan) return false;
    scan = await scanFile(source, tools, id);
    base.notes.push(`${why}; the file was scanned to find its structures`);
    return true;
  };
  let meta = await readMeta(source, tools, id, layout, [...layout.meta], base.meta, true);
  if (!meta && (scan || (await rescan('no meta copy was found at its place')))) {
    meta = await readMeta(source, tools, id, layout, scanned(KIND.META), base.meta, false);
  }
  if (!meta) {
    throw new FormatError('the meta (the security header) could not be recovered from any of its three copies', {
      hint: 'this backup cannot be opened; restore from another backup',
    });
  }

  // Manifest chunks, from either copy.
  const hashes = new Uint8Array(layout.blockCount * HASH_LENGTH);
  const haveChunk: boolean[] = [];
  let chunksLost = 0;
  for (let c = 0; c < layout.manifestChunks; c++) {
    const positions = [manifestChunkAt(layout, 0, c), manifestChunkAt(layout, 1, c)];
    let chunk = await readManifestChunk(source, tools, id, layout, c, positions, base.manifests, c === 0);
    if (!chunk && (scan || (await rescan('a manifest chunk was not found at its place')))) {
      chunk = await readManifestChunk(source, tools, id, layout, c, scanned(KIND.MANIFEST, c), base.manifests, false);
    }
    haveChunk[c] = !!chunk;
    if (chunk) hashes.set(chunk, c * MANIFEST_CHUNK_BLOCKS * HASH_LENGTH);
    else chunksLost++;
  }
  if (chunksLost) base.notes.push(`${chunksLost} of ${layout.manifestChunks} manifest chunk(s) lost in both copies; those blocks are verified by their frame heads`);
  return { layout, id, createdAt: params.createdAt, meta: meta.data, metaCopies: meta.copies, hashes, haveChunk, base };
}

function count(c: CopyCount, found: { head: ReadHead; corrected: boolean } | undefined): void {
  if (!found) c.lost++;
  else if (found.corrected || found.head.corrected) c.repaired++;
  else c.intact++;
}

function readParams(tools: Tools, bytes: Uint8Array, at: number, kind: number) {
  const head = readHead(tools, bytes, at);
  if (!head || head.kind !== kind || head.length !== PARAMS_LENGTH || head.bodyParity !== SMALL_PARITY) return undefined;
  const body = readSmallBody(tools, bytes.subarray(at + HEAD_SIZE), PARAMS_LENGTH, head.hash);
  if (!body) return undefined;
  const params = decodeParams(body.data);
  checkParams(params, kind === KIND.HEADER ? 'header' : 'trailer');
  return { head, params, corrected: body.corrected };
}

function manifestChunkAt(layout: Layout, copy: number, chunk: number): number {
  let at = layout.manifest[copy];
  for (let c = 0; c < chunk; c++) at += layout.manifestFrame(c);
  return at;
}

async function readMeta(source: ByteSource, tools: Tools, id: Uint8Array, layout: Layout, positions: number[], counter: CopyCount, counted: boolean) {
  const length = layout.metaLength;
  const total = HEAD_SIZE + length + parityLength(length, SMALL_PARITY);
  const bodies: BlockBody[] = [];
  const hashes: Uint8Array[] = [];
  let found: Uint8Array | undefined;
  let copies = 0;
  for (const [n, pos] of positions.entries()) {
    if (pos < 0 || pos >= source.size) {
      if (counted && n < 3) counter.lost++;
      continue;
    }
    const bytes = await source.read(pos, total);
    const head = readHead(tools, bytes, 0);
    const good = head && head.kind === KIND.META && head.length === length && equalBytes(head.id, id);
    if (good && !hashes.some((h) => equalBytes(h, head.hash))) hashes.push(head.hash);
    const body = good ? readSmallBody(tools, bytes.subarray(HEAD_SIZE), length, head.hash) : undefined;
    if (counted && n < 3) count(counter, body && head ? { head, corrected: body.corrected } : undefined);
    if (body) {
      copies++;
      found ??= body.data;
    } else if (bytes.length === total) {
      bodies.push({ data: bytes.subarray(HEAD_SIZE, HEAD_SIZE + length), parity: bytes.subarray(HEAD_SIZE + length) });
    }
  }
  if (found) return { data: found, copies };
  // No copy alone: combine pairs of damaged copies, verified by any meta head's hash.
  for (let a = 0; a < bodies.length; a++) {
    for (let b = a + 1; b < bodies.length; b++) {
      const healed = healBlock(tools.small, tools.hashers, hashes, [bodies[a], bodies[b]]);
      if (healed.data) return { data: healed.data.slice(), copies: 0 };
    }
  }
  return undefined;
}

async function readManifestChunk(
  source: ByteSource, tools: Tools, id: Uint8Array, layout: Layout, chunk: number, positions: number[], counter: CopyCount, counted: boolean,
): Promise<Uint8Array | undefined> {
  const length = manifestChunkLength(chunk, layout.blockCount);
  const total = HEAD_SIZE + length + parityLength(length, SMALL_PARITY);
  let result: Uint8Array | undefined;
  const bodies: BlockBody[] = [];
  const hashes: Uint8Array[] = [];
  for (const [n, pos] of positions.entries()) {
    if (pos < 0 || pos >= source.size) {
      if (counted && n < 2) counter.lost++;
      continue;
    }
    const bytes = await source.read(pos, total);
    const head = readHead(tools, bytes, 0);
    const good = head && head.kind === KIND.MANIFEST && head.index === chunk && head.length === length && equalBytes(head.id, id);
    if (good && !hashes.some((h) => equalBytes(h, head.hash))) hashes.push(head.hash);
    const body = good ? readSmallBody(tools, bytes.subarray(HEAD_SIZE), length, head.hash) : undefined;
    const usable = body && manifestMatches(body.data, layout, chunk);
    if (counted && n < 2) count(counter, usable && head ? { head, corrected: body.corrected } : undefined);
    if (usable) result ??= body.data;
    else if (bytes.length === total) bodies.push({ data: bytes.subarray(HEAD_SIZE, HEAD_SIZE + length), parity: bytes.subarray(HEAD_SIZE + length) });
    if (result && !counted) break;
  }
  if (!result && bodies.length >= 2) {
    const healed = healBlock(tools.small, tools.hashers, hashes, [bodies[0], bodies[1]]);
    if (healed.data && manifestMatches(healed.data, layout, chunk)) result = healed.data;
  }
  return result?.slice(32);
}

function manifestMatches(body: Uint8Array, layout: Layout, chunk: number): boolean {
  const m = decodeManifestChunk(body);
  return m.first === chunk * MANIFEST_CHUNK_BLOCKS && m.blockCount === layout.blockCount && m.blockSize === layout.blockSize &&
    m.payloadLength === layout.payloadLength && m.parity === layout.parity && m.count * HASH_LENGTH === m.hashes.length;
}

interface ScanResult {
  id?: Uint8Array;
  heads: Found[];
  foreignVersion?: number;
  maxBlock?: number;
  /** A head of anything that follows the first copy of the blocks (manifest, meta 1 or 2, copy 1, trailer). */
  sawBeyondFirstCopy: boolean;
  /** Magic occurrences whose raw version byte is ours / another one. */
  nativeRaw: number;
  foreignRaw: number;
  blocks: { last?: Found; full?: Found; any?: Found };
}

/**
 * Reads the whole file once, in windows, and decodes every head whose magic is intact. Keeps the
 * non-block heads (bounded) and a summary of block heads; the container id is the one most heads carry.
 */
async function scanFile(source: ByteSource, tools: Tools, preferId?: Uint8Array): Promise<ScanResult> {
  const heads: Found[] = [];
  const votes = new Map<string, { id: Uint8Array; n: number }>();
  const blockInfo = new Map<string, ScanResult['blocks'] & { max: number }>();
  let foreignVersion: number | undefined;
  let beyond = false;
  let nativeRaw = 0;
  let foreignRaw = 0;
  const size = source.size;
  for (let start = 0; start < size; start += SCAN_WINDOW) {
    const bytes = await source.read(start, Math.min(size - start, SCAN_WINDOW + HEAD_SIZE));
    const limit = Math.min(bytes.length, SCAN_WINDOW);
    for (let i = bytes.indexOf(MAGIC[0]); i !== -1 && i < limit; i = bytes.indexOf(MAGIC[0], i + 1)) {
      if (bytes[i + 1] !== MAGIC[1] || bytes[i + 2] !== MAGIC[2] || bytes[i + 3] !== MAGIC[3]) continue;
      const foreign = foreignVersionAt(bytes, i);
      if (foreign !== undefined && foreign !== 0) {
        foreignRaw++;
        foreignVersion ??= foreign;
      } else if (foreign === undefined) nativeRaw++;
      const head = readHead(tools, bytes, i);
      if (!head) continue;
      const key = hex(head.id);
      const vote = votes.get(key) ?? { id: head.id, n: 0 };
      vote.n++;
      votes.set(key, vote);
      const found = { pos: start + i, head };
      if (head.copy > 0 || head.kind === KIND.MANIFEST || head.kind === KIND.TRAILER) beyond = true;
      if (head.kind === KIND.BLOCK) {
        const info = blockInfo.get(key) ?? { max: -1 };
        info.max = Math.max(info.max, head.index);
        info.any ??= found;
        if (head.flags & FLAG_LAST) info.last ??= found;
        else info.full ??= found;
        blockInfo.set(key, info);
      } else if (heads.length < MAX_SCANNED_HEADS) heads.push(found);
    }
  }
  let id = preferId && votes.has(hex(preferId)) ? preferId : undefined;
  if (!id) {
    let best = 0;
    for (const v of votes.values()) if (v.n > best) [best, id] = [v.n, v.id];
  }
  const info = id ? blockInfo.get(hex(id)) : undefined;
  return {
    id,
    heads: id ? heads.filter((f) => equalBytes(f.head.id, id!)) : [],
    foreignVersion,
    nativeRaw,
    foreignRaw,
    sawBeyondFirstCopy: beyond,
    maxBlock: info && info.max >= 0 ? info.max : undefined,
    blocks: { last: info?.last, full: info?.full, any: info?.any },
  };
}

/** Fills in what the ends did not give from the structures a scan found. */
async function deriveParams(source: ByteSource, tools: Tools, scan: ScanResult, known: Partial<Params>, base: IntegrityReport): Promise<Partial<Params>> {
  const p: Partial<Params> = { ...known };
  const headerFrame = frameSize(PARAMS_LENGTH, SMALL_PARITY);
  // A header or trailer away from its place (bytes inserted or deleted near an end).
  for (const f of scan.heads) {
    if (f.head.kind !== KIND.TRAILER && f.head.kind !== KIND.HEADER) continue;
    const found = readParams(tools, await source.read(f.pos, headerFrame), 0, f.head.kind);
    if (!found) continue;
    if (found.params.final) return { ...found.params };
    if (p.blockSize === undefined) Object.assign(p, found.params);
  }
  for (const f of scan.heads) {
    if (f.head.kind === KIND.META && p.metaLength === undefined) p.metaLength = f.head.length;
    if (f.head.kind !== KIND.MANIFEST || p.final) continue;
    const length = f.head.length;
    if (length < 32 || length > 32 + MANIFEST_CHUNK_BLOCKS * HASH_LENGTH) continue;
    const body = readSmallBody(tools, (await source.read(f.pos, frameSize(length, SMALL_PARITY))).subarray(HEAD_SIZE), length, f.head.hash);
    if (!body) continue;
    const m = decodeManifestChunk(body.data);
    if (m.blockSize < LIMITS.minBlockSize || m.blockSize > LIMITS.maxBlockSize || m.payloadLength < 0) continue;
    if (m.blockCount !== blockCountFor(m.payloadLength, m.blockSize)) continue;
    Object.assign(p, { blockSize: m.blockSize, parity: m.parity, blockCount: m.blockCount, payloadLength: m.payloadLength, final: true });
    base.notes.push('the block count and payload length were taken from a manifest');
  }
  const { last, full, any } = scan.blocks;
  p.parity ??= any?.head.bodyParity;
  p.blockSize ??= full?.head.length ?? (last ? Math.max(LIMITS.minBlockSize, last.head.length) : undefined);
  if (!p.final && last && p.blockSize !== undefined) {
    const n = last.head.index + 1;
    const payloadLength = (n - 1) * p.blockSize + last.head.length;
    if (last.head.length <= p.blockSize && (n === 1 || last.head.length > 0)) {
      Object.assign(p, { blockCount: n, payloadLength, final: true });
      base.notes.push('both manifests were lost; the block count was taken from the last block\'s frame');
    }
  }
  if (p.createdAt === undefined) base.notes.push('the creation time was lost with the header and the trailer');
  return p;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}


export { hex };

/**
 * A read-ahead window over the source, so blocks are read in large pieces. Bytes already in
 * memory (`view`) are not copied at all; with `readInto` the window's buffer is reused for every
 * refill (no fresh buffer per read): a view handed out is overwritten by a later `get` that moves
 * the window, so callers copy what they keep. Nothing writes into the views.
 */
class Window {
  #start = 0;
  #bytes: Uint8Array = new Uint8Array(0);
  #buffer?: Uint8Array;
  constructor(private readonly source: ByteSource) {}

  /** Bytes [pos, pos + length), fewer at the end of the file. A view: valid until the next `get`. */
  async get(pos: number, length: number): Promise<Uint8Array> {
    const size = this.source.size;
    if (pos >= size || pos < 0) return new Uint8Array(0);
    const end = Math.min(size, pos + length);
    if (pos < this.#start || end > this.#start + this.#bytes.length) {
      this.#start = pos;
      this.#bytes = await this.#fill(pos, Math.max(WINDOW, length));
    }
    return this.#bytes.subarray(pos - this.#start, end - this.#start);
  }

  /** The same as `get` when the window already holds all of [pos, pos + length), without waiting; else undefined. */
  peek(pos: number, length: number): Uint8Array | undefined {
    if (pos < this.#start || pos + length > this.#start + this.#bytes.length) return undefined;
    return this.#bytes.subarray(pos - this.#start, pos + length - this.#start);
  }

  async #fill(pos: number, length: number): Promise<Uint8Array> {
    if (this.source.view) return this.source.view(pos, length);
    if (!this.source.readInto) return this.source.read(pos, length);
    if (!this.#buffer || this.#buffer.length < length) this.#buffer = new Uint8Array(length);
    const got = await this.source.readInto(pos, this.#buffer.subarray(0, length));
    return this.#buffer.subarray(0, got);
  }
}

interface CursorState {
  shift: number;
  resynchronised: number;
  ahead?: Found;
  exhausted: boolean;
  lastHeadEnd: number;
}

const SharedArrayBufferCtor: Function = typeof SharedArrayBuffer === 'undefined' ? class {} : SharedArrayBuffer;

/** How far before its expected place a frame is looked for (bytes deleted before it). */
const SEARCH_BACK = 1 << 20;

/**
 * Walks the block frames of one copy in order. A frame is taken at its expected place (plus the
 * drift found so far); if its head is not there, the file is searched forward for the next head of
 * this copy, which re-synchronises after inserted or deleted bytes. Frames whose head is lost are
 * read where their neighbours say they must be; their bodies are verified against the manifest.
 */
class CopyCursor {
  shift = 0;
  resynchronised = 0;
  #ahead?: Found;
  #exhausted = false;
  #lastHeadEnd = -1;
  readonly #window: Window;
  readonly #scan: Window;

  constructor(
    private readonly source: ByteSource,
    private readonly tools: Tools,
    private readonly layout: Layout,
    private readonly copy: 0 | 1,
    private readonly id: Uint8Array,
  ) {
    this.#window = new Window(source);
    this.#scan = new Window(source);
  }

  #expected(i: number): number {
    return this.layout.blocks[this.copy] + i * this.layout.fullFrame + this.shift;
  }

  #isMine(head: ReadHead | undefined, i?: number): boolean {
    return !!head && head.kind === KIND.BLOCK && head.copy === this.copy && equalBytes(head.id, this.id) && (i === undefined || head.index === i);
  }

  async frame(i: number): Promise<{ body?: BlockBody; head?: ReadHead }> {
    const length = blockLength(this.layout, i);
    const bodyLength = length + parityLength(length, this.layout.parity);
    const size = HEAD_SIZE + bodyLength;
    let pos = this.#expected(i);
    let head: ReadHead | undefined;
    let framed: Uint8Array | undefined; // the whole frame, when its head was read at its place
    if (this.#ahead && this.#ahead.head.index === i) {
      pos = this.#ahead.pos;
      head = this.#ahead.head;
      this.#ahead = undefined;
      this.#adopt(i, pos);
    } else if (this.#ahead) {
      pos = this.#ahead.pos - (this.#ahead.head.index - i) * this.layout.fullFrame;
    } else {
      const bytes = await this.#window.get(pos, size);
      head = readHead(this.tools, bytes, 0);
      if (!this.#isMine(head, i)) {
        head = undefined;
        if (!this.#exhausted) {
          const found = await this.#search(Math.max(this.#lastHeadEnd, pos - SEARCH_BACK), i);
          if (!found) this.#exhausted = true;
          else if (found.head.index === i) {
            head = found.head;
            pos = found.pos;
            this.#adopt(i, pos);
          } else {
            this.#ahead = found;
            pos = found.pos - (found.head.index - i) * this.layout.fullFrame;
          }
        }
      } else {
        this.#lastHeadEnd = pos + HEAD_SIZE;
        framed = bytes;
      }
    }
    if (pos < 0 || pos + size > this.source.size) return { head };
    const bytes = framed ?? (await this.#window.get(pos, size));
    if (bytes.length < size) return { head };
    return {
      head,
      body: { data: bytes.subarray(HEAD_SIZE, HEAD_SIZE + length), parity: bytes.subarray(HEAD_SIZE + length, size) },
    };
  }

  /**
   * Frame `i` without waiting, when it is the common case: its head is intact at its expected
   * place and the read window already holds the whole frame. Otherwise undefined, and nothing
   * changed: `frame(i)` then does the full work (reads, searches).
   */
  placedFrame(i: number): { body: BlockBody; head: ReadHead } | undefined {
    if (this.#ahead) return undefined;
    const length = blockLength(this.layout, i);
    const size = HEAD_SIZE + length + parityLength(length, this.layout.parity);
    const pos = this.#expected(i);
    const bytes = this.#window.peek(pos, size);
    if (!bytes) return undefined;
    const head = readHead(this.tools, bytes, 0);
    if (!head || !this.#isMine(head, i)) return undefined;
    this.#lastHeadEnd = pos + HEAD_SIZE;
    return { head, body: { data: bytes.subarray(HEAD_SIZE, HEAD_SIZE + length), parity: bytes.subarray(HEAD_SIZE + length, size) } };
  }

  /** Where frames first..first+count-1 lie if they sit at their expected places (undefined while a search is pending or past the end). */
  placedRun(first: number, count: number): { pos: number; length: number } | undefined {
    if (this.#ahead) return undefined;
    const pos = this.#expected(first);
    const lastLength = blockLength(this.layout, first + count - 1);
    const length = (count - 1) * this.layout.fullFrame + HEAD_SIZE + lastLength + parityLength(lastLength, this.layout.parity);
    return pos >= 0 && pos + length <= this.source.size ? { pos, length } : undefined;
  }

  /** Frame `i`'s head was found at its expected place (by a worker). */
  passed(i: number): void {
    this.#lastHeadEnd = this.#expected(i) + HEAD_SIZE;
  }

  save(): CursorState {
    return { shift: this.shift, resynchronised: this.resynchronised, ahead: this.#ahead, exhausted: this.#exhausted, lastHeadEnd: this.#lastHeadEnd };
  }

  restore(s: CursorState): void {
    this.shift = s.shift;
    this.resynchronised = s.resynchronised;
    this.#ahead = s.ahead;
    this.#exhausted = s.exhausted;
    this.#lastHeadEnd = s.lastHeadEnd;
  }

  #adopt(i: number, pos: number): void {
    const shift = pos - (this.layout.blocks[this.copy] + i * this.layout.fullFrame);
    if (shift !== this.shift) this.resynchronised++;
    this.shift = shift;
    this.#lastHeadEnd = pos + HEAD_SIZE;
  }

  /** The first head of this copy with index >= i at or after `from`; stops at the structures that follow the copy. */
  async #search(from: number, i: number): Promise<Found | undefined> {
    const size = this.source.size;
    const piece = 1 << 20;
    for (let start = Math.max(0, from); start < size; start += piece) {
      const bytes = await this.#scan.get(start, piece + HEAD_SIZE);
      const limit = Math.min(bytes.length, piece);
      for (let j = bytes.indexOf(MAGIC[0]); j !== -1 && j < limit; j = bytes.indexOf(MAGIC[0], j + 1)) {
        if (bytes[j + 1] !== MAGIC[1] || bytes[j + 2] !== MAGIC[2] || bytes[j + 3] !== MAGIC[3]) continue;
        const head = readHead(this.tools, bytes, j);
        if (!head || !equalBytes(head.id, this.id)) continue;
        if (this.#isMine(head) && head.index >= i) return { pos: start + j, head };
        // Past the end of this copy's blocks: its manifest, or what follows it.
        if (head.kind === KIND.MANIFEST && head.copy === this.copy) return undefined;
        if (this.copy === 0 && head.kind === KIND.BLOCK && head.copy === 1) return undefined;
        if (head.kind === KIND.TRAILER) return undefined;
      }
    }
    return undefined;
  }
}

/** One pass over the blocks: the report it fills, whether block data is handed out, each copy's cursor. */
interface Walk {
  report: IntegrityReport;
  wantData: boolean;
  cursors: [CopyCursor, CopyCursor];
}
type Framed = { body?: BlockBody; head?: ReadHead };
type Settled = { outcome: Outcome; copies: [CopyState, CopyState]; reason?: string };

class Reader implements ContainerReader {
  readonly info: ContainerInfo;
  readonly meta: Uint8Array;
  report?: IntegrityReport;
  readonly #located: Located;
  readonly #engine?: (parity: number) => Promise<BlockEngine>;

  constructor(
    private readonly source: ByteSource,
    private readonly tools: Tools,
    located: Located,
    engine?: (parity: number) => Promise<BlockEngine>,
  ) {
    this.#located = located;
    this.#engine = engine;
    const { layout } = located;
    this.meta = located.meta;
    this.info = {
      version: FORMAT_VERSION,
      blockSize: layout.blockSize,
      parity: layout.parity,
      blockCount: layout.blockCount,
      payloadLength: layout.payloadLength,
      createdAt: located.createdAt === undefined ? undefined : new Date(located.createdAt),
      metaLength: layout.metaLength,
      metaCopies: located.metaCopies,
      id: hex(located.id),
      fileSize: source.size,
      expectedSize: layout.fileSize,
    };
  }

  #newReport(): IntegrityReport {
    const base = this.#located.base;
    const report = new IntegrityReport(this.info.blockCount);
    report.headers = { ...base.headers };
    report.meta = { ...base.meta };
    report.manifests = { ...base.manifests };
    report.notes = [...base.notes];
    if (this.source.size !== this.info.expectedSize) {
      report.notes.push(`the file is ${this.source.size} bytes; undamaged it would be ${this.info.expectedSize}`);
    }
    return report;
  }

  /** One thread: each block healed here, in order (frames in the read windows taken without an await). */
  async *#walkHere(walk: Walk): AsyncGenerator<Uint8Array> {
    const { blockCount, parity } = this.#located.layout;
    const codec = this.tools.codec(parity);
    const [c0, c1] = walk.cursors;
    // Copy 0 of the next block when it already sits in the read window: healBlock hashes copy 0
    // of every block first, so two blocks of one length are hashed at once (Codec.hashPair).
    let next: { f0: Framed; digest?: Uint8Array } | undefined;
    for (let i = 0; i < blockCount; i++) {
      const f0 = next?.f0 ?? c0.placedFrame(i) ?? (await c0.frame(i));
      let digest0 = next?.digest;
      next = undefined;
      const f1 = c1.placedFrame(i) ?? (await c1.frame(i));
      if (!digest0 && f0.body && i + 1 < blockCount) {
        const f0Next = c0.placedFrame(i + 1);
        if (f0Next) {
          next = { f0: f0Next };
          if (f0Next.body.data.length === f0.body.data.length) {
            digest0 = new Uint8Array(HASH_LENGTH);
            next.digest = new Uint8Array(HASH_LENGTH);
            codec.hashPair(f0.body.data, f0Next.body.data, digest0, next.digest);
          }
        }
      }
      const { accepted, quick, heads } = this.#verification(walk, i, f0, f1);
      const result = healBlock(codec, this.tools.hashers, accepted, [f0.body, f1.body], { quick, digest0 });
      const data = this.#settle(walk, i, result, heads, result.data);
      if (data) yield data;
    }
  }

  /** What verifies block `i` (the manifest's hash, else its frame heads'), and whether each copy's head was read as stored. */
  #verification(walk: Walk, i: number, f0: Framed, f1: Framed) {
    const { layout, hashes, haveChunk } = this.#located;
    const { report, cursors } = walk;
    const length = blockLength(layout, i);
    const accepted: Uint8Array[] = [];
    if (hashes && haveChunk[Math.floor(i / MANIFEST_CHUNK_BLOCKS)]) accepted.push(hashes.subarray(i * HASH_LENGTH, (i + 1) * HASH_LENGTH));
    else for (const f of [f0, f1]) if (f.head && f.head.length === length) accepted.push(f.head.hash);
    const quick = report.failed.length >= THOROUGH_FAILURES;
    const heads: [boolean, boolean] = [!!f0.head && !f0.head.corrected, !!f1.head && !f1.head.corrected];
    report.resynchronised = cursors[0].resynchronised + cursors[1].resynchronised;
    return { f0, f1, length, accepted, quick, heads };
  }

  /** Counts one healed block in the report and returns its data to hand out (a fresh copy). */
  #settle(walk: Walk, i: number, result: Settled, heads: [boolean, boolean], data?: Uint8Array): Uint8Array | undefined {
    const { layout } = this.#located;
    const { report } = walk;
    const length = blockLength(layout, i);
    // A head that was lost or needed correction is damage in that copy even if its body is fine.
    for (const c of [0, 1] as const) if (result.copies[c] === 'intact' && !heads[c]) result.copies[c] = 'damaged';
    const start = i * layout.blockSize;
    report.add(i, result.outcome, result.copies, [start, start + length], result.reason);
    if (result.outcome === 'failed' && report.failed.length === THOROUGH_FAILURES) {
      report.notes.push(`after ${THOROUGH_FAILURES} failed blocks, the costly searches for combining copies were skipped for the rest`);
    }
    return walk.wantData && data && report.failed.length === 0 ? data.slice() : undefined;
  }

  /** Heals blocks in order; yields each verified block's data (a fresh copy) until the first failure (nothing without `wantData`). */
  async *#walk(report: IntegrityReport, wantData: boolean): AsyncGenerator<Uint8Array> {
    const { layout, hashes, haveChunk, id } = this.#located;
    const codec = this.tools.codec(layout.parity);
    const cursors: [CopyCursor, CopyCursor] = [new CopyCursor(this.source, this.tools, layout, 0, id), new CopyCursor(this.source, this.tools, layout, 1, id)];
    const walk: Walk = { report, wantData, cursors };
    let engine = this.#engine ? await this.#engine(layout.parity) : undefined;
    if (engine && !engine.healBatch) {
      await engine.close();
      engine = undefined;
    }
    if (!engine) {
      yield* this.#walkHere(walk);
      report.resynchronised = cursors[0].resynchronised + cursors[1].resynchronised;
      this.report = report;
      return;
    }
    const bodySize = layout.blockSize + parityLength(layout.blockSize, layout.parity);
    const perBatch = Math.max(1, Math.floor((1 << 20) / layout.blockSize));
    type Healed = { buffer?: Uint8Array; results: HealedEntry[]; data?: (Uint8Array | undefined)[] };
    type Saved = [CursorState, CursorState];
    type Batch =
      | { kind: 'heal'; promise: Promise<Healed>; blocks: { i: number; heads: [boolean, boolean] }[] }
      | { kind: 'scan'; promise: Promise<ScannedRun>; first: number; count: number; saved: Saved };
    const inFlight: Batch[] = [];
    let batchNo = 0;
    let here: Healed | undefined; // a batch this thread heals itself (one in `hereEvery`)
    let buffer: Uint8Array = new Uint8Array(0);
    const spare: Uint8Array[] = [];
    let entries: HealEntry[] = [];
    let blocks: { i: number; heads: [boolean, boolean] }[] = [];
    let used = 0;
    // Runs of whole frames go to the workers as read (scanBatch) while the frames sit at their
    // expected places; a run whose heads are not all there comes back unused (`rewind`), and its
    // blocks, and everything sent after it, are walked again frame by frame from the cursors' state
    // saved when the run was sent (so the outcome is the same as the frame-by-frame walk's).
    let rewind: { first: number; count: number; saved: Saved } | undefined;
    const balance = new Balance(engine?.workers);
    let slowUntil = 0;
    let rewinds = 0;

    const settle = (i: number, result: Settled, heads: [boolean, boolean], data?: Uint8Array) => this.#settle(walk, i, result, heads, data);
    const drain = async function* () {
      const batch = inFlight.shift()!;
      if (batch.kind === 'scan') {
        const scanned = await batch.promise;
        if (!scanned.placed) {
          rewind = batch;
          freeRun(scanned.windows);
          return;
        }
        for (const [n, r] of scanned.results.entries()) {
          const i = batch.first + n;
          const data = r.dataAt >= 0 ? scanned.windows[r.dataIn].subarray(r.dataAt, r.dataAt + blockLength(layout, i)) : undefined;
          const out = settle(i, r, r.heads, data);
          if (out) yield out;
        }
        // Handed-out data were copies (settle): the windows serve a later run.
        freeRun(scanned.windows);
        return;
      }
      const { buffer: back, results, data: own } = await batch.promise;
      for (const [n, r] of results.entries()) {
        const { i, heads } = batch.blocks[n];
        const data = own ? own[n] : r.dataAt >= 0 ? back!.subarray(r.dataAt, r.dataAt + blockLength(layout, i)) : undefined;
        const out = settle(i, r, heads, data);
        if (out) yield out;
      }
      // Handed-out data were copies: the buffer serves a later batch.
      if (back && spare.length < 4) spare.push(back);
    };
    const submit = () => {
      const promise = here ? Promise.resolve(here) : engine!.healBatch!({ buffer, parity: layout.parity, entries });
      inFlight.push({ kind: 'heal', promise, blocks });
      entries = [];
      blocks = [];
      used = 0;
      here = undefined;
    };
    // Drops everything sent from the refused run on and returns the block to walk next.
    const undo = () => {
      const r = rewind!;
      rewind = undefined;
      for (const b of inFlight) (b.promise as Promise<unknown>).catch(() => {});
      inFlight.length = 0;
      entries = [];
      blocks = [];
      used = 0;
      here = undefined;
      cursors[0].restore(r.saved[0]);
      cursors[1].restore(r.saved[1]);
      // Damage that moves heads tends to continue: back off from runs for a while.
      slowUntil = r.first + r.count * (1 << Math.min(++rewinds, 4));
      return r.first;
    };
    const manifestCovers = (first: number, count: number) => {
      if (!hashes) return false;
      for (let c = Math.floor(first / MANIFEST_CHUNK_BLOCKS); c <= Math.floor((first + count - 1) / MANIFEST_CHUNK_BLOCKS); c++) if (!haveChunk[c]) return false;
      return true;
    };
    // Reads a run of frames into a buffer of its own (it is transferred to a worker). With
    // `readInto`, the run buffers that come back from the workers are reused (`freeRuns`) instead
    // of a fresh buffer per read; the bytes read are the same either way.
    const source = this.source;
    const freeRuns: ArrayBuffer[] = [];
    const readOwn = async (pos: number, length: number) => {
      if (source.readInto) {
        const n = freeRuns.findIndex((b) => b.byteLength >= length);
        const target = new Uint8Array(n === -1 ? new ArrayBuffer(length) : freeRuns.splice(n, 1)[0], 0, length);
        const got = await source.readInto(pos, target);
        return got === length ? target : target.subarray(0, got);
      }
      const bytes = await source.read(pos, length);
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBufferCtor) ? bytes : bytes.slice();
    };
    // A run's windows, back from a worker (or from this thread) and done with: kept for later runs.
    const freeRun = (windows: Uint8Array[]) => {
      if (!source.readInto) return;
      for (const w of windows) if (w.buffer instanceof ArrayBuffer && freeRuns.length < 8) freeRuns.push(w.buffer);
    };
    const tools = this.tools;

    // One block's frames, found by the cursors (without waiting when both sit in their read
    // windows at their places, the common case), and what verifies it.
    const frameAt = async (i: number) => {
      const f0 = cursors[0].placedFrame(i) ?? (await cursors[0].frame(i));
      const f1 = cursors[1].placedFrame(i) ?? (await cursors[1].frame(i));
      return verification(i, f0, f1);
    };
    const verification = (i: number, f0: Framed, f1: Framed) => this.#verification(walk, i, f0, f1);
    // With workers: one block, batched (or healed here in one batch of `hereEvery`).
    const frameByFrame = async function* (i: number, engine: BlockEngine): AsyncGenerator<Uint8Array> {
      const { f0, f1, length, accepted, quick, heads } = await frameAt(i);
      const every = engine.hereEvery ?? 0;
      if (blocks.length === 0 && every > 0 && batchNo++ % every === every - 1) here = { results: [], data: [] };
      if (here) {
        const r = healBlock(codec, tools.hashers, accepted, [f0.body, f1.body], { quick });
        here.results.push({ outcome: r.outcome, copies: r.copies, reason: r.reason, dataAt: -1 });
        // r.data may be a view into a read window, which the next frames' reads overwrite: kept
        // as a copy (and only when handed out) until the batch drains.
        here.data!.push(wantData && r.data ? r.data.slice() : undefined);
        blocks.push({ i, heads });
        if (blocks.length === perBatch) {
          submit();
          while (inFlight.length >= engine.parallelism && !rewind) yield* drain();
        }
        return;
      }
      // Workers: copy both bodies into the batch buffer (it is transferred to a worker and back).
      if (entries.length === 0) buffer = spare.pop() ?? new Uint8Array(perBatch * 2 * bodySize);
      const at: [number, number] = [-1, -1];
      // Identical copies (the common case) travel once: memcmp here is far cheaper than a copy.
      const same = !!f0.body && !!f1.body && equalBytes(f0.body.data, f1.body.data) && equalBytes(f0.body.parity, f1.body.parity);
      for (const c of [0, 1] as const) {
        const body = (c === 0 ? f0 : f1).body;
        if (!body) continue;
        if (c === 1 && same) {
          at[1] = at[0];
          continue;
        }
        at[c] = used;
        buffer.set(body.data, used);
        buffer.set(body.parity, used + body.data.length);
        used += body.data.length + body.parity.length;
      }
      const digests = new Uint8Array(accepted.length * HASH_LENGTH);
      accepted.forEach((h, n) => digests.set(h, n * HASH_LENGTH));
      entries.push({ length, at, hashes: digests, quick });
      blocks.push({ i, heads });
      if (entries.length === perBatch) {
        submit();
        while (inFlight.length >= engine.parallelism && !rewind) yield* drain();
      }
    };

    let i = 0;
    for (;;) {
      while (i < layout.blockCount) {
        const count = Math.min(perBatch, layout.blockCount - i);
        const runs = engine?.scanBatch && i >= slowUntil && manifestCovers(i, count);
        const r0 = runs ? cursors[0].placedRun(i, count) : undefined;
        const r1 = r0 ? cursors[1].placedRun(i, count) : undefined;
        if (engine && r0 && r1) {
          if (blocks.length) submit();
          const saved: Saved = [cursors[0].save(), cursors[1].save()];
          const lengths = Array.from({ length: count }, (_, k) => blockLength(layout, i + k));
          const job: ScanJob = {
            windows: [await readOwn(r0.pos, r0.length), await readOwn(r1.pos, r1.length)],
            parity: layout.parity, fullFrame: layout.fullFrame, firstIndex: i, lengths, id,
            hashes: hashes!.slice(i * HASH_LENGTH, (i + count) * HASH_LENGTH),
            quick: report.failed.length >= THOROUGH_FAILURES,
          };
          // After a turn of the event loop, as the writer: a source read from memory never leaves the
          // microtask queue, and the workers' replies would look late (see Balance.hereAfterTurn).
          const here = await balance.hereAfterTurn();
          const promise = here ? Promise.resolve(scanBatch(tools, job, healBlock)) : balance.sent(engine.scanBatch!(job));
          cursors[0].passed(i + count - 1);
          cursors[1].passed(i + count - 1);
          inFlight.push({ kind: 'scan', promise, first: i, count, saved });
          i += count;
          while (inFlight.length >= engine.parallelism && !rewind) yield* drain();
        } else {
          yield* frameByFrame(i, engine);
          i++;
        }
        if (rewind) i = undo();
      }
      if (blocks.length) submit();
      while (inFlight.length && !rewind) yield* drain();
      if (rewind) {
        i = undo();
        continue;
      }
      break;
    }
    report.resynchronised = cursors[0].resynchronised + cursors[1].resynchronised;
    await engine?.close();
    this.report = report;
  }

  async validate(): Promise<IntegrityReport> {
    const report = this.#newReport();
    for await (const _ of this.#walk(report, false));
    return report;
  }

  payload(): ByteStream {
    return this.#payload();
  }

  async *#payload(): ByteStream {
    const report = this.#newReport();
    for await (const data of this.#walk(report, true)) if (data && data.length) yield data;
    if (!report.ok) throw new UnrecoverableBlocksError(report.failed.map((f) => f.index), report, report.summary().split('\n')[0]);
  }
}
