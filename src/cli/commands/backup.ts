// dbs backup <output>: capture the app found through the config into one verified file, and with
// --push <target> upload it to that SSH target under the same name. The target is checked before
// any backup work; ssh2 is loaded only when there is something to push. A failed push keeps the
// local backup (complete and verified) and says so, with the transport's hint.
import { basename, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { connectionManager, type ConnectionManager } from '../../data/dialect-types.js';
import { DbsError, UsageError } from '../../errors.js';
import { startSealing, type EarlySeal } from '../../pipeline/seal.js';
import { trace } from '../../pipeline/trace.js';
import { SSHTarget } from '../../transports/target.js';
import { resolveApp, type DbsConfig } from '../config.js';
import { cli, type GlobalArgs } from '../context.js';
import { EXIT, errorJson, formatError } from '../exit.js';

/** The backup was written (and verified), but uploading it failed; `cause` is the transport's error. */
export class PushFailedError extends DbsError {
  constructor(
    readonly path: string,
    readonly target: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const hint = cause instanceof DbsError ? cause.hint : undefined;
    super('PUSH_FAILED', `the backup ${path} was written, but pushing it to target '${target}' failed: ${reason}`, {
      hint: `${hint ? `${hint}; then ` : ''}push the local backup with: dbs push ${path} --target ${target}`,
      cause,
    });
  }
}

/**
 * Opens one pooled connection of the app's Sequelize and puts it back: the capture then finds it
 * ready. Waits at most `ms` (an unreachable server is reported by the capture itself, once).
 */
function openConnection(config: DbsConfig, ms = 250): Promise<void> {
  const cm = connectionManager(config.sequelize) as ConnectionManager | undefined;
  if (typeof cm?.getConnection !== 'function') return Promise.resolve();
  const opened = cm.getConnection({ type: 'SELECT' }).then((c) => cm.releaseConnection(c)).then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([opened, new Promise<void>((r) => setTimeout(r, ms).unref())]);
}

interface Args extends GlobalArgs {
  output: string;
  force?: boolean;
  verify?: boolean;
  recipient?: string[];
  recipientOnly?: boolean;
  push?: string;
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
      .option('recipient-only', { type: 'boolean', describe: 'no passphrase slot: only the --recipient keys open it (for servers)' })
      .option('push', {
        type: 'string',
        describe: 'then upload it to this target of sshTargets in the dbs config, under the same name (--force replaces it there too)',
      }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    trace('backup: command parsed');
    const ctx = cli();
    const logger = ctx.logger(args);
    const recipients = (args.recipient ?? []).map((publicKey) => ({ publicKey }));
    // A passphrase that needs no prompt is read first and its Argon2id derivation started at once:
    // it runs on another core while the app's config (Sequelize, the models) loads. Its errors wait
    // until after the config's, so they come in the same order as with a prompt.
    const early: Promise<{ passphrase: string; sealing: EarlySeal }> | undefined =
      !args.recipientOnly && ctx.passphraseGiven(args)
        ? ctx.passphrase(args, { confirm: true, purpose: 'passphrase for the new backup' }).then((p) => ({ passphrase: p, sealing: startSealing(p, { recipients }) }))
        : undefined;
    early?.catch(() => {}); // thrown where it is awaited below
    const config = await ctx.config(args);
    trace('backup: config loaded (the app, Sequelize)');
    const output = resolve(ctx.io.cwd, args.output);
    // A wrong target name or profile fails here, before the passphrase prompt and the capture.
    const target = args.push === undefined ? undefined : SSHTarget.fromSettings(args.push, config, ctx.io.env);
    if (target) target.remotePath(basename(output));
    if (args.recipientOnly && recipients.length === 0) throw new UsageError('--recipient-only needs at least one --recipient');
    const app = resolveApp(config, ctx.io.cwd, (m) => logger.warn(m));
    // The pipeline is loaded after the config (meanwhile the derivation started above has one core
    // to itself), and the database connection the capture takes from the pool is opened while it loads.
    const connected = openConnection(config);
    const { createBackup } = await import('../../pipeline/api.js');
    trace('backup: pipeline loaded');
    await connected;
    trace('backup: connected');
    const given = await early;
    trace('backup: passphrase read');
    const passphrase = args.recipientOnly ? null : given ? given.passphrase : await ctx.passphrase(args, { confirm: true, purpose: 'passphrase for the new backup' });
    const result = await createBackup(passphrase, {
      sequelize: config.sequelize,
      output,
      overwrite: args.force,
      verify: args.verify,
      threads: args.threads,
      kdf: config.kdf as never,
      recipients,
      blockSize: config.blockSize,
      parity: config.parity,
      compression: config.compressionLevel === undefined ? undefined : { level: config.compressionLevel },
      excludeModels: config.excludeModels,
      fileRoots: config.fileRoots,
      storageRoot: config.storageRoot,
      registry: config.registry,
      app,
      logger,
      onProgress: ctx.progress(args),
      // One command per process: no other derivation can be waiting on the Argon2id thread.
      endKdfThread: true,
      sealing: given?.sealing,
    });
    const report = {
      command: 'backup',
      path: result.path,
      app,
      size: result.size,
      payloadBytes: result.rawBytes,
      compressedBytes: result.compressedBytes,
      verified: result.verified,
      seconds: result.seconds,
      rows: result.rows,
      models: result.captured.models,
      files: result.captured.files,
      skippedFiles: result.captured.skippedFiles,
    };
    if (!target) {
      ctx.print(args, result.summary(), report);
      return;
    }
    const progress = ctx.progress(args);
    const name = basename(output);
    try {
      const { pushBackup } = await import('../../transports/sftp.js');
      const pushed = await pushBackup(output, name, target, {
        overwrite: args.force,
        onProgress: progress && ((done, total) => progress({ phase: 'write', unit: 'bytes', done, total, detail: `push to ${args.push}` })),
      });
      const resumed = pushed.resumedFrom ? ` (resumed after ${pushed.resumedFrom} bytes already there)` : '';
      ctx.print(args, `${result.summary()}\npushed ${pushed.size} bytes to ${pushed.server}:${pushed.remotePath}${resumed}`, {
        ...report,
        push: { ok: true, target: args.push, server: pushed.server, name: pushed.name, remotePath: pushed.remotePath, size: pushed.size, resumedFrom: pushed.resumedFrom },
      });
    } catch (error) {
      const failure = new PushFailedError(output, args.push!, error);
      ctx.exitCode = EXIT.ERROR;
      ctx.clearProgress();
      ctx.io.stderr.write(formatError(failure, args.verbose === true));
      ctx.print(args, result.summary(), { ...report, ok: false, push: { ok: false, target: args.push, server: target.server, error: errorJson(error) } });
    }
  },
};
