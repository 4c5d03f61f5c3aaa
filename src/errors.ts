// Typed errors shared by every layer. Each carries the facts (offsets, block indices, limits)
// and a hint that says what to do. Messages never contain secrets (passphrases, keys).

export class DbsError extends Error {
  /** Stable machine-readable code, e.g. 'FORMAT', 'WRONG_PASSPHRASE'. */
  readonly code: string;
  /** One sentence telling the user what to do next. */
  readonly hint?: string;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** The bytes are not what the format says they must be (bad magic, bad field, absurd length). */
export class FormatError extends DbsError {
  /** Byte offset in the file where the problem was found, when known. */
  readonly offset?: number;
  constructor(message: string, options: { offset?: number; hint?: string; cause?: unknown } = {}) {
    super('FORMAT', message, options);
    this.offset = options.offset;
  }
}

/** A version this reader does not know. Readers must reject unknown versions. */
export class UnsupportedVersionError extends FormatError {
  readonly version: number;
  constructor(what: string, version: number, supported: readonly number[]) {
    super(`${what} version ${version} is not supported (this reader knows ${supported.join(', ')})`, {
      hint: 'upgrade dbs to a release that reads this version',
    });
    this.version = version;
  }
}

/** A parameter read from a file exceeds a safety bound (memory, count, length). */
export class LimitError extends FormatError {
  readonly field: string;
  readonly value: number;
  readonly limit: number;
  constructor(field: string, value: number, limit: number, hint?: string) {
    super(`${field} is ${value}, above the limit of ${limit}`, {
      hint: hint ?? 'the file is damaged or was crafted; it is refused before any work is done',
    });
    this.field = field;
    this.value = value;
    this.limit = limit;
  }
}

/** The file ends before a part that is needed to recover it. */
export class TruncatedError extends FormatError {}

/** No key slot opens with the given passphrase or identity. Distinct from corruption. */
export class WrongPassphraseError extends DbsError {
  constructor(message = 'wrong passphrase: no key slot of this backup opens with it') {
    super('WRONG_PASSPHRASE', message, { hint: 'check the passphrase (or identity) and try again' });
  }
}

/** Authenticated decryption failed for data that passed the integrity layer: tampering. */
export class AuthenticationError extends DbsError {
  constructor(message: string, options: { hint?: string } = {}) {
    super('AUTHENTICATION', message, {
      hint: options.hint ?? 'the encrypted data or its header was altered; do not trust this file',
    });
  }
}

/** Block-level damage beyond what two copies and Reed-Solomon parity can repair. */
export class UnrecoverableBlocksError extends DbsError {
  /** Indices of the blocks that could not be recovered. */
  readonly blocks: number[];
  /** The full integrity report (see src/container/report.ts). */
  readonly report: unknown;
  constructor(blocks: number[], report: unknown, detail = '') {
    const shown = blocks.slice(0, 20).join(', ') + (blocks.length > 20 ? `, … (${blocks.length} in all)` : '');
    super('UNRECOVERABLE', `${blocks.length} block(s) cannot be recovered: ${shown}${detail ? ` (${detail})` : ''}`, {
      hint: 'damage in both copies overlaps beyond the parity budget; restore from another backup',
    });
    this.blocks = blocks;
    this.report = report;
  }
}

/** The output file cannot be written (missing directory, no space, no permission, already exists). */
export class OutputError extends DbsError {
  readonly path: string;
  constructor(path: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('OUTPUT', message, options);
    this.path = path;
  }
}

/** The application config (dbs.config.*) is missing or does not provide what is needed. */
export class ConfigError extends DbsError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('CONFIG', message, options);
  }
}

/** The command line or the call is wrong (missing passphrase source, bad option). */
export class UsageError extends DbsError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('USAGE', message, options);
  }
}

/** A restore could not be carried out; the target database was rolled back, untouched. */
export class RestoreError extends DbsError {
  /** The model being loaded when it failed, when known. */
  readonly model?: string;
  constructor(message: string, options: { model?: string; hint?: string; cause?: unknown } = {}) {
    super('RESTORE', message, options);
    this.model = options.model;
  }
}

/** A backup asks to write a file outside the allowed restore roots ('..', absolute path, symlink escape). */
export class UnsafePathError extends DbsError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('UNSAFE_PATH', `refused to restore file "${path}": ${reason}`, {
      hint: 'the backup was crafted or its roots are not allowed here; pass restoreRoots to allow a directory',
    });
    this.path = path;
  }
}

/** Reading the source database failed during capture. */
export class CaptureError extends DbsError {
  readonly model?: string;
  constructor(message: string, options: { model?: string; hint?: string; cause?: unknown } = {}) {
    super('CAPTURE', message, options);
    this.model = options.model;
  }
}

/** A freshly written file did not read back as written (bad disk, full disk, a bug): not reported as success. */
export class VerificationError extends DbsError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('VERIFY', message, {
      hint: options.hint ?? 'the storage returned different bytes than were written; check the disk and write the backup elsewhere',
      cause: options.cause,
    });
  }
}
