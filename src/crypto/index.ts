// The security layer (isomorphic). See docs/ARCHITECTURE.md "Security" and docs/FORMAT.md.
export { sealEnvelope, openEnvelope, rekeyEnvelope, describeEnvelope } from './envelope.js';
export type { Recipient, Identity, Sealed, Opened, SealOptions, OpenOptions } from './envelope.js';
export { encryptStream, decryptStream, type StreamOptions } from './stream.js';
export { generateIdentity, publicKeyOf } from './keys.js';
export { DEFAULT_KDF, DEFAULT_KDF_LIMITS, setKdfRunner, type KdfParams, type KdfLimits, type KdfRunner } from './kdf.js';
export { DEFAULT_SEGMENT_SIZE, type EnvelopeInfo, type SlotInfo } from './header.js';
export { webCryptoAesGcm, nobleAesGcm, defaultAesGcm, setDefaultAesGcm, registerAesGcm, type AesGcmBackend, type AesGcmKey } from './aes.js';
export { workerAesGcm, AES_WORKER_SOURCE, type WorkerAesGcmOptions, type WorkerAesGcmBackend } from './aes-workers.js';
