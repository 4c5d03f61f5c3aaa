// The pipeline (Node only): the public API that joins data, compression, security and container.
export {
  createBackup,
  backupStream,
  validateBackup,
  restoreBackup,
  healBackup,
  rekeyBackup,
  inspectBackup,
  startSealing,
  type EarlySeal,
  type BackupInput,
  type BackupOptions,
  type BackupResult,
  type CaptureSettings,
  type HealResult,
  type Inspection,
  type ReadOptions,
  type RestoreOptions as RestoreBackupOptions,
  type RestoreReport,
  type Secret,
  type ValidateOptions,
  type ValidationReport,
} from './api.js';
export { compressStream, decompressStream, type CompressOptions, type CompressionStats } from './compress.js';
export { writeFileAtomic, removeTemporaryFiles, type AtomicWriteOptions } from './atomic.js';
export { consoleLogger, silentLogger, type Logger as DbsLogger, type LoggerLike, type ProgressEvent, type ProgressListener } from './logger.js';
