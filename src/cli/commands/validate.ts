// dbs validate <file>: check every block (no passphrase); with a passphrase also every GCM tag.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { cli, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit.js';

interface Args extends GlobalArgs {
  file: string;
  decrypt?: boolean;
}

export const validateCommand: CommandModule<GlobalArgs, Args> = {
  command: 'validate <file>',
  describe: 'check a backup: structure and hashes; with a passphrase, decryption too',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', describe: 'the backup file', demandOption: true })
      .option('decrypt', { type: 'boolean', describe: 'also verify decryption, asking for the passphrase if none is given' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const { validateBackup } = await import('../../pipeline/api.js');
    const ctx = cli();
    const logger = ctx.logger(args);
    // Decryption is checked whenever a passphrase is at hand without asking, or when --decrypt asks for it.
    const hasSource = args.identity !== undefined || args.passphrase !== undefined || args.passphraseStdin || ctx.io.env.DBS_PASSPHRASE !== undefined;
    const passphrase = hasSource || args.decrypt ? await ctx.secret(args) : null;
    const report = await validateBackup(args.file, passphrase, { logger, onProgress: ctx.progress(args), threads: args.threads });
    ctx.exitCode = !report.ok ? EXIT.UNRECOVERABLE : report.healed ? EXIT.HEALED : EXIT.OK;
    const human = report.summary() + (report.healed ? `\nrun "dbs heal ${args.file} -o <clean.dbs>" to write a clean copy` : '');
    ctx.print(args, human, {
      command: 'validate',
      ok: report.ok,
      healed: report.healed,
      decrypted: report.decrypted,
      payloadBytes: report.payloadBytes,
      records: report.records,
      threads: report.threads,
      integrity: report.integrity,
      summary: report.summary(),
    });
  },
};
