// What the worker does, kept free of worker globals so Node tests can drive it directly over a
// memorySource: open the container, validate it into a FileView, check a passphrase, rebuild a
// clean file. Uses only the isomorphic entry.
import {
  AuthenticationError,
  WrongPassphraseError,
  decryptStream,
  describeEnvelope,
  healContainer,
  openContainer,
  openEnvelope,
  IntegrityReport,
  BlockOutcome,
  type ByteSource,
  type CopyCount,
  type EnvelopeInfo,
  type KdfParams,
} from './dbs.js';
import { BlockState, type BlockCounts, type FileView, type PassphraseOutcome } from './protocol.js';
import { formatBytes, formatCount, plural } from './format.js';
import { contentsFromPlaintext } from './payload.js';
import { bestSpool } from './spool.js';

/** The block map's state for each of the report's block outcome codes. */
const STATE_OF: Record<BlockOutcome, BlockState> = {
  [BlockOutcome.CLEAN]: BlockState.CLEAN,
  [BlockOutcome.REPAIRED_BY_RS]: BlockState.REPAIRED,
  [BlockOutcome.SECOND_COPY]: BlockState.SECOND_COPY,
  [BlockOutcome.COMBINED]: BlockState.COMBINED,
  [BlockOutcome.FAILED]: BlockState.FAILED,
};

type Reader = Awaited<ReturnType<typeof openContainer>>;

export interface Inspected {
  /** The file, read through a counter that reports progress to the current pass. */
  source: ByteSource;
  listen(onProgress?: Progress): void;
  reader?: Reader;
  view: FileView;
}

export type Progress = (done: number, total: number) => void;

const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());

/**
 * Counts the bytes read through `source`, so every pass over the file (validate, decrypt, heal)
 * can report progress; `listen` starts a new pass with its own listener.
 */
function counting(source: ByteSource): { source: ByteSource; listen(onProgress?: Progress): void } {
  let done = 0;
  let listener: Progress | undefined;
  return {
    source: {
      size: source.size,
      async read(offset, length) {
        const bytes = await source.read(offset, length);
        done += bytes.length;
        listener?.(Math.min(done, source.size), source.size);
        return bytes;
      },
    },
    listen(onProgress) {
      done = 0;
      listener = onProgress;
    },
  };
}

function errorFacts(error: unknown): { code: string; message: string; hint?: string } {
  const e = error as { code?: string; message?: string; hint?: string };
  return { code: e?.code ?? 'ERROR', message: e?.message ?? String(error), hint: e?.hint };
}

/** Opens and validates the file; never throws for a damaged file (the view says what is wrong). */
export async function inspect(source: ByteSource, fileName: string, onProgress?: Progress): Promise<Inspected> {
  const started = now();
  const counted = counting(source);
  counted.listen(onProgress);
  let reader: Reader;
  try {
    reader = await openContainer(counted.source);
  } catch (error) {
    return { ...counted, view: fatalView(fileName, source.size, errorFacts(error), now() - started) };
  }
  const report = await reader.validate();
  onProgress?.(source.size, source.size);
  const view = reportView(fileName, source.size, reader, report, now() - started);
  return { ...counted, reader, view };
}

function fatalView(fileName: string, fileSize: number, fatal: { code: string; message: string; hint?: string }, elapsedMs: number): FileView {
  return {
    fileName,
    fileSize,
    verdict: 'unrecoverable',
    headline: 'This file is not a readable DBS backup. Nothing in it could be checked.',
    counts: { total: 0, clean: 0, repaired: 0, secondCopy: 0, combined: 0, failed: 0 },
    blocks: new Uint8Array(0),
    notes: [],
    container: {},
    fatal,
    elapsedMs,
  };
}

/** The container's report, reduced to what the page draws. */
export function reportView(fileName: string, fileSize: number, reader: Reader, report: IntegrityReport, elapsedMs: number): FileView {
  const info = reader.info;
  const counts: BlockCounts = {
    total: report.totalBlocks,
    clean: report.clean,
    repaired: report.repairedByRS,
    secondCopy: report.fromSecondCopy,
    combined: report.combined,
    failed: report.failed.length,
  };
  // A fresh array (the report's is a view of its own record), one BlockState per block.
  const blocks = report.outcomes.map((o) => STATE_OF[o as BlockOutcome] ?? BlockState.FAILED);
  const verdict = !report.ok ? 'unrecoverable' : report.healed ? 'repaired' : 'clean';
  const notes = damageNotes(report);
  let envelope: FileView['envelope'];
  try {
    envelope = envelopeView(describeEnvelope(reader.meta));
  } catch (error) {
    notes.push(`The security header could not be read: ${errorFacts(error).message}`);
  }
  return {
    fileName,
    fileSize,
    verdict,
    headline: headline(verdict, counts),
    counts,
    blocks,
    notes,
    container: {
      version: info.version,
      createdAt: info.createdAt?.toISOString(),
      blockSize: info.blockSize,
      parity: info.parity,
      blockCount: info.blockCount,
      payloadLength: info.payloadLength,
      metaCopies: `${info.metaCopies} of 3 readable`,
    },
    envelope,
    summary: report.summary(),
    elapsedMs,
  };
}

function headline(verdict: FileView['verdict'], c: BlockCounts): string {
  const damaged = c.repaired + c.secondCopy + c.combined;
  if (verdict === 'clean') return `All ${plural(c.total, 'block')} verified against their BLAKE2b hashes. Nothing needed repair.`;
  if (verdict === 'repaired') {
    if (damaged === 0) return `All ${plural(c.total, 'block')} verified; damaged copies of the file's own structures were repaired.`;
    return `${plural(damaged, 'damaged block')} of ${formatCount(c.total)} recovered, each verified against its BLAKE2b hash. Download the healed file to replace the damaged one.`;
  }
  return `${plural(c.failed, 'block')} cannot be recovered from either copy. Restore from another backup.`;
}

/** Damage outside the block counts: copies of headers, meta and manifests, displaced frames. */
function damageNotes(report: IntegrityReport): string[] {
  const notes: string[] = [];
  const structure = (name: string, c: CopyCount) => {
    if (c.intact === c.stored) return;
    const parts = [`${c.intact} of ${c.stored} copies intact`];
    if (c.repaired) parts.push(`${c.repaired} repaired`);
    if (c.lost) parts.push(`${c.lost} lost`);
    notes.push(`${name}: ${parts.join(', ')}.`);
  };
  structure('File header', report.headers);
  structure('Security header (meta)', report.meta);
  structure('Manifest', report.manifests);
  report.blockCopies.forEach((c, i) => {
    if (c.damaged || c.missing) notes.push(`Copy ${i + 1} of the blocks: ${formatCount(c.damaged)} damaged, ${formatCount(c.missing)} missing.`);
  });
  if (report.resynchronised) notes.push(`${plural(report.resynchronised, 'frame')} found away from their place (bytes inserted or deleted).`);
  for (const f of report.failed.slice(0, 5)) notes.push(`Block ${f.index} (payload bytes ${f.start}–${f.end}): ${f.reason}`);
  notes.push(...report.notes);
  return notes;
}

function envelopeView(info: EnvelopeInfo): FileView['envelope'] {
  const passphrase = info.slots.filter((s) => s.type === 'passphrase');
  const keys = info.slots.filter((s) => s.type === 'x25519').length;
  const unknown = info.slots.length - passphrase.length - keys;
  const kdfs = [...new Set(passphrase.map((s) => (s.type === 'passphrase' ? kdfText(s.kdf) : '')))];
  const slots = [passphrase.length ? plural(passphrase.length, 'passphrase') : '', keys ? plural(keys, 'public key', 'public keys') : '', unknown ? `${unknown} unknown` : '']
    .filter(Boolean)
    .join(', ');
  return {
    cipher: `AES-256-GCM, ${formatBytes(info.segmentSize)} segments`,
    kdf: kdfs.length ? kdfs.join('; ') : 'none (public-key slots only)',
    slots: slots || 'none',
    passphraseSlots: passphrase.length,
  };
}

/** "Argon2id, 64 MiB, 3 passes, 1 lane". */
export function kdfText(kdf: KdfParams): string {
  return `Argon2id, ${formatBytes(kdf.memoryKiB * 1024)}, ${plural(kdf.passes, 'pass', 'passes')}, ${plural(kdf.parallelism, 'lane')}`;
}

/** Opens the key slots with `passphrase`, then decrypts and authenticates the whole payload. */
export async function checkPassphrase(inspected: Inspected, passphrase: string, onProgress?: Progress): Promise<PassphraseOutcome> {
  const { reader } = inspected;
  if (!reader) return { kind: 'error', code: 'FORMAT', message: 'the file could not be opened' };
  const started = now();
  let opened;
  try {
    opened = await openEnvelope(reader.meta, { passphrase });
  } catch (error) {
    if (error instanceof WrongPassphraseError) return { kind: 'wrong', message: error.message, hint: error.hint };
    return { kind: 'error', ...errorFacts(error) };
  }
  const kdfMs = now() - started;
  inspected.listen(onProgress);
  let bytes = 0;
  let head: Uint8Array[] = [];
  let headLength = 0;
  try {
    for await (const chunk of decryptStream(reader.payload(), opened)) {
      bytes += chunk.length;
      if (headLength < 4 << 20) {
        head.push(chunk);
        headLength += chunk.length;
      }
    }
  } catch (error) {
    if (error instanceof AuthenticationError) return { kind: 'tampered', message: error.message, hint: error.hint };
    // The key slot did open: say so, then why the data could not be read to the end.
    const facts = errorFacts(error);
    return { kind: 'error', ...facts, message: `the passphrase is correct, but the data cannot be read to the end: ${facts.message}` };
  }
  const contents = await contentsFromPlaintext(head).catch(() => undefined);
  head = [];
  return { kind: 'ok', bytes, contents, kdfMs, elapsedMs: now() - started };
}

/**
 * Rebuilds a clean container into a Blob. Parts are folded into a new Blob every 64 MiB, so the
 * browser can move them out of the JS heap (Chromium pages large blobs to disk).
 */
export async function healToBlob(inspected: Inspected, onProgress?: Progress): Promise<Blob> {
  inspected.listen(onProgress);
  let blob = new Blob([]);
  let parts: Uint8Array[] = [];
  let pending = 0;
  for await (const chunk of healContainer(inspected.source, { spool: bestSpool })) {
    parts.push(chunk);
    pending += chunk.length;
    if (pending >= 64 << 20) {
      blob = new Blob([blob, ...(parts as BlobPart[])]);
      parts = [];
      pending = 0;
    }
  }
  return new Blob([blob, ...(parts as BlobPart[])], { type: 'application/octet-stream' });
}

/** Where a healed file can be streamed: a FileSystemWritableFileStream (or anything like it). */
export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort?(reason?: unknown): Promise<void>;
}

const SINK_BATCH = 8 << 20;

/** Rebuilds a clean container straight into `sink` (a file the person picked); returns its size. */
export async function healToSink(inspected: Inspected, sink: Sink, onProgress?: Progress): Promise<number> {
  inspected.listen(onProgress);
  let size = 0;
  // Frames come in tens of KiB; each write to a picked file is a round trip, so they go in batches.
  const batch = new Uint8Array(SINK_BATCH);
  let filled = 0;
  const flush = async () => {
    if (filled === 0) return;
    await sink.write(batch.slice(0, filled));
    filled = 0;
  };
  try {
    for await (const chunk of healContainer(inspected.source, { spool: bestSpool })) {
      size += chunk.length;
      if (chunk.length >= SINK_BATCH) {
        await flush();
        await sink.write(chunk);
        continue;
      }
      if (filled + chunk.length > SINK_BATCH) await flush();
      batch.set(chunk, filled);
      filled += chunk.length;
    }
    await flush();
  } catch (error) {
    await sink.abort?.(error).catch(() => {});
    throw error;
  }
  await sink.close();
  return size;
}

