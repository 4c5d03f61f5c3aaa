// Where the passphrase comes from, in this order: --passphrase (with a warning: argv is visible
// to other users through ps and /proc), --passphrase-stdin, $DBS_PASSPHRASE, then a prompt with
// echo off on a terminal (twice when it protects a new backup). Never empty. Without a terminal
// and without a source, fail at once with an explanation instead of waiting forever.
import { UsageError } from '../errors.js';

export interface PassphraseIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  warn: (message: string) => void;
}

export interface PassphraseArgs {
  passphrase?: string;
  passphraseStdin?: boolean;
}

let stdinLines: Promise<string[]> | undefined;

/** All of stdin, split into lines (read once, shared by the current and the new passphrase). */
function readStdinLines(stdin: PassphraseIO['stdin']): Promise<string[]> {
  stdinLines ??= (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    const text = Buffer.concat(chunks).toString('utf8');
    return text.split(/\r?\n/);
  })();
  return stdinLines;
}

/** Reads one line from the terminal with echo off. Ctrl-C aborts (exit 130), Ctrl-D ends. */
export function promptHidden(prompt: string, io: PassphraseIO): Promise<string> {
  const { stdin, stderr } = io;
  return new Promise((resolvePromise, reject) => {
    let value = '';
    const wasRaw = (stdin as { isRaw?: boolean }).isRaw ?? false;
    // Echo off before the prompt shows, so nothing typed after it can be echoed.
    stdin.setRawMode?.(true);
    stderr.write(prompt);
    (stdin as NodeJS.ReadStream).setEncoding?.('utf8');
    stdin.resume();
    const finish = (error?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolvePromise(value);
    };
    const onData = (data: string | Buffer) => {
      for (const ch of String(data)) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') {
          const error = new UsageError('interrupted at the passphrase prompt');
          (error as { exitCode?: number }).exitCode = 130;
          return finish(error);
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function notEmpty(value: string, source: string): string {
  if (value.length === 0) {
    throw new UsageError(`the passphrase from ${source} is empty`, { hint: 'an empty passphrase protects nothing; give a real one' });
  }
  return value;
}

function interactive(io: PassphraseIO): boolean {
  return Boolean(io.stdin.isTTY && io.stdin.setRawMode);
}

/** Whether getPassphrase has a source that needs no prompt: the flag, piped stdin or the environment variable. */
export function passphraseGiven(args: PassphraseArgs, io: Pick<PassphraseIO, 'stdin' | 'env'>, envName = 'DBS_PASSPHRASE'): boolean {
  if (args.passphrase !== undefined) return true;
  if (args.passphraseStdin) return !interactive(io as PassphraseIO);
  return io.env[envName] !== undefined;
}

/**
 * The passphrase for this run. `confirm` (a new backup or a new passphrase) asks twice at the
 * prompt. `line` picks the stdin line (rekey reads the current one on line 1, the new on line 2).
 */
export async function getPassphrase(
  args: PassphraseArgs,
  io: PassphraseIO,
  options: { confirm?: boolean; purpose?: string; line?: number; envName?: string; flagName?: string } = {},
): Promise<string> {
  const flag = options.flagName ?? '--passphrase';
  const envName = options.envName ?? 'DBS_PASSPHRASE';
  if (args.passphrase !== undefined) {
    io.warn(`${flag} puts the passphrase on the command line, where other users of this machine can read it (ps, /proc); prefer ${flag}-stdin, $${envName} or the prompt`);
    return notEmpty(args.passphrase, flag);
  }
  // When stdin is the terminal itself, --passphrase-stdin means the prompt (echo off), not "wait for end of input".
  const promptForStdin = Boolean(args.passphraseStdin) && interactive(io);
  if (args.passphraseStdin && !promptForStdin) {
    const lines = await readStdinLines(io.stdin);
    const line = options.line ?? 0;
    if (lines.length <= line || (line === lines.length - 1 && lines[line] === '' && line > 0)) {
      throw new UsageError(`--passphrase-stdin: stdin has no line ${line + 1} for the ${options.purpose ?? 'passphrase'}`, {
        hint: line > 0 ? 'for rekey, give the current passphrase on the first line and the new one on the second' : 'pipe the passphrase in, e.g. from a secrets manager',
      });
    }
    return notEmpty(lines[line], 'stdin');
  }
  const fromEnv = promptForStdin ? undefined : io.env[envName];
  if (fromEnv !== undefined) return notEmpty(fromEnv, `$${envName}`);
  if (!interactive(io)) {
    throw new UsageError(`no passphrase given and no terminal to ask for one`, {
      hint: `use ${flag}-stdin (e.g. from a secrets manager), set $${envName}, or run in a terminal`,
    });
  }
  const purpose = options.purpose ?? 'passphrase';
  for (let attempt = 0; attempt < 3; attempt++) {
    const first = await promptHidden(`${purpose[0].toUpperCase()}${purpose.slice(1)}: `, io);
    if (first.length === 0) {
      io.stderr.write('dbs: the passphrase cannot be empty\n');
      continue;
    }
    if (!options.confirm) return first;
    const second = await promptHidden(`Repeat the ${purpose}: `, io);
    if (first === second) return first;
    io.stderr.write('dbs: the two entries differ; try again\n');
  }
  throw new UsageError('no passphrase was entered after three attempts');
}
