// Writes the envelope vectors in this folder (run: node --import tsx test/vectors/crypto/generate.ts).
// Each file is "key: value" lines, a blank line, then the raw bytes: the security header
// (header-length bytes) followed by the encrypted stream, as in age's testkit. Vectors pin the
// format for readers: once checked in they are never regenerated, only added to.
import { writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import '../../../src/crypto/aes.node.js';
import { openEnvelope, rekeyEnvelope, sealEnvelope, type Identity, type Recipient } from '../../../src/crypto/envelope.js';
import { encryptStream } from '../../../src/crypto/stream.js';
import { publicKeyOf } from '../../../src/crypto/keys.js';
import { concatBytes } from '../../../src/crypto/bytes.js';
import { collect, chunked } from '../../../src/io/memory.js';
import { seededBytes } from '../../helpers/env.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const KEY = 'DBS-SECRET-KEY-1QYPQZQSPQGQSYQGZQYPQZQSPQGQSYQGZQYPQZQSPQGQSYQGZQYPQ3MF0X7'; // bytes 01 02 01 02 …
const OTHER_KEY = 'DBS-SECRET-KEY-1XYERXDP4XCMNZV3NXS6NVDE3XGENGDFKXUCNYVE5X5MRWVFJXV6Q35J7GL'; // bytes 31 32 .. 37 repeated
const KDF = { memoryKiB: 64, passes: 1, parallelism: 1 };
const SEG = 64;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Vector {
  name: string;
  comment: string;
  identity: Identity;
  expect: 'success' | string; // or an error class name
  stage?: 'header' | 'payload';
  plain?: Uint8Array;
  header: Uint8Array;
  payload: Uint8Array;
}

async function make(recipients: Recipient[], plain: Uint8Array) {
  const sealed = await sealEnvelope(recipients, { segmentSize: SEG });
  return { header: sealed.header, payload: await collect(encryptStream(chunked(plain, 50), sealed)), plain };
}

const redigest = (h: Uint8Array) => concatBytes(h.subarray(0, h.length - 32), sha256(h.subarray(0, h.length - 32)));
const flip = (b: Uint8Array, at: number, bit = 0) => {
  const out = b.slice();
  out[at] ^= 1 << bit;
  return out;
};
const setU32 = (b: Uint8Array, at: number, v: number) => {
  const out = b.slice();
  new DataView(out.buffer).setUint32(at, v, true);
  return out;
};

const pw = { passphrase: 'correct horse battery staple' };
const pwSlot = { ...pw, kdf: KDF };
const key = { privateKey: KEY };
const vectors: Vector[] = [];
const ok = (name: string, comment: string, identity: Identity, v: { header: Uint8Array; payload: Uint8Array; plain: Uint8Array }) =>
  vectors.push({ name, comment, identity, expect: 'success', ...v });
const fail = (name: string, comment: string, identity: Identity, expect: string, stage: 'header' | 'payload', v: { header: Uint8Array; payload: Uint8Array }) =>
  vectors.push({ name, comment, identity, expect, stage, header: v.header, payload: v.payload });

const base = await make([pwSlot], seededBytes(200, 1)); // 4 segments: 64, 64, 64, 8
const both = await make([pwSlot, { publicKey: publicKeyOf(KEY) }], seededBytes(150, 2));
const S = SEG + 16;
const saltAt = 27 + 3 + 1;
const memAt = saltAt + 16;

ok('passphrase', 'one passphrase slot, 200 bytes in 64-byte segments', pw, base);
ok('passphrase_default_kdf', 'the default Argon2id parameters (64 MiB, t=3, p=1)', pw, await make([pw], seededBytes(100, 7)));
ok('passphrase_empty_payload', 'the empty payload is one final segment holding only a tag', pw, await make([pwSlot], new Uint8Array(0)));
ok('passphrase_exact_segments', 'a payload of exactly two segments: the second, full, is final', pw, await make([pwSlot], seededBytes(128, 3)));
ok('passphrase_unicode_nfc', 'the passphrase is NFC-normalised: written as "café" composed, opened decomposed', { passphrase: 'cafe\u0301' },
  await make([{ passphrase: 'caf\u00e9', kdf: KDF }], seededBytes(10, 4)));
ok('x25519', 'a passphrase slot and an X25519 slot; opened with the private key', key, both);
ok('x25519_passphrase', 'the same file opened with the passphrase', pw, both);
const multi = await make([{ passphrase: 'first', kdf: KDF }, { publicKey: publicKeyOf(OTHER_KEY) }, { passphrase: 'second', kdf: KDF }, { publicKey: publicKeyOf(KEY) }], seededBytes(70, 5));
ok('multi_slot_second_passphrase', 'four slots; the second passphrase opens slot 2', { passphrase: 'second' }, multi);
ok('multi_slot_second_key', 'four slots; the key opens slot 3', key, multi);
const rekeyed = await rekeyEnvelope(base.header, pw, [{ passphrase: 'new passphrase', kdf: { ...KDF, passes: 2 } }]);
ok('rekeyed', 'the base payload under a rekeyed header (same data key, new slot)', { passphrase: 'new passphrase' }, { ...base, header: rekeyed });

fail('wrong_passphrase', 'no slot opens with this passphrase', { passphrase: 'Correct horse battery staple' }, 'WrongPassphraseError', 'header', base);
fail('wrong_key', 'no slot opens with this key', { privateKey: OTHER_KEY }, 'WrongPassphraseError', 'header', both);
fail('no_passphrase_slot', 'only an X25519 slot; a passphrase is given', pw, 'WrongPassphraseError', 'header', await make([{ publicKey: publicKeyOf(KEY) }], seededBytes(5, 6)));
fail('old_passphrase_after_rekey', 'the rekeyed header no longer opens with the old passphrase', pw, 'WrongPassphraseError', 'header', { ...base, header: rekeyed });
fail('header_bad_magic', 'first byte changed', pw, 'FormatError', 'header', { ...base, header: flip(base.header, 0) });
fail('header_version_2', 'version byte 2 (checksum recomputed)', pw, 'UnsupportedVersionError', 'header', { ...base, header: redigest(flip(base.header, 4, 1).map((b, i) => (i === 4 ? 2 : b))) });
fail('header_damaged_salt', 'a bit flipped in the salt; the checksum tells damage from a wrong passphrase', pw, 'AuthenticationError', 'header', { ...base, header: flip(base.header, saltAt + 3) });
fail('header_damaged_mac', 'a bit flipped in the MAC', pw, 'AuthenticationError', 'header', { ...base, header: flip(base.header, base.header.length - 40) });
fail('header_damaged_checksum', 'a bit flipped in the checksum', pw, 'AuthenticationError', 'header', { ...base, header: flip(base.header, base.header.length - 1) });
fail('header_forged_salt', 'salt altered, checksum recomputed: the slot no longer opens (indistinguishable from a wrong passphrase)', pw, 'WrongPassphraseError', 'header', { ...base, header: redigest(flip(base.header, saltAt + 3)) });
fail('header_forged_stream_id', 'stream id altered, checksum recomputed: the MAC fails', pw, 'AuthenticationError', 'header', { ...base, header: redigest(flip(base.header, 12)) });
fail('header_forged_segment_size', 'segment size 64 -> 65, checksum recomputed: the MAC fails', pw, 'AuthenticationError', 'header', { ...base, header: redigest(flip(base.header, 6)) });
fail('header_forged_other_slot', 'the X25519 slot altered; opened by the passphrase slot, the MAC fails', pw, 'AuthenticationError', 'header', { ...both, header: redigest(flip(both.header, 27 + 92 + 10)) });
fail('header_huge_memory', 'Argon2 memory 0xffffffff KiB: refused before derivation', pw, 'LimitError', 'header', { ...base, header: redigest(setU32(base.header, memAt, 0xffffffff)) });
fail('header_huge_passes', 'Argon2 passes 1000000: refused before derivation', pw, 'LimitError', 'header', { ...base, header: redigest(setU32(base.header, memAt + 4, 1_000_000)) });
fail('header_huge_parallelism', 'Argon2 parallelism 255', pw, 'LimitError', 'header', { ...base, header: redigest(base.header.map((b, i) => (i === memAt + 8 ? 255 : b))) });
fail('header_huge_work', 'Argon2 2 GiB x 16 passes: each bound holds, their product does not', pw, 'LimitError', 'header', { ...base, header: redigest(setU32(setU32(base.header, memAt, 2 * 1024 * 1024), memAt + 4, 16)) });
fail('header_short_salt', 'salt length 8', pw, 'LimitError', 'header', { ...base, header: redigest(base.header.map((b, i) => (i === saltAt - 1 ? 8 : b))) });
fail('header_huge_segment', 'segment size 2^31', pw, 'LimitError', 'header', { ...base, header: redigest(setU32(base.header, 6, 2 ** 31)) });
fail('header_truncated', 'header cut to 20 bytes', pw, 'TruncatedError', 'header', { ...base, header: base.header.slice(0, 20) });
const seg = (i: number) => base.payload.subarray(i * S, Math.min(base.payload.length, (i + 1) * S));
fail('payload_flipped_segment_1', 'a bit flipped in the body of segment 1', pw, 'AuthenticationError', 'payload', { ...base, payload: flip(base.payload, S + 10) });
fail('payload_flipped_tag_0', 'a bit flipped in the tag of segment 0', pw, 'AuthenticationError', 'payload', { ...base, payload: flip(base.payload, S - 1) });
fail('payload_flipped_final', 'a bit flipped in the final segment', pw, 'AuthenticationError', 'payload', { ...base, payload: flip(base.payload, base.payload.length - 20) });
fail('payload_reordered', 'segments 1 and 2 swapped', pw, 'AuthenticationError', 'payload', { ...base, payload: concatBytes(seg(0), seg(2), seg(1), seg(3)) });
fail('payload_dropped', 'segment 1 dropped', pw, 'AuthenticationError', 'payload', { ...base, payload: concatBytes(seg(0), seg(2), seg(3)) });
fail('payload_duplicated', 'segment 1 duplicated', pw, 'AuthenticationError', 'payload', { ...base, payload: concatBytes(seg(0), seg(1), seg(1), seg(2), seg(3)) });
fail('payload_truncated_at_boundary', 'the stream cut after segment 2 (a segment boundary)', pw, 'AuthenticationError', 'payload', { ...base, payload: base.payload.slice(0, 3 * S) });
fail('payload_truncated_in_tag', 'the stream cut 5 bytes into the final segment', pw, 'AuthenticationError', 'payload', { ...base, payload: base.payload.slice(0, 3 * S + 5) });
fail('payload_appended', 'a byte appended after the final segment', pw, 'AuthenticationError', 'payload', { ...base, payload: concatBytes(base.payload, Uint8Array.of(0)) });
fail('payload_empty', 'the stream is empty', pw, 'AuthenticationError', 'payload', { ...base, payload: new Uint8Array(0) });
const other = await make([pwSlot], seededBytes(200, 1));
fail('payload_other_file', "this payload under another file's header (same passphrase, other data key)", pw, 'AuthenticationError', 'payload', { header: other.header, payload: base.payload });

// Sanity: every "success" vector opens with the code that wrote it.
for (const v of vectors.filter((v) => v.expect === 'success')) await openEnvelope(v.header, v.identity);

for (const name of readdirSync(dir)) if (!name.includes('.')) throw new Error(`vector ${name} exists: vectors are added, never regenerated`);
for (const v of vectors) {
  const lines = [`expect: ${v.expect}`];
  if (v.stage) lines.push(`stage: ${v.stage}`);
  lines.push('passphrase' in v.identity ? `passphrase: ${v.identity.passphrase}` : `identity: ${v.identity.privateKey}`);
  if (v.plain) lines.push(`payload: ${hex(sha256(v.plain))}`, `payload-length: ${v.plain.length}`);
  lines.push(`header-length: ${v.header.length}`, `comment: ${v.comment}`, '', '');
  writeFileSync(join(dir, v.name), concatBytes(new TextEncoder().encode(lines.join('\n')), v.header, v.payload));
}
console.log(`wrote ${vectors.length} vectors to ${dir}`);
