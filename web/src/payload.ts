// Reads the payload's Header record (the data manifest: database, models, application) from the
// start of the decrypted payload, in the page: compressed frames (docs/FORMAT.md, "Compression")
// are inflated with the browser's own DecompressionStream, only as far as the Header record
// reaches; then the record (section "Payload") is parsed. Nothing else is decompressed.

import { concatBytes } from './dbs.js';

const COMPRESSION_MAGIC = [0x44, 0x42, 0x53, 0x5a]; // "DBSZ"
const STREAM_HEADER_LENGTH = 12;
const FRAME_HEADER_LENGTH = 12;
const FRAME_STORED = 0;
const FRAME_DEFLATE = 1;
const MAX_FRAME = 16 << 20;
const PAYLOAD_MAGIC = 'DBSPAYLD';
const PREAMBLE_LENGTH = 10; // magic + u16 version
const RECORD_HEAD = 5; // type u8 + length u32
const RECORD_HEADER = 0x01;
/** The Header record is read up to this size; a bigger one is not summarised. */
export const MAX_HEADER_RECORD = 8 << 20;

export interface ContentsSummary {
  app?: string;
  dialect?: string;
  databaseVersion?: string;
  sequelizeVersion?: string;
  models: string[];
  createdAt?: string;
}

async function inflateRaw(body: Uint8Array, rawLength: number): Promise<Uint8Array> {
  const stream = new Blob([body as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  const parts: Uint8Array[] = [];
  let got = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    if (got > rawLength) throw new Error('a compressed frame inflates past its stated length');
  }
  return concatBytes(...parts);
}

/**
 * Inflates frames from the start of the compressed stream `compressed` until `want` plaintext
 * bytes are there (or the available frames run out). Returns the plaintext so far.
 */
export async function inflatePrefix(compressed: Uint8Array, want: number): Promise<Uint8Array | undefined> {
  if (compressed.length < STREAM_HEADER_LENGTH || COMPRESSION_MAGIC.some((b, i) => compressed[i] !== b)) return undefined;
  const view = new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength);
  const out: Uint8Array[] = [];
  let have = 0;
  let at = STREAM_HEADER_LENGTH;
  while (have < want && at + FRAME_HEADER_LENGTH <= compressed.length) {
    const kind = compressed[at];
    const rawLength = view.getUint32(at + 4, true);
    const bodyLength = view.getUint32(at + 8, true);
    if (rawLength > MAX_FRAME || bodyLength > MAX_FRAME) break;
    const body = compressed.subarray(at + FRAME_HEADER_LENGTH, at + FRAME_HEADER_LENGTH + bodyLength);
    if (body.length < bodyLength) break;
    if (kind === FRAME_STORED) out.push(body.subarray(0, rawLength));
    else if (kind === FRAME_DEFLATE) out.push(await inflateRaw(body, rawLength));
    else break;
    have += out[out.length - 1].length;
    at += FRAME_HEADER_LENGTH + bodyLength;
  }
  return concatBytes(...out);
}

/** The Header record's JSON, when `plain` (the payload's first bytes) holds all of it. */
export function headerRecord(plain: Uint8Array): unknown {
  if (plain.length < PREAMBLE_LENGTH + RECORD_HEAD) return undefined;
  if (new TextDecoder().decode(plain.subarray(0, 8)) !== PAYLOAD_MAGIC) return undefined;
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  if (plain[PREAMBLE_LENGTH] !== RECORD_HEADER) return undefined;
  const length = view.getUint32(PREAMBLE_LENGTH + 1, true);
  const start = PREAMBLE_LENGTH + RECORD_HEAD;
  if (length > MAX_HEADER_RECORD || plain.length < start + length) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain.subarray(start, start + length)));
  } catch {
    return undefined;
  }
}

/** What the page shows once the payload decrypts: the application, the database, the models. */
export function summarizeHeader(header: unknown): ContentsSummary | undefined {
  if (!header || typeof header !== 'object') return undefined;
  const h = header as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : undefined);
  // The manifest records `app: { name, version? }` (docs/FORMAT.md, Header); shown as "name version".
  const app = h.app as { name?: unknown; version?: unknown } | string | undefined;
  let appText: unknown = app;
  if (typeof app === 'object' && app !== null) {
    const name = str(app.name);
    const version = str(app.version);
    appText = name && (version ? `${name} ${version}` : name);
  }
  const models = Array.isArray(h.models) ? h.models.map((m) => str((m as { name?: unknown })?.name)).filter((m): m is string => !!m) : [];
  return {
    app: str(appText) ?? str(h.application) ?? str(h.appName),
    dialect: str(h.dialect),
    databaseVersion: str(h.databaseVersion),
    sequelizeVersion: str(h.sequelizeVersion),
    models,
    createdAt: str(h.createdAt),
  };
}

/** Reads the contents summary from the first decrypted bytes (`head`: the compressed stream's start). */
export async function contentsFromPlaintext(head: Uint8Array[]): Promise<ContentsSummary | undefined> {
  const compressed = concatBytes(...head);
  let plain = await inflatePrefix(compressed, PREAMBLE_LENGTH + RECORD_HEAD);
  if (!plain || plain.length < PREAMBLE_LENGTH + RECORD_HEAD) return undefined;
  const length = new DataView(plain.buffer, plain.byteOffset).getUint32(PREAMBLE_LENGTH + 1, true);
  const want = PREAMBLE_LENGTH + RECORD_HEAD + Math.min(length, MAX_HEADER_RECORD);
  if (plain.length < want) plain = await inflatePrefix(compressed, want);
  return summarizeHeader(plain && headerRecord(plain));
}
