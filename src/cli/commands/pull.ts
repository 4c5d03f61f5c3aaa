// dbs pull <name> --target NAME: download a backup, validate every block, and only then give it
// its local name (a file that does not validate is removed and reported, exit code 4).
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { pullBackup } from '../../transports/sftp.js';
import { SSHTarget } from '../../transports/target.js';
import { cli, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit.js';
import { resolveIn } from './push.js';

interface Args extends GlobalArgs {
  name: string;
  target: string;
  output?: string;
  force?: boolean;
}

export const pullCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pull <name>',
  describe: 'download a backup from an SSH server and validate it',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('name', { type: 'string', describe: 'the backup name on the server (see dbs list)', demandOption: true })
      .option('target', { type: 'string', describe: 'the profile name in sshTargets of the dbs config', demandOption: true })
      .option('output', { alias: 'o', type: 'string', describe: 'where to write it (default: the name, in the working directory)' })
      .option('force', { type: 'boolean', describe: 'replace an existing local file (atomically)' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const ctx = cli();
    const config = await ctx.config(args);
    const target = SSHTarget.fromSettings(args.target, config, ctx.io.env);
    const progress = ctx.progress(args);
    const dest = resolveIn(ctx.io.cwd, args.output ?? args.name);
    const result = await pullBackup(args.name, dest, target, {
      overwrite: args.force,
      onProgress: progress && ((done, total) => progress({ phase: 'read', unit: 'bytes', done, total })),
    });
    ctx.exitCode = result.validation.healed ? EXIT.HEALED : EXIT.OK;
    const healed = result.validation.healed ? `\nthe copy had damage that was healed on read; run "dbs heal ${result.path} -o <clean.dbs>" for a clean copy` : '';
    ctx.print(args, `pulled ${result.name} (${result.size} bytes) to ${result.path}: ${result.validation.summary}${healed}`, {
      command: 'pull',
      target: args.target,
      server: result.server,
      name: result.name,
      path: result.path,
      size: result.size,
      validation: { ok: result.validation.ok, healed: result.validation.healed, summary: result.validation.summary },
    });
  },
};
