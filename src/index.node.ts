// The Node entry: everything in the isomorphic entry plus the Node-only layers.
export * from './index.js';
export { fileSource, fileSpool } from './io/file.node.js';
// container on every core (worker_threads)
export { workerEngine, type EngineFactory } from './container/pool.node.js';
export { nodeAesGcm } from './crypto/aes.node.js'; // also makes node:crypto the default AES-GCM backend
export { closeKdfWorker, deriveOnWorker } from './crypto/kdf-worker.node.js'; // also runs every Argon2id derivation on a worker thread
// data layer
export * from './data/index.js';
// pipeline (createBackup, validateBackup, restoreBackup, healBackup)
export * from './pipeline/index.js';
// admin router
export { dbsAdmin, downloadName, DEFAULT_MAX_UPLOAD, type DbsAdminOptions, type DbsAdminHandler } from './admin/router.js';
// transports (SFTP)
export { pushBackup, pullBackup, listBackups, deleteBackup } from './transports/sftp.js';
export type { BackupSource, PushOptions, PushResult, PullOptions, PullResult, RemoteBackup } from './transports/sftp.js';
export { SSHTarget, type SSHProfile, type SSHTargetOptions } from './transports/target.js';
export * from './transports/errors.js';
