// Shared pieces of the data-layer tests: an app on a fresh database, capture to bytes, restore.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Options } from 'sequelize';
import { createTestDatabase, probe, type TestDatabase, type TestDialect } from '../apps/databases.js';
import { defineTestApp, seedTestApp, syncTestApp, testAppRegistry, type TestApp } from '../apps/app.js';
import { capture, type CaptureSummary } from '../../src/data/capture.js';
import { restore, type RestoreOptions, type RestoreResult } from '../../src/data/restore.js';
import { BackupRegistry } from '../../src/data/registry.js';
import { setMariaBinaryReads, setMariaRawReads, setMariaServerEncoding } from '../../src/data/dialect-mariadb.js';
import { collect, chunked } from '../../src/io/memory.js';
import { readRecords, RecordType } from '../../src/data/format.js';
import { requireService } from '../helpers/env.js';

export interface AppHandle {
  db: TestDatabase;
  app: TestApp;
  filesDir: string;
  registry: BackupRegistry;
  close(): Promise<void>;
}

/** A fresh database with the test app's schema; seeded unless `seed: false`. */
export async function openApp(dialect: TestDialect, options: { seed?: boolean; rows?: number; filesDir?: string; sequelize?: Options } = {}): Promise<AppHandle> {
  const db = await createTestDatabase(dialect, options.sequelize);
  const ownDir = !options.filesDir;
  const filesDir = options.filesDir ?? (await mkdtemp(join(tmpdir(), 'dbs-files-')));
  try {
    const app = defineTestApp(db.sequelize);
    await syncTestApp(app);
    if (options.seed !== false) await seedTestApp(app, { rows: options.rows ?? 30, filesDir });
    return {
      db,
      app,
      filesDir,
      registry: testAppRegistry(filesDir),
      async close() {
        await db.drop();
        if (ownDir) await rm(filesDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

export async function captureBytes(h: AppHandle, summary?: CaptureSummary): Promise<Uint8Array> {
  return collect(capture({ sequelize: h.db.sequelize, registry: h.registry }, summary));
}

/** Restores `payload` into `h`, fed in odd-sized chunks (as the pipeline would). */
export async function restoreBytes(payload: Uint8Array, h: AppHandle, options: Partial<RestoreOptions> = {}): Promise<RestoreResult> {
  return restore(chunked(payload, 65_521), { sequelize: h.db.sequelize, registry: h.registry, restoreRoots: [h.filesDir], ...options });
}

export async function serviceAvailable(dialect: TestDialect): Promise<boolean> {
  return requireService(dialect === 'postgres' ? 'PostgreSQL 127.0.0.1:5432' : dialect === 'mariadb' ? 'MariaDB 127.0.0.1:3306' : 'SQLite', () => probe(dialect));
}

/** Every RowsCells body (after its row count) of the payload, concatenated, and the row total. */
export async function cellsOf(payload: Uint8Array): Promise<{ cells: Buffer; rows: number }> {
  const parts: Buffer[] = [];
  let rows = 0;
  for await (const r of readRecords(chunked(payload))) {
    if (r.type !== RecordType.RowsCells) continue;
    rows += Buffer.from(r.body.subarray(0, 4)).readUInt32LE(0);
    parts.push(Buffer.from(r.body.subarray(4)));
  }
  return { cells: Buffer.concat(parts), rows };
}

/**
 * cellsOf a capture of `sequelize` with MariaDB's read paths switched as given: the socket reader
 * (`raw`), server-packed columns (`packed`), binary-protocol rows (`binary`). Each is on unless
 * set false, as in production, and all are back on afterwards.
 */
export async function mariaCellsWith(
  sequelize: Parameters<typeof capture>[0]['sequelize'],
  reads: { raw?: boolean; packed?: boolean; binary?: boolean } = {},
): Promise<{ cells: Buffer; rows: number }> {
  setMariaRawReads(reads.raw ?? true);
  setMariaServerEncoding(reads.packed ?? true);
  setMariaBinaryReads(reads.binary ?? true);
  try {
    return await cellsOf(await collect(capture({ sequelize, registry: new BackupRegistry() })));
  } finally {
    setMariaRawReads(true);
    setMariaServerEncoding(true);
    setMariaBinaryReads(true);
  }
}
