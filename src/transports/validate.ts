// How a pulled file is judged before it is reported good: open it with the container reader and
// validate every block (hashes, both copies, parity). No passphrase is needed for that.
import { fileSource } from '../io/file.node.js';

export interface BackupValidation {
  /** True when every block is readable (possibly after healing). */
  ok: boolean;
  /** True when some damage was found and is repairable (`dbs heal` makes a clean copy). */
  healed: boolean;
  /** One line for people. */
  summary: string;
  /** The container's integrity report. */
  report?: unknown;
}

export type BackupValidator = (path: string) => Promise<BackupValidation>;

// The container reader is loaded lazily so listing or deleting remote backups does not load the
// integrity layer.
/** Validates a local file with the container reader (openContainer(fileSource(path)).validate()). */
export async function validateBackupFile(path: string): Promise<BackupValidation> {
  const { openContainer } = await import('../container/index.js');
  const source = await fileSource(path);
  try {
    const reader = await openContainer(source);
    const report = await reader.validate();
    return { ok: report.ok, healed: report.healed, summary: report.summary(), report };
  } finally {
    await source.close?.();
  }
}
