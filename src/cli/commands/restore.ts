// dbs restore <file>: load rows (one transaction) and files back into the app found by the config.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { restoreBackup } from '../../pipeline/api.js';
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
    });
    ctx.exitCode = result.healed ? EXIT.HEALED : EXIT.OK;
    const r = result as unknown as { summary?: () => string };
    const text = (typeof r.summary === 'function' ? r.summary() : 'restored') + (args.dryRun ? ' (dry run: rolled back, nothing written)' : '');
    const healedText = result.healed ? `\nthe backup was damaged and has been healed on the fly: ${result.integrity.summary()}` : '';
    const { integrity, ...rest } = result as unknown as Record<string, unknown>;
    ctx.print(args, text + healedText, { command: 'restore', ...rest, integrity, dryRun: Boolean(args.dryRun) });
  },
};
