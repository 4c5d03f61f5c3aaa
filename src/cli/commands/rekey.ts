// dbs rekey <file>: new passphrase, same payload (the data key is rewrapped, nothing re-encrypted).
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { getPassphrase } from '../passphrase.js';
import { cli, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit.js';

interface Args extends GlobalArgs {
  file: string;
  output?: string;
  force?: boolean;
  newPassphrase?: string;
}

export const rekeyCommand: CommandModule<GlobalArgs, Args> = {
  command: 'rekey <file>',
  describe: 'change the passphrase of a backup without re-encrypting its payload',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', describe: 'the backup file (replaced atomically unless -o is given)', demandOption: true })
      .option('output', { alias: 'o', type: 'string', describe: 'write the rekeyed backup here instead of replacing the file' })
      .option('force', { type: 'boolean', describe: 'replace an existing --output file' })
      .option('new-passphrase', { type: 'string', describe: 'the new passphrase (visible to other users; prefer the prompt, line 2 of --passphrase-stdin or $DBS_NEW_PASSPHRASE)' })
      .epilog('With --passphrase-stdin, stdin holds the current passphrase on line 1 and the new one on line 2.') as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const { rekeyBackup } = await import('../../pipeline/api.js');
    const ctx = cli();
    const logger = ctx.logger(args);
    const current = await ctx.secret(args, { purpose: 'current passphrase' });
    const next = await getPassphrase(
      { passphrase: args.newPassphrase, passphraseStdin: args.passphraseStdin },
      { stdin: ctx.io.stdin, stderr: ctx.io.stderr, env: ctx.io.env, warn: (m) => logger.warn(m) },
      { confirm: true, purpose: 'new passphrase', line: args.identity ? 0 : 1, envName: 'DBS_NEW_PASSPHRASE', flagName: '--new-passphrase' },
    );
    const config = args.config ? await ctx.config(args) : undefined;
    const result = await rekeyBackup(args.file, current, next, { output: args.output, overwrite: args.force, kdf: config?.kdf as never, logger });
    ctx.exitCode = EXIT.OK;
    ctx.print(args, result.summary(), { command: 'rekey', path: result.path });
  },
};
