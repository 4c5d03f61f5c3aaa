// dbs backup <output>: capture the app found through the config into one verified file.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { createBackup } from '../../pipeline/api.js';
import { cli, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  output: string;
  force?: boolean;
  verify?: boolean;
  recipient?: string[];
  recipientOnly?: boolean;
}

export const backupCommand: CommandModule<GlobalArgs, Args> = {
  command: 'backup <output>',
  describe: 'back up every model, row and file into one encrypted, self-healing file',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('output', { type: 'string', describe: 'the backup file to write (e.g. backup.dbs)', demandOption: true })
      .option('force', { type: 'boolean', describe: 'replace an existing file (atomically)' })
      .option('verify', { type: 'boolean', default: true, describe: 're-read and verify the file before reporting success (--no-verify skips it)' })
      .option('recipient', { type: 'string', array: true, describe: 'also let this X25519 public key open the backup (repeatable)' })
      .option('recipient-only', { type: 'boolean', describe: 'no passphrase slot: only the --recipient keys open it (for servers)' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const ctx = cli();
    const logger = ctx.logger(args);
    const config = await ctx.config(args);
    const recipients = (args.recipient ?? []).map((publicKey) => ({ publicKey }));
    if (args.recipientOnly && recipients.length === 0) throw new UsageError('--recipient-only needs at least one --recipient');
    const passphrase = args.recipientOnly ? null : await ctx.passphrase(args, { confirm: true, purpose: 'passphrase for the new backup' });
    const result = await createBackup(passphrase, {
      sequelize: config.sequelize,
      output: args.output,
      overwrite: args.force,
      verify: args.verify,
      kdf: config.kdf as never,
      recipients,
      blockSize: config.blockSize,
      parity: config.parity,
      compression: config.compressionLevel === undefined ? undefined : { level: config.compressionLevel },
      excludeModels: config.excludeModels,
      fileRoots: config.fileRoots,
      storageRoot: config.storageRoot,
      registry: config.registry,
      logger,
      onProgress: ctx.progress(args),
    });
    ctx.print(args, result.summary(), {
      command: 'backup',
      path: result.path,
      size: result.size,
      payloadBytes: result.rawBytes,
      compressedBytes: result.compressedBytes,
      verified: result.verified,
      seconds: result.seconds,
      rows: result.rows,
      models: result.captured.models,
      files: result.captured.files,
      skippedFiles: result.captured.skippedFiles,
    });
  },
};
