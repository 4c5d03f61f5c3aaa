// Operations built on the reader and the writer: heal, replace meta (rekey), whole-buffer helpers.
import { UnrecoverableBlocksError } from '../errors.js';
import { chunked, collect, memorySource, memorySpool } from '../io/memory.js';
import type { ByteSource, ByteStream, SpoolFactory } from '../io/types.js';
import { openContainer } from './reader.js';
import type { IntegrityReport } from './report.js';
import { writeContainer, type WriteOptions } from './writer.js';

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A fresh, clean container with the same payload and meta (and parameters) as a damaged one.
 * Throws UnrecoverableBlocksError (after writing what it could) when blocks cannot be healed:
 * write it to a temporary file and keep it only if the stream ends without error.
 */
export function healContainer(source: ByteSource, options: RewriteOptions = {}): ByteStream {
  return rewrite(source, options);
}

export interface RewriteOptions {
  spool?: SpoolFactory;
  /** Block work on worker threads for both reading and writing (see writeContainer). */
  engine?: WriteOptions['engine'];
}

/** The same payload and container id with a new meta (e.g. a rekeyed security header). Heals on the way. */
export function replaceMeta(source: ByteSource, meta: Uint8Array, options: RewriteOptions = {}): ByteStream {
  return rewrite(source, { ...options, meta, keepId: true });
}

async function* rewrite(source: ByteSource, options: RewriteOptions & { meta?: Uint8Array; keepId?: boolean }): ByteStream {
  const reader = await openContainer(source, { engine: options.engine });
  const { info } = reader;
  yield* writeContainer(reader.payload(), {
    meta: options.meta ?? reader.meta,
    blockSize: info.blockSize,
    parity: info.parity,
    createdAt: info.createdAt ?? new Date(),
    spool: options.spool,
    engine: options.engine,
    id: options.keepId ? hexBytes(info.id) : undefined,
  });
}

export type ProtectOptions = Omit<WriteOptions, 'meta' | 'spool'> & { meta?: Uint8Array };

/** Whole-buffer helper: payload bytes in, container bytes out. */
export async function protect(payload: Uint8Array, options: ProtectOptions = {}): Promise<Uint8Array> {
  return collect(writeContainer(chunked(payload), { ...options, meta: options.meta ?? new Uint8Array(0), spool: memorySpool }));
}

export interface Recovered {
  payload: Uint8Array;
  meta: Uint8Array;
  report: IntegrityReport;
}

/** Whole-buffer helper: container bytes in, healed payload out. Throws UnrecoverableBlocksError carrying the report. */
export async function recover(container: Uint8Array): Promise<Recovered> {
  const reader = await openContainer(memorySource(container));
  const payload = await collect(reader.payload());
  if (!reader.report) throw new UnrecoverableBlocksError([], undefined, 'internal: no report after reading');
  return { payload, meta: reader.meta, report: reader.report };
}
