// What each dialect adapter provides to capture and restore.
import type { Sequelize } from 'sequelize';
import type { Cell } from './format.js';
import type { ModelInfo } from './manifest.js';

/** Record header (5 bytes) + row count (u32) in front of a rows record's data. */
export const FRAME_HEAD = 9;

/**
 * A batch of rows: decoded cells, or PostgreSQL COPY text lines kept as the server wrote them.
 * `frame`, when given, is `bytes` with FRAME_HEAD free bytes in front (saves a copy).
 */
export type RowBatch =
  | { kind: 'cells'; rows: Cell[][] }
  | { kind: 'pgcopy'; bytes: Uint8Array; rows: number; frame?: Uint8Array }
  /** Cells already encoded (RowsCells body after the row count), FRAME_HEAD free bytes in front. */
  | { kind: 'framed'; frame: Uint8Array; rows: number }
  /** Encoded cells (a RowsCells body after its row count) handed to a writer that reads them itself. */
  | { kind: 'encoded'; cells: Uint8Array; rows: number; columns: number };

/** Reads one consistent snapshot of the source database. */
export interface SourceReader {
  serverVersion(): Promise<string>;
  /** Names in SequelizeMeta (null when there is no such table). */
  migrations(): Promise<string[] | null>;
  /** Every row of the model's table (all captured columns, in manifest order), streamed. */
  rows(model: ModelInfo): AsyncIterable<RowBatch>;
  close(): Promise<void>;
}

/** A table being restored: the target's names and types for the columns present in the backup. */
export interface TargetTable {
  model: string;
  table: string;
  schema?: string;
  /** Target column names, in the order cells arrive. */
  columns: string[];
  /** Target logical types, same order. */
  types: string[];
  primaryKey: string[];
}

/** Loads rows into the target inside one transaction. */
export interface TargetWriter {
  /** Starts the restore transaction and the session settings it needs. */
  begin(): Promise<void>;
  serverVersion(): Promise<string>;
  migrations(): Promise<string[] | null>;
  hasRows(t: { table: string; schema?: string }): Promise<boolean>;
  /**
   * Called once before any delete or insert: relax foreign-key checks for these tables. `empty`
   * are the tables that start empty (or are flushed): a writer may drop their indexes and build
   * them after the load (faster than maintaining them row by row).
   */
  relaxConstraints(tables: TargetTable[], empty: TargetTable[]): Promise<void>;
  /** Deletes every row of the tables, in the order given (children first). */
  deleteAll(tables: TargetTable[]): Promise<void>;
  beginTable(t: TargetTable, upsert: boolean): Promise<void>;
  /** `raw` batches are COPY text in the target's own format (same dialect, same columns). */
  writeBatch(batch: RowBatch): Promise<void>;
  /** Takes 'encoded' batches (same dialect, same columns): no JS value per cell on the way. */
  readonly acceptsEncoded?: boolean;
  endTable(): Promise<void>;
  /** Restores constraint checks (validating them) and resets sequences past the restored keys. */
  finish(tables: TargetTable[], flushed: boolean): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  release(): Promise<void>;
}

/** The part of Sequelize's connection manager the dialects use to hold a private connection. */
export interface ConnectionManager {
  getConnection(options?: object): Promise<unknown>;
  releaseConnection(connection: unknown, force?: boolean): Promise<void> | void;
  destroyConnection(connection: unknown): Promise<void>;
}

/** Sequelize keeps it off its public types; every dialect reaches it the same way. */
export function connectionManager(sequelize: Sequelize): ConnectionManager {
  return (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
}
