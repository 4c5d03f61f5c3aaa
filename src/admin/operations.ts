// The two things the admin pages do, on top of the pipeline: write a verified backup to a file
// (then streamed to the browser), and restore an uploaded file. The pipeline's restoreBackup
// validates the container and opens the key slots before the database is touched, so a damaged
// upload or a wrong passphrase changes nothing.
import type { Sequelize } from 'sequelize';
import { createBackup, restoreBackup, type RestoreReport } from '../pipeline/api.js';
import type { LoggerLike } from '../pipeline/logger.js';

export interface RestoreSummary {
  healed: boolean;
  healedDetail?: string;
  models: number;
  rows: number;
  files: number;
  tables: { name: string; rows: number }[];
  warnings: string[];
}

type Log = ((line: string) => void) | undefined;

/** The pipeline's logger, sent to the router's `log` when the app gave one (else the pipeline's default). */
function pipelineLogger(log: Log, extra?: Record<string, unknown>): LoggerLike | undefined {
  if (extra?.logger) return extra.logger as LoggerLike;
  if (!log) return undefined;
  return { info: (m) => log(`dbs: ${m}`), warn: (m) => log(`dbs: warning: ${m}`), error: (m) => log(`dbs: error: ${m}`) };
}

export async function runBackup(options: { sequelize: unknown; passphrase: string; path: string; createdAt: Date; extra?: Record<string, unknown>; log?: Log }): Promise<void> {
  await createBackup(options.passphrase, {
    ...(options.extra ?? {}),
    logger: pipelineLogger(options.log, options.extra),
    sequelize: options.sequelize as Sequelize,
    output: options.path,
    verify: true,
  });
}

export async function runRestore(options: {
  sequelize: unknown;
  passphrase: string;
  path: string;
  flush: boolean;
  dryRun: boolean;
  extra?: Record<string, unknown>;
  log?: Log;
}): Promise<RestoreSummary> {
  const report = await restoreBackup(options.path, options.passphrase, {
    ...(options.extra ?? {}),
    logger: pipelineLogger(options.log, options.extra),
    sequelize: options.sequelize as Sequelize,
    flush: options.flush,
    dryRun: options.dryRun,
  });
  return summarize(report);
}

/** The restore report, reduced to what the result page shows. */
export function summarize(report: RestoreReport): RestoreSummary {
  const warnings = [...report.warnings];
  if (report.skippedModels.length) warnings.push(`Models in the backup that this application does not define were not restored: ${report.skippedModels.join(', ')}`);
  if (report.discardedColumns.length) {
    warnings.push(`Columns this application does not have were not restored: ${report.discardedColumns.map((c) => `${c.model}.${c.column}`).join(', ')}`);
  }
  for (const f of report.files.skipped) warnings.push(`File not restored: ${f.path} (${f.reason})`);
  if (!report.flushed && report.nonEmptyModels.length) warnings.push(`These tables already held rows (merged, not flushed): ${report.nonEmptyModels.join(', ')}`);
  return {
    healed: report.healed,
    healedDetail: report.healed ? report.integrity.summary().split('\n')[0] : undefined,
    models: report.models.length,
    rows: report.rows,
    files: report.files.restored,
    tables: report.models.map((m) => ({ name: m.model, rows: m.rows })),
    warnings,
  };
}
