// A small injectable logger. The pipeline reports through it (healed blocks, skipped files,
// schema drift, ...); it never receives a passphrase or a key.

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LoggerLike = Partial<Logger>;

/** The default: warnings and errors to stderr, the rest dropped. */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn: (m) => console.warn(`dbs: warning: ${m}`),
  error: (m) => console.error(`dbs: error: ${m}`),
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Fills in the missing methods of a partial logger (a user may pass only { warn }). */
export function toLogger(logger: LoggerLike | undefined): Logger {
  if (!logger) return consoleLogger;
  const noop = () => {};
  return {
    debug: logger.debug?.bind(logger) ?? noop,
    info: logger.info?.bind(logger) ?? noop,
    warn: logger.warn?.bind(logger) ?? noop,
    error: logger.error?.bind(logger) ?? noop,
  };
}

/** Progress of long work: rows captured/restored, bytes written/read, blocks checked. */
export interface ProgressEvent {
  phase: 'capture' | 'write' | 'verify' | 'validate' | 'restore' | 'heal' | 'read';
  unit: 'rows' | 'bytes' | 'blocks';
  done: number;
  total?: number;
  /** e.g. the model being captured */
  detail?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;
