// dbs inspect <file>: the header and manifest summary; no passphrase, nothing decrypted.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { cli, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  file: string;
}

export const inspectCommand: CommandModule<GlobalArgs, Args> = {
  command: 'inspect <file>',
  describe: 'show the header and manifest summary (no passphrase needed)',
  builder: (y: Argv<GlobalArgs>) => y.positional('file', { type: 'string', describe: 'the backup file', demandOption: true }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const { inspectBackup } = await import('../../pipeline/api.js');
    const ctx = cli();
    const result = await inspectBackup(args.file);
    ctx.print(args, result.summary(), { command: 'inspect', size: result.size, info: result.info, envelope: result.envelope });
  },
};
