// The one place where the pipeline imports the layers it joins (container, security, data), so a
// change in where a layer lives touches only this file.
export { writeContainer, openContainer, healContainer, replaceMeta } from '../container/index.js';
export type { ContainerReader, IntegrityReport } from '../container/index.js';
// node:crypto AES-GCM (about 2 GB/s) as the default backend: importing it installs it.
import '../crypto/aes.node.js';
// (Not crypto/index.js: its key tools load @noble/curves, which envelope.ts loads for public-key slots only.)
export { sealEnvelope, openEnvelope, rekeyEnvelope, describeEnvelope } from '../crypto/envelope.js';
export { encryptStream, decryptStream } from '../crypto/stream.js';
export type { Recipient, Identity, Sealed, Opened } from '../crypto/envelope.js';
export type { KdfParams } from '../crypto/kdf.js';
export type { EnvelopeInfo } from '../crypto/header.js';
export { capture, restore, readRecords } from '../data/index.js';
export type { RestoreResult, CaptureOptions, CaptureSummary, RestoreOptions as DataRestoreOptions } from '../data/index.js';
