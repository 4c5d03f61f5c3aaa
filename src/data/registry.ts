// What goes into a backup, per model and per column. By default every model of the Sequelize
// instance is captured and every column is a VALUE; register a model only to override that.
import type { ModelStatic, Model } from 'sequelize';
import { ConfigError } from '../errors.js';

export enum FieldType {
  /** The column's value (default). */
  VALUE = 'VALUE',
  /** The column holds a path relative to the storage root: the file's bytes are embedded too. */
  FILE = 'FILE',
  /** The column holds an absolute path: the file's bytes are embedded too. */
  FILE_PATH = 'FILE_PATH',
  /** Leave the column out of the backup. */
  EXCLUDE = 'EXCLUDE',
}

export interface ModelBackupOptions {
  /** Attribute (or column) name -> how it is backed up. */
  overrides?: Record<string, FieldType>;
  /** Extra directory trees embedded in every backup (like the settings' fileRoots). */
  fileRoots?: string[];
}

export interface RegistrySettings {
  /** Model names never captured. */
  excludeModels?: string[];
  /** Directory trees embedded in every backup, whole. */
  fileRoots?: string[];
  /** Root that FILE columns' relative paths are resolved against (capture) and written under (restore). */
  storageRoot?: string;
}

export class BackupRegistry {
  private readonly entries = new Map<string, ModelBackupOptions>();
  settings: RegistrySettings = {};

  /** Overrides how `model` is backed up. A second call for the same model replaces the first. */
  register(model: ModelStatic<Model> | string, options: ModelBackupOptions = {}): this {
    const name = typeof model === 'string' ? model : model.name;
    for (const [column, type] of Object.entries(options.overrides ?? {})) {
      if (!Object.values(FieldType).includes(type)) {
        throw new ConfigError(`backupRegistry.register(${name}): override for "${column}" is ${String(type)}, not a FieldType`);
      }
    }
    this.entries.set(name, { overrides: { ...options.overrides }, fileRoots: [...(options.fileRoots ?? [])] });
    return this;
  }

  unregister(model: ModelStatic<Model> | string): void {
    this.entries.delete(typeof model === 'string' ? model : model.name);
  }

  configure(settings: RegistrySettings): this {
    this.settings = { ...this.settings, ...settings };
    return this;
  }

  get(modelName: string): ModelBackupOptions | undefined {
    return this.entries.get(modelName);
  }

  /** Field type of an attribute (looked up by attribute name, then column name). */
  fieldType(modelName: string, attribute: string, column: string): FieldType {
    const overrides = this.entries.get(modelName)?.overrides ?? {};
    return overrides[attribute] ?? overrides[column] ?? FieldType.VALUE;
  }

  /** Every file root: the settings' plus each registered model's. */
  allFileRoots(extra: string[] = []): string[] {
    const roots = [...(this.settings.fileRoots ?? []), ...extra];
    for (const entry of this.entries.values()) roots.push(...(entry.fileRoots ?? []));
    return [...new Set(roots)];
  }

  clear(): void {
    this.entries.clear();
    this.settings = {};
  }
}

/** The process-wide registry (an application registers its overrides once at start-up). */
export const backupRegistry = new BackupRegistry();
