// The text form of X25519 keys: Bech32 (BIP 173), as age does. A public key reads
// "dbs1" + 58 characters; a private key "DBS-SECRET-KEY-1" + 58 characters (upper case, so it
// stands out). The checksum catches typos and truncation. Apart from keys.ts (the curve arithmetic)
// so that reading keys does not load @noble/curves: sealing a passphrase-only backup never needs it.
import { FormatError } from '../errors.js';

export const PUBLIC_KEY_HRP = 'dbs';
export const SECRET_KEY_HRP = 'DBS-SECRET-KEY-';
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i];
  }
  return chk >>> 0;
}

function expandHrp(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >>> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = (acc << from) | data[i];
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & max);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    return undefined;
  }
  return out;
}

/** Bech32 encoding of `bytes` (lower case, or upper case when the prefix is upper case). No length limit. */
export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const lower = hrp.toLowerCase();
  const words = convertBits(bytes, 8, 5, true)!;
  const mod = polymod([...expandHrp(lower), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  let text = lower + '1';
  for (const w of words) text += CHARSET[w];
  for (let i = 0; i < 6; i++) text += CHARSET[(mod >>> (5 * (5 - i))) & 31];
  return hrp === hrp.toUpperCase() && hrp !== lower ? text.toUpperCase() : text;
}

/** Decodes Bech32 text; undefined when the text is malformed or its checksum is wrong. */
export function bech32Decode(text: string): { hrp: string; bytes: Uint8Array } | undefined {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
  const lower = text.toLowerCase();
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || lower.length - sep - 1 < 6) return undefined;
  const hrp = lower.slice(0, sep);
  for (let i = 0; i < hrp.length; i++) if (hrp.charCodeAt(i) < 33 || hrp.charCodeAt(i) > 126) return undefined;
  const words: number[] = [];
  for (const c of lower.slice(sep + 1)) {
    const w = CHARSET.indexOf(c);
    if (w < 0) return undefined;
    words.push(w);
  }
  if (polymod([...expandHrp(hrp), ...words]) !== 1) return undefined;
  const bytes = convertBits(words.slice(0, -6), 5, 8, false);
  return bytes ? { hrp, bytes: Uint8Array.from(bytes) } : undefined;
}

export function parsePublicKey(key: string | Uint8Array): Uint8Array {
  return parseKey(key, PUBLIC_KEY_HRP, 'public key', 'dbs1…');
}

export function parsePrivateKey(key: string | Uint8Array): Uint8Array {
  return parseKey(key, SECRET_KEY_HRP, 'private key', 'DBS-SECRET-KEY-1…');
}

function parseKey(key: string | Uint8Array, hrp: string, what: string, shape: string): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new FormatError(`X25519 ${what}: expected 32 bytes, got ${key.length}`);
    return key.slice();
  }
  if (typeof key !== 'string') throw new TypeError(`X25519 ${what}: expected a string or 32 bytes`);
  const decoded = bech32Decode(key.trim());
  if (!decoded || decoded.hrp !== hrp.toLowerCase() || decoded.bytes.length !== 32) {
    // Never echo the text: it may be a secret key pasted in the wrong place.
    throw new FormatError(`not a DBS X25519 ${what} (expected ${shape}, ${hrp.length + 59} characters, valid checksum)`, {
      hint: `check that the whole ${what} was copied`,
    });
  }
  return decoded.bytes;
}
