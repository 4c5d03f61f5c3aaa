// What every command shares: the process streams, the global flags, the logger, the progress bar,
// the exit code and the output (human text, or one JSON document with --json). Commands written
// elsewhere (push, pull, list) may use it too: `cli()` returns the current run's context.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Logger, ProgressListener } from '../pipeline/logger.js';
import { loadConfig, type DbsConfig } from './config.js';
import { getPassphrase, passphraseGiven, type PassphraseIO } from './passphrase.js';
import { ProgressBar } from './progress.js';

export interface CliIO {
  stdin: PassphraseIO['stdin'];
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface GlobalArgs {
  config?: string;
  identity?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  passphrase?: string;
  passphraseStdin?: boolean;
  threads?: number;
}

export class CliContext {
  exitCode = 0;
  private bar?: ProgressBar;
  private configs: DbsConfig[] = [];

  constructor(readonly io: CliIO) {}

  logger(args: GlobalArgs): Logger {
    const err = (m: string) => {
      this.bar?.clear();
      this.io.stderr.write(m + '\n');
    };
    return {
      debug: (m) => (args.verbose ? err(`dbs: debug: ${m}`) : undefined),
      info: (m) => (args.verbose ? err(`dbs: ${m}`) : undefined),
      warn: (m) => err(`dbs: warning: ${m}`),
      error: (m) => err(`dbs: error: ${m}`),
    };
  }

  /** A progress listener when stderr is a terminal and output is for humans; else undefined. */
  progress(args: GlobalArgs): ProgressListener | undefined {
    if (args.json || args.quiet || !this.io.stderr.isTTY) return undefined;
    this.bar ??= new ProgressBar(this.io.stderr);
    return this.bar.update;
  }

  clearProgress(): void {
    this.bar?.clear();
  }

  async config(args: GlobalArgs): Promise<DbsConfig> {
    const config = await loadConfig(args.config, { cwd: this.io.cwd, warn: (m) => this.logger(args).warn(m) });
    this.configs.push(config);
    return config;
  }

  /** The secret that opens a backup: the private key of --identity FILE, else the passphrase. */
  async secret(args: GlobalArgs, options: Parameters<typeof getPassphrase>[2] = {}): Promise<string | { privateKey: string }> {
    if (!args.identity) return this.passphrase(args, options);
    let text: string;
    try {
      text = await readFile(resolve(this.io.cwd, args.identity), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the identity file ${args.identity}: ${(error as Error).message}`, { hint: 'give the file written by generateIdentity()' });
    }
    const key = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.startsWith('DBS-SECRET-KEY-'));
    if (!key) throw new UsageError(`${args.identity} holds no DBS-SECRET-KEY- line`, { hint: 'give the file with the private key of a recipient of this backup' });
    return { privateKey: key };
  }

  /** True when the passphrase comes without a prompt (--passphrase, piped --passphrase-stdin, $DBS_PASSPHRASE). */
  passphraseGiven(args: GlobalArgs): boolean {
    return passphraseGiven(args, this.io);
  }

  passphrase(args: GlobalArgs, options: Parameters<typeof getPassphrase>[2] = {}): Promise<string> {
    return getPassphrase(args, { stdin: this.io.stdin, stderr: this.io.stderr, env: this.io.env, warn: (m) => this.logger(args).warn(m) }, options);
  }

  /** Prints the result: `human` for people, `json` as one document with --json. */
  print(args: GlobalArgs, human: string, json: Record<string, unknown>): void {
    this.bar?.clear();
    if (args.json) this.io.stdout.write(JSON.stringify({ ok: true, exitCode: this.exitCode, ...json }, null, 2) + '\n');
    else if (!args.quiet || this.exitCode !== 0) this.io.stdout.write(human.endsWith('\n') ? human : human + '\n');
  }

  /** Closes the database connections opened by loaded configs. */
  async close(): Promise<void> {
    for (const c of this.configs.splice(0)) await c.sequelize.close().catch(() => {});
  }
}

let current: CliContext | undefined;

/** The context of the running command (for commands defined in other files). */
export function cli(): CliContext {
  if (!current) throw new Error('no dbs command is running');
  return current;
}

export function setCurrentContext(context: CliContext | undefined): void {
  current = context;
}
