// dbs list --target NAME: the backups on the SSH server of a profile, newest first.
// dbs delete <name> --target NAME: remove one of them.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { deleteBackup, listBackups } from '../../transports/sftp.js';
import { SSHTarget } from '../../transports/target.js';
import { cli, type GlobalArgs } from '../context.js';

interface ListArgs extends GlobalArgs {
  target: string;
  all?: boolean;
}

export const listCommand: CommandModule<GlobalArgs, ListArgs> = {
  command: 'list',
  describe: 'list the backups on an SSH server, newest first',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('target', { type: 'string', describe: 'the profile name in sshTargets of the dbs config', demandOption: true })
      .option('all', { type: 'boolean', describe: 'also show unfinished uploads (.part files)' }) as Argv<ListArgs>,
  handler: async (args: ArgumentsCamelCase<ListArgs>) => {
    const ctx = cli();
    const config = await ctx.config(args);
    const target = SSHTarget.fromSettings(args.target, config, ctx.io.env);
    const backups = await listBackups(target, { includePartial: args.all });
    const width = Math.max(4, ...backups.map((b) => b.name.length));
    const lines = backups.map(
      (b) => `${b.name.padEnd(width)}  ${String(b.size).padStart(14)}  ${b.modifiedAt.toISOString()}${b.partial ? '  (unfinished upload)' : ''}`,
    );
    const human = backups.length
      ? [`${'name'.padEnd(width)}  ${'bytes'.padStart(14)}  modified (UTC)`, ...lines].join('\n')
      : `no backups in ${target.remoteDir} on ${target.server}`;
    ctx.print(args, human, {
      command: 'list',
      target: args.target,
      server: target.server,
      remoteDir: target.remoteDir,
      backups: backups.map((b) => ({ name: b.name, size: b.size, modifiedAt: b.modifiedAt.toISOString(), partial: b.partial ?? false })),
    });
  },
};

interface DeleteArgs extends GlobalArgs {
  name: string;
  target: string;
}

export const deleteCommand: CommandModule<GlobalArgs, DeleteArgs> = {
  command: 'delete <name>',
  describe: 'delete a backup from an SSH server',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('name', { type: 'string', describe: 'the backup name on the server (see dbs list)', demandOption: true })
      .option('target', { type: 'string', describe: 'the profile name in sshTargets of the dbs config', demandOption: true }) as Argv<DeleteArgs>,
  handler: async (args: ArgumentsCamelCase<DeleteArgs>) => {
    const ctx = cli();
    const config = await ctx.config(args);
    const target = SSHTarget.fromSettings(args.target, config, ctx.io.env);
    await deleteBackup(args.name, target);
    ctx.print(args, `deleted ${target.remotePath(args.name)} on ${target.server}`, { command: 'delete', target: args.target, server: target.server, name: args.name });
  },
};
