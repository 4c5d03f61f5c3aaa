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

interface ContainerModule {
  openContainer(source: unknown): Promise<{ validate(): Promise<{ ok: boolean; healed?: boolean | number; summary(): string }> }>;
}

// The container reader is loaded lazily so the transport does not pull the integrity layer (and
// its WASM codec) into processes that only list or delete remote backups.
const CONTAINER_MODULE = '../container/index.js';

/** Validates a local file with the container reader (openContainer(fileSource(path)).validate()). */
export async function validateBackupFile(path: string): Promise<BackupValidation> {
  const container = (await import(CONTAINER_MODULE)) as ContainerModule;
  const source = await fileSource(path);
  try {
    const reader = await container.openContainer(source);
    const report = await reader.validate();
    return { ok: report.ok, healed: Boolean(report.healed), summary: report.summary(), report };
  } finally {
    await source.close?.();
  }
}
