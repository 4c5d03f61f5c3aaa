// Sealing a new backup's envelope, apart from the rest of the pipeline so that it loads quickly:
// the CLI starts the Argon2id derivation (on its worker thread) before it loads the app's config
// and the pipeline's other layers, so the derivation runs on a core that start-up leaves idle.
import { UsageError } from '../errors.js';
// node:crypto AES-GCM for the key wraps, as in layers.ts (importing it installs it).
import '../crypto/aes.node.js';
// From the modules themselves, not crypto/index.js, whose key tools load @noble/curves (needed for
// public-key slots only, loaded then).
import { sealEnvelope, type Recipient, type Sealed } from '../crypto/envelope.js';
import { DEFAULT_KDF, type KdfParams } from '../crypto/kdf.js';

/** The key slots of a new backup: the passphrase (with its KDF cost) and/or the recipients. Never empty. */
export function passphraseRecipients(passphrase: string | Recipient[] | null, options: { kdf?: KdfParams; recipients?: Recipient[] }): Recipient[] {
  const list: Recipient[] = [];
  if (typeof passphrase === 'string') {
    if (passphrase.length === 0) throw new UsageError('the passphrase is empty', { hint: 'an empty passphrase would protect nothing; give a real one' });
    list.push(options.kdf ? { passphrase, kdf: options.kdf } : { passphrase });
  } else if (Array.isArray(passphrase)) list.push(...passphrase);
  if (options.recipients) list.push(...options.recipients);
  if (list.length === 0) throw new UsageError('a backup needs a passphrase or at least one recipient');
  return list;
}

/** Same slots, KDF cost included (defaults filled in as sealEnvelope does)? */
function sameRecipients(a: readonly Recipient[], b: readonly Recipient[]): boolean {
  const kdfOf = (r: { kdf?: Partial<KdfParams> }) => ({ ...DEFAULT_KDF, ...r.kdf });
  const bytes = (k: Uint8Array | string) => (typeof k === 'string' ? k : Array.from(k).join(','));
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i];
      if ('passphrase' in x && 'passphrase' in y) {
        const [kx, ky] = [kdfOf(x), kdfOf(y)];
        return x.passphrase === y.passphrase && (x.saltLength ?? 0) === (y.saltLength ?? 0) &&
          kx.memoryKiB === ky.memoryKiB && kx.passes === ky.passes && kx.parallelism === ky.parallelism;
      }
      return 'publicKey' in x && 'publicKey' in y && bytes(x.publicKey) === bytes(y.publicKey);
    })
  );
}

/** A sealing started ahead of createBackup (see startSealing). */
export interface EarlySeal {
  /** The envelope, if it was started for exactly these recipients and not handed out before (a data key seals one backup only). */
  take(recipients: readonly Recipient[]): Promise<Sealed> | undefined;
}

/**
 * Starts sealing a new backup's envelope now: the Argon2id derivation runs on its worker thread
 * while the caller does other work (the CLI loads the app's config meanwhile). Pass the result to
 * createBackup({ sealing }) with the same passphrase, kdf and recipients. Errors (a malformed
 * recipient key) surface in createBackup.
 */
export function startSealing(passphrase: string | Recipient[] | null, options: { kdf?: KdfParams; recipients?: Recipient[] } = {}): EarlySeal {
  const recipients = passphraseRecipients(passphrase, options);
  let sealed: Promise<Sealed> | undefined = sealEnvelope(recipients);
  sealed.catch(() => {}); // never unhandled: the error is thrown where createBackup awaits it
  return {
    take(wanted) {
      if (!sealed || !sameRecipients(recipients, wanted)) return undefined;
      const once = sealed;
      sealed = undefined;
      return once;
    },
  };
}
