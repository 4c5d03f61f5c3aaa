// The one place where the pipeline imports the layers it joins (container, security, data), so a
// change in where a layer lives touches only this file.
export { writeContainer, openContainer, healContainer, replaceMeta } from '../container/index.js';
export type { ContainerReader, IntegrityReport } from '../container/index.js';
// node:crypto AES-GCM (about 2 GB/s) as the default backend: importing it installs it.
import '../crypto/aes.node.js';
export { sealEnvelope, openEnvelope, encryptStream, decryptStream, rekeyEnvelope, describeEnvelope } from '../crypto/index.js';
export type { Recipient, Identity, KdfParams, EnvelopeInfo, Sealed, Opened } from '../crypto/index.js';
export { capture, restore, readRecords } from '../data/index.js';
export type { RestoreResult, CaptureOptions, CaptureSummary, RestoreOptions as DataRestoreOptions } from '../data/index.js';
