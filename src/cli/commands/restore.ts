// dbs restore <file>: load rows (one transaction) and files back into the app found by the config.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { cli, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit.js';

interface Args extends GlobalArgs {
  file: string;
  flush?: boolean;
  dryRun?: boolean;
}

export const restoreCommand: CommandModule<GlobalArgs, Args> = {
  command: 'restore <file>',
  describe: 'restore rows and files from a backup (healing damage on the way)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', describe: 'the backup file', demandOption: true })
      .option('flush', { type: 'boolean', describe: "delete the backed-up tables' rows first (same transaction)" })
      .option('dry-run', { type: 'boolean', describe: 'load everything in a transaction, then roll back; write no files' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const { restoreBackup } = await import('../../pipeline/api.js');
    const ctx = cli();
    const logger = ctx.logger(args);
    const config = await ctx.config(args);
    const passphrase = await ctx.secret(args);
    const result = await restoreBackup(args.file, passphrase, {
      sequelize: config.sequelize,
      flush: args.flush,
      dryRun: args.dryRun,
      restoreRoots: config.restoreRoots,
      storageRoot: config.storageRoot,
      registry: config.registry,
      logger,
      onProgress: ctx.progress(args),
      threads: args.threads,
      // One command per process: nothing else waits on the Argon2id thread; its memory is freed at once.
      endKdfThread: true,
    });
    ctx.exitCode = result.healed ? EXIT.HEALED : EXIT.OK;
    const parts = [
      `${args.dryRun ? 'dry run (rolled back, nothing written): would restore' : 'restored'} ${result.rows.toLocaleString('en-US')} rows into ${result.models.length} models, ` +
        `${result.files.restored} files (${result.files.bytes.toLocaleString('en-US')} bytes)${result.flushed ? ', after deleting the existing rows (--flush)' : ''}`,
    ];
    if (result.nonEmptyModels.length) parts.push(`merged into models that already held rows: ${result.nonEmptyModels.join(', ')}`);
    if (result.skippedModels.length) parts.push(`not restored (the app does not define them): ${result.skippedModels.join(', ')}`);
    if (result.discardedColumns.length) parts.push(`columns the target does not have (values not restored): ${result.discardedColumns.map((c) => `${c.model}.${c.column}`).join(', ')}`);
    if (result.files.skipped.length) parts.push(`files not restored: ${result.files.skipped.map((f) => `${f.path} (${f.reason})`).join('; ')}`);
    if (result.healed) parts.push(`the backup was damaged and has been healed on the fly: ${result.integrity.summary()}`);
    const text = parts.join('\n');
    const { integrity, ...rest } = result as unknown as Record<string, unknown>;
    ctx.print(args, text, { command: 'restore', ...rest, integrity, dryRun: Boolean(args.dryRun) });
  },
};
