// dbs push <file> --target NAME: upload a backup to the SSH server of a named profile (sshTargets
// in the dbs config), atomically (a part file of its own, name.<hex>.part, then rename), resuming an
// interrupted push of the same file.
import { basename } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { pushBackup } from '../../transports/sftp.js';
import { SSHTarget } from '../../transports/target.js';
import { cli, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  file: string;
  target: string;
  name?: string;
  overwrite?: boolean;
  resume?: boolean;
}

export const pushCommand: CommandModule<GlobalArgs, Args> = {
  command: 'push <file>',
  describe: 'upload a backup to an SSH server (host key checked against known_hosts)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', describe: 'the backup file to upload', demandOption: true })
      .option('target', { type: 'string', describe: 'the profile name in sshTargets of the dbs config', demandOption: true })
      .option('name', { type: 'string', describe: 'the name on the server (default: the file name)' })
      .option('overwrite', { type: 'boolean', describe: 'replace a backup of the same name on the server (atomically)' })
      .option('resume', { type: 'boolean', default: true, describe: 'continue an interrupted push of the same file (--no-resume starts over)' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const ctx = cli();
    const config = await ctx.config(args);
    const target = SSHTarget.fromSettings(args.target, config, ctx.io.env);
    const progress = ctx.progress(args);
    const file = resolveIn(ctx.io.cwd, args.file);
    const result = await pushBackup(file, args.name ?? basename(args.file), target, {
      overwrite: args.overwrite,
      resume: args.resume,
      onProgress: progress && ((done, total) => progress({ phase: 'write', unit: 'bytes', done, total })),
    });
    const resumed = result.resumedFrom ? ` (resumed after ${result.resumedFrom} bytes already there)` : '';
    ctx.print(args, `pushed ${result.size} bytes to ${result.server}:${result.remotePath}${resumed}`, {
      command: 'push',
      target: args.target,
      server: result.server,
      name: result.name,
      remotePath: result.remotePath,
      size: result.size,
      resumedFrom: result.resumedFrom,
    });
  },
};

export function resolveIn(cwd: string, path: string): string {
  return path.startsWith('/') ? path : `${cwd.replace(/\/+$/, '')}/${path}`;
}
