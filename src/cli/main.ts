// The `dbs` command line (yargs). `main()` parses, runs one command, prints the result or the
// error (`dbs: error: …` and `dbs: hint: …`; the stack only with --verbose) and returns the exit
// code (see exit.ts). On SIGINT/SIGTERM the temporary output is removed before exiting, so no file
// ever appears under the target name.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../errors.js';
import { removeTemporaryFiles } from '../pipeline/atomic.js';
import { trace } from '../pipeline/trace.js';
import { backupCommand } from './commands/backup.js';
import { healCommand } from './commands/heal.js';
import { inspectCommand } from './commands/inspect.js';
import { rekeyCommand } from './commands/rekey.js';
import { restoreCommand } from './commands/restore.js';
import { validateCommand } from './commands/validate.js';
import { CliContext, setCurrentContext, type CliIO, type GlobalArgs } from './context.js';
import { EXIT, errorJson, exitCodeFor, formatError } from './exit.js';

/** Commands written in other files that are loaded when present (the SFTP transport's). */
const OPTIONAL_COMMANDS = ['./commands/push.js', './commands/pull.js', './commands/list.js'];

async function optionalCommands(): Promise<CommandModule<GlobalArgs, any>[]> {
  const found: CommandModule<GlobalArgs, any>[] = [];
  for (const path of OPTIONAL_COMMANDS) {
    let mod: Record<string, unknown>;
    try {
      mod = await import(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(path.slice(2, -3))) continue;
      throw error;
    }
    for (const value of Object.values(mod)) {
      if (value && typeof value === 'object' && 'command' in value && 'handler' in value) found.push(value as CommandModule<GlobalArgs, any>);
    }
  }
  return found;
}

function processIO(): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export const EXIT_CODES_TEXT = `Exit codes:
  0    done, nothing was damaged
  1    other failure (database unreachable, output not writable, verification failed)
  2    usage: bad command line, missing or bad config, no passphrase in a non-interactive run
  3    done, but damage was found and healed
  4    unrecoverable: damage beyond repair, not a DBS file, or tampered with
  5    wrong passphrase
  130  interrupted (143 for SIGTERM); no file is left under the target name`;

function parser(args: string[], context: CliContext, extra: CommandModule<GlobalArgs, any>[]): Argv<GlobalArgs> {
  let y = yargs(args)
    .scriptName('dbs')
    .usage('$0 <command> [options]\n\nEncrypted, redundant, self-healing backups of a Sequelize app.')
    .option('config', { type: 'string', describe: 'the app config (default: dbs.config.{js,mjs,cjs} in the working directory)', global: true })
    .option('passphrase', { type: 'string', describe: 'the passphrase (visible to other users in ps; prefer the alternatives)', global: true })
    .option('passphrase-stdin', { type: 'boolean', describe: 'read the passphrase from stdin (first line)', global: true })
    .option('identity', { type: 'string', describe: 'open the backup with the private key in this file instead of a passphrase', global: true })
    .option('json', { type: 'boolean', describe: 'print one machine-readable JSON report on stdout', global: true })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'print nothing on success', global: true })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'more detail, and stack traces on errors', global: true })
    .option('threads', { type: 'number', describe: 'threads for hashing, parity and healing (default: every core for files of 512 MiB or more; 1: one thread)', global: true })
    // Checked before a command starts (asks for a passphrase, loads the app); loaded only when given.
    .middleware(async (argv) => {
      if (argv.threads !== undefined) (await import('../pipeline/threads.node.js')).checkThreads(argv.threads as number);
    })
    .command(backupCommand)
    .command(validateCommand)
    .command(restoreCommand)
    .command(healCommand)
    .command(inspectCommand)
    .command(rekeyCommand) as Argv<GlobalArgs>;
  for (const command of extra) y = y.command(command) as Argv<GlobalArgs>;
  return y
    .demandCommand(1, 'give a command, e.g. dbs backup backup.dbs')
    .strict()
    .epilog(`The passphrase comes from --passphrase, --passphrase-stdin, $DBS_PASSPHRASE, else a prompt.\n\n${EXIT_CODES_TEXT}`)
    .env(false)
    .help()
    .version()
    .wrap(Math.min(100, context.io.stdout.isTTY ? ((context.io.stdout as { columns?: number }).columns ?? 100) : 100))
    .exitProcess(false)
    .fail((message: string | null, error: Error | null) => {
      if (error) throw error;
      throw new UsageError(message ?? 'bad command line', { hint: 'run dbs --help' });
    });
}

/** Runs one command line; returns the exit code. Never calls process.exit. */
export async function run(args: string[], io: CliIO = processIO()): Promise<number> {
  const context = new CliContext(io);
  setCurrentContext(context);
  const wantsJson = args.includes('--json');
  const verbose = args.includes('--verbose') || args.includes('-v');
  try {
    let helpShown = false;
    // The transport commands pull in ssh2: load them only when they may be the one asked for.
    const first = args.find((a) => !a.startsWith('-'));
    const own = ['backup', 'validate', 'restore', 'heal', 'inspect', 'rekey'];
    const y = parser(args, context, first && own.includes(first) ? [] : await optionalCommands());
    await y.parseAsync(args, {}, (error, argv, output) => {
      if (output && !error) {
        helpShown = true;
        io.stdout.write(output + '\n');
      }
    });
    if (helpShown) return EXIT.OK;
    return context.exitCode;
  } catch (error) {
    context.clearProgress();
    const code = exitCodeFor(error);
    io.stderr.write(formatError(error, verbose));
    if (wantsJson) io.stdout.write(JSON.stringify({ ok: false, exitCode: code, error: errorJson(error) }, null, 2) + '\n');
    return code;
  } finally {
    await context.close();
    setCurrentContext(undefined);
  }
}

/** The process entry: signal handling, then run, then exit with the code. */
export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  const onSignal = (signal: NodeJS.Signals) => {
    removeTemporaryFiles();
    process.stderr.write(`\ndbs: error: interrupted by ${signal}; no file was left under the target name\n`);
    process.exit(signal === 'SIGINT' ? EXIT.INTERRUPTED : 143);
  };
  process.on('exit', () => trace('process exits'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `dbs inspect x.dbs | head -1`: a reader that goes away is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const code = await run(argv);
  trace('cli: command done');
  process.exitCode = code;
  // Database pools and worker threads may keep the loop alive a little; do not wait for them.
  setTimeout(() => process.exit(code), 200).unref();
}

function isEntry(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) void main();
