// Exit codes (documented in the README) and the `dbs: error: …` / `dbs: hint: …` messages.
import {
  AuthenticationError,
  ConfigError,
  DbsError,
  FormatError,
  UnrecoverableBlocksError,
  UsageError,
  WrongPassphraseError,
} from '../errors.js';

export const EXIT = {
  /** Done; nothing was damaged. */
  OK: 0,
  /** Any other failure (database unreachable, output not writable, verification failed, a bug). */
  ERROR: 1,
  /** Wrong command line, missing or bad config, no passphrase source in a non-interactive run. */
  USAGE: 2,
  /** Done, but the file was damaged and has been healed (validate, restore, heal, rekey). */
  HEALED: 3,
  /** The file cannot be recovered or trusted: damage beyond repair, not a DBS file, tampered. */
  UNRECOVERABLE: 4,
  /** No key slot opens with the passphrase given. */
  WRONG_PASSPHRASE: 5,
  /** Interrupted by SIGINT (Ctrl-C); SIGTERM gives 143. */
  INTERRUPTED: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  const explicit = (error as { exitCode?: unknown })?.exitCode;
  if (typeof explicit === 'number') return explicit;
  if (error instanceof WrongPassphraseError) return EXIT.WRONG_PASSPHRASE;
  if (error instanceof UnrecoverableBlocksError || error instanceof FormatError || error instanceof AuthenticationError) return EXIT.UNRECOVERABLE;
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT.USAGE;
  return EXIT.ERROR;
}

/** Hints for errors that come from outside DBS (the database driver, the file system). */
function foreignHint(error: Error): string | undefined {
  const name = error.name ?? '';
  const code = (error as NodeJS.ErrnoException).code;
  if (/Connection(Refused|Error)|HostNotFound|HostNotReachable|AccessDenied/.test(name)) {
    return "check that the database is running and that the config's Sequelize connection settings are right";
  }
  if (name.startsWith('Sequelize')) return 'the message above is the database\'s own; check the app\'s schema and permissions (--verbose shows the query)';
  if (code === 'ENOENT') return 'a file or directory named above does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'a file or directory named above is not accessible to this user';
  if (code === 'ENOSPC') return 'free disk space and try again';
  return undefined;
}

/** Names what failed for errors from outside DBS (the message alone may be a bare errno). */
function describeForeign(e: Error): string {
  if (e instanceof DbsError) return e.message;
  if (/Connection(Refused|Error)|HostNotFound|HostNotReachable|AccessDenied|ConnectionTimedOut/.test(e.name)) return `cannot connect to the database: ${e.message}`;
  if (e.name.startsWith('Sequelize')) return `the database refused an operation: ${e.message}`;
  return e.message;
}

/** The lines printed for a failure: the error, what to do, and the stack only when verbose. */
export function formatError(error: unknown, verbose: boolean): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const lines = [`dbs: error: ${describeForeign(e)}`];
  const hint = e instanceof DbsError ? e.hint : foreignHint(e);
  if (hint) lines.push(`dbs: hint: ${hint}`);
  if (verbose) {
    lines.push(e.stack ?? '');
    let cause = (e as { cause?: unknown }).cause;
    while (cause instanceof Error) {
      lines.push(`caused by: ${cause.stack ?? cause.message}`);
      cause = (cause as { cause?: unknown }).cause;
    }
  } else if (!(e instanceof DbsError)) {
    lines.push('dbs: hint: run again with --verbose for the details');
  }
  return lines.join('\n') + '\n';
}

/** The error as JSON for --json (never a stack, never a secret). */
export function errorJson(error: unknown): Record<string, unknown> {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    name: e.name,
    code: e instanceof DbsError ? e.code : ((e as NodeJS.ErrnoException).code ?? 'ERROR'),
    message: e.message,
    hint: e instanceof DbsError ? e.hint : foreignHint(e),
    blocks: e instanceof UnrecoverableBlocksError ? e.blocks : undefined,
  };
}
