// The data layer (Node only): capture every Sequelize model's rows and files as a plaintext
// payload, and restore it (docs/ARCHITECTURE.md "Data", docs/FORMAT.md "Payload").
export { capture, type CaptureOptions, type CaptureProgress, type CaptureSummary, type Logger } from './capture.js';
export { restore, type RestoreOptions, type RestoreProgress, type RestoreResult } from './restore.js';
export { backupRegistry, BackupRegistry, FieldType, type ModelBackupOptions, type RegistrySettings } from './registry.js';
export { type Manifest, type ModelInfo, type ColumnInfo } from './manifest.js';
export { readRecords, RecordType } from './format.js';
export { describePayload, type PayloadDescription } from './inspect.js';
