// dbs heal <file> -o <clean>: write a fresh, clean container from a damaged one (no passphrase).
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { cli, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit.js';

interface Args extends GlobalArgs {
  file: string;
  output: string;
  force?: boolean;
}

export const healCommand: CommandModule<GlobalArgs, Args> = {
  command: 'heal <file>',
  describe: 'write a clean copy of a damaged backup (no passphrase needed)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', describe: 'the damaged backup', demandOption: true })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'where to write the clean backup' })
      .option('force', { type: 'boolean', describe: 'replace an existing output file (atomically)' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const { healBackup } = await import('../../pipeline/api.js');
    const ctx = cli();
    const result = await healBackup(args.file, args.output, {
      overwrite: args.force, logger: ctx.logger(args), onProgress: ctx.progress(args), threads: args.threads,
    });
    ctx.exitCode = result.healed ? EXIT.HEALED : EXIT.OK;
    ctx.print(args, result.summary(), { command: 'heal', path: result.path, healed: result.healed, threads: result.threads, before: result.before, after: result.after });
  },
};
