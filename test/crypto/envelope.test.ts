// Envelope: sealing, opening with any slot, rekey, describe; wrong secrets; a flipped bit in every
// header field (plain damage and deliberate forgery); crafted parameters refused before derivation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AuthenticationError, DbsError, FormatError, LimitError, TruncatedError, UnsupportedVersionError, WrongPassphraseError } from '../../src/errors.js';
import '../../src/crypto/aes.node.js';
import { describeEnvelope, openEnvelope, rekeyEnvelope, sealEnvelope, type Identity } from '../../src/crypto/envelope.js';
import { decryptStream, encryptStream } from '../../src/crypto/stream.js';
import { generateIdentity } from '../../src/crypto/keys.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { collect, chunked } from '../../src/io/memory.js';
import { seededBytes, seededRandom } from '../helpers/env.js';
import { FAST_KDF, fieldsOfPassphraseAndKeyHeader, flipBit, redigest, rejects } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const alice = generateIdentity();
const mallory = generateIdentity();

async function roundTrip(header: Uint8Array, sealedOrOpened: Parameters<typeof encryptStream>[1], identity: Identity, plain: Uint8Array) {
  const cipher = await collect(encryptStream(chunked(plain, 1000), sealedOrOpened));
  const opened = await openEnvelope(header, identity);
  return { opened, back: await collect(decryptStream(chunked(cipher, 777), opened)), cipher };
}

test('any one slot opens: two passphrases and two public keys', async () => {
  const bob = generateIdentity();
  const sealed = await sealEnvelope(
    [{ passphrase: 'first', kdf: FAST_KDF }, { publicKey: alice.publicKey }, { passphrase: 'second', kdf: FAST_KDF }, { publicKey: bob.publicKey }],
    { segmentSize: 4096 },
  );
  const plain = seededBytes(20_000, 1);
  const cipher = await collect(encryptStream(chunked(plain, 3000), sealed));
  const identities: [Identity, number][] = [[{ passphrase: 'first' }, 0], [{ privateKey: alice.privateKey }, 1], [{ passphrase: 'second' }, 2], [{ privateKey: bob.privateKey }, 3]];
  for (const [identity, slot] of identities) {
    const opened = await openEnvelope(sealed.header, identity);
    assert.is(opened.slot, slot);
    assert.is(hex(await collect(decryptStream(chunked(cipher, 5000), opened))), hex(plain));
  }
  assert.equal(describeEnvelope(sealed.header).slots.map((s) => s.type), ['passphrase', 'x25519', 'passphrase', 'x25519']);
});

test('the header holds no secret: not the passphrase, data key or derived key; objects print none', async () => {
  const passphrase = 'a passphrase that must not be stored';
  const sealed = await sealEnvelope([{ passphrase, kdf: FAST_KDF }], { segmentSize: 1024 });
  assert.not.ok(Buffer.from(sealed.header).includes(Buffer.from(passphrase)));
  const printed = JSON.stringify(sealed) + JSON.stringify(await openEnvelope(sealed.header, { passphrase }));
  assert.not.match(printed, passphrase);
  assert.equal(Object.keys(sealed).sort(), ['header', 'info']);
  assert.ok(Object.isFrozen(sealed));
  const info = describeEnvelope(sealed.header);
  assert.equal(info, { version: 1, suite: 'AES-256-GCM STREAM', segmentSize: 1024, headerLength: sealed.header.length, slots: [{ type: 'passphrase', kdf: FAST_KDF, saltLength: 16 }] });
});

test('the default parameters are written and read back (64 MiB, t=3, p=1, 512 KiB segments)', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'defaults' }]);
  const info = describeEnvelope(sealed.header);
  assert.equal(info.slots[0], { type: 'passphrase', kdf: { memoryKiB: 65536, passes: 3, parallelism: 1 }, saltLength: 16 });
  assert.is(info.segmentSize, 512 << 10);
  const plain = seededBytes(3 << 20, 9);
  const { back } = await roundTrip(sealed.header, sealed, { passphrase: 'defaults' }, plain);
  assert.is(hex(back), hex(plain));
});

test('wrong passphrase and wrong private key: WrongPassphraseError, distinct messages', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'right', kdf: FAST_KDF }, { publicKey: alice.publicKey }]);
  await rejects(openEnvelope(sealed.header, { passphrase: 'wrong' }), WrongPassphraseError, 'wrong passphrase', /wrong passphrase/);
  await rejects(openEnvelope(sealed.header, { privateKey: mallory.privateKey }), WrongPassphraseError, 'wrong key', /wrong private key/);
  const keyOnly = await sealEnvelope([{ publicKey: alice.publicKey }]);
  await rejects(openEnvelope(keyOnly.header, { passphrase: 'right' }), WrongPassphraseError, 'no passphrase slot', /no passphrase slot/);
  const passOnly = await sealEnvelope([{ passphrase: 'right', kdf: FAST_KDF }]);
  await rejects(openEnvelope(passOnly.header, { privateKey: alice.privateKey }), WrongPassphraseError, 'no key slot', /no public-key slot/);
});

test('rekey: new slots around the same data key, the payload decrypts unchanged, old secrets stop working', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'old', kdf: FAST_KDF }], { segmentSize: 512 });
  const plain = seededBytes(5000, 3);
  const cipher = await collect(encryptStream(chunked(plain), sealed));
  const rekeyed = await rekeyEnvelope(sealed.header, { passphrase: 'old' }, [{ passphrase: 'new', kdf: { ...FAST_KDF, passes: 2 } }, { publicKey: alice.publicKey }]);
  assert.is.not(hex(rekeyed), hex(sealed.header));
  assert.is(hex(rekeyed.subarray(0, 26)), hex(sealed.header.subarray(0, 26)), 'fixed fields (segment size, stream id) are kept');
  for (const identity of [{ passphrase: 'new' }, { privateKey: alice.privateKey }]) {
    const opened = await openEnvelope(rekeyed, identity);
    assert.is(hex(await collect(decryptStream(chunked(cipher, 999), opened))), hex(plain));
  }
  await rejects(openEnvelope(rekeyed, { passphrase: 'old' }), WrongPassphraseError, 'old passphrase after rekey');
  await rejects(rekeyEnvelope(sealed.header, { passphrase: 'nope' }, [{ passphrase: 'x' }]), WrongPassphraseError, 'rekey with a wrong passphrase');
  // Rekeying twice from the new header works too (the MAC key is the same).
  const again = await rekeyEnvelope(rekeyed, { privateKey: alice.privateKey }, [{ passphrase: 'third', kdf: FAST_KDF }]);
  const opened = await openEnvelope(again, { passphrase: 'third' });
  assert.is(hex(await collect(decryptStream(chunked(cipher), opened))), hex(plain));
});

test('a flipped bit in each header field: damage is caught by the checksum before any derivation', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'pw', kdf: FAST_KDF }, { publicKey: alice.publicKey }], { segmentSize: 1024 });
  const fields = fieldsOfPassphraseAndKeyHeader(sealed.header.length);
  for (const [name, [start, end]] of Object.entries(fields)) {
    for (const offset of [start, end - 1]) {
      const damaged = flipBit(sealed.header, offset, offset % 8);
      const type = name === 'magic' ? FormatError : name === 'version' ? UnsupportedVersionError : AuthenticationError;
      await rejects(openEnvelope(damaged, { passphrase: 'pw' }), type, `${name} @${offset}`);
      await rejects(openEnvelope(damaged, { privateKey: alice.privateKey }), type, `${name} @${offset} (key)`);
    }
  }
});

test('a forged header field (checksum recomputed): the right typed error for each', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'pw', kdf: FAST_KDF }, { publicKey: alice.publicKey }], { segmentSize: 1024 });
  const f = fieldsOfPassphraseAndKeyHeader(sealed.header.length);
  const forge = (field: string, bit = 0, byte = 0) => redigest(flipBit(sealed.header, f[field][0] + byte, bit));
  const pw = { passphrase: 'pw' };
  const key = { privateKey: alice.privateKey };
  // Fields every slot depends on: refused as format errors or by the MAC once a slot opens.
  await rejects(openEnvelope(forge('suite'), pw), UnsupportedVersionError, 'suite');
  await rejects(openEnvelope(forge('segmentSize', 7, 3), pw), LimitError, 'segment size beyond 16 MiB');
  for (const id of [pw, key]) {
    await rejects(openEnvelope(forge('segmentSize', 0, 0), id), AuthenticationError, 'segment size', /MAC/);
    await rejects(openEnvelope(forge('streamId', 3, 5), id), AuthenticationError, 'stream id', /MAC/);
    await rejects(openEnvelope(forge('mac', 1, 9), id), AuthenticationError, 'MAC', /MAC/);
  }
  await rejects(openEnvelope(forge('slotCount', 0), pw), FormatError, 'slot count');
  await rejects(openEnvelope(forge('slot0Length', 0), pw), FormatError, 'slot length');
  await rejects(openEnvelope(forge('slot0SaltLength', 4), pw), LimitError, 'salt length');
  // A slot's own fields: the slot no longer opens. With the other slot's secret, the MAC catches it.
  for (const field of ['slot0Salt', 'slot0Nonce', 'slot0Wrapped', 'slot0Passes', 'slot0Memory']) {
    await rejects(openEnvelope(forge(field, 1), pw), WrongPassphraseError, `${field}, opened by its own passphrase`);
    await rejects(openEnvelope(forge(field, 1), key), AuthenticationError, `${field}, opened by the other slot`, /MAC/);
  }
  for (const field of ['slot1Share', 'slot1Wrapped']) {
    await rejects(openEnvelope(forge(field, 2), key), WrongPassphraseError, `${field}, opened by its own key`);
    await rejects(openEnvelope(forge(field, 2), pw), AuthenticationError, `${field}, opened by the other slot`, /MAC/);
  }
  // An unknown slot type is skipped (forward compatibility) but stays under the MAC.
  await rejects(openEnvelope(forge('slot1Type', 2), pw), AuthenticationError, 'slot type', /MAC/);
});

test('a slot added by someone holding only a public key is refused (the MAC needs the data key)', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'pw', kdf: FAST_KDF }], { segmentSize: 1024 });
  const attacker = await sealEnvelope([{ publicKey: mallory.publicKey }], { segmentSize: 1024 });
  // Splice the attacker's slot (wrapping a different key) into the victim's header.
  const victimSlots = sealed.header.subarray(27, sealed.header.length - 64);
  const attackerSlot = attacker.header.subarray(27, attacker.header.length - 64);
  const spliced = redigest(concatBytes(sealed.header.subarray(0, 26), Uint8Array.of(2), victimSlots, attackerSlot, new Uint8Array(64)));
  await rejects(openEnvelope(spliced, { passphrase: 'pw' }), AuthenticationError, 'victim opens spliced header', /MAC/);
  // The attacker's own slot opens to the attacker's key, which is not the one the header MAC needs.
  await rejects(openEnvelope(spliced, { privateKey: mallory.privateKey }), AuthenticationError, 'attacker opens spliced header', /MAC/);
});

test('crafted huge Argon2 parameters are refused with LimitError before any derivation', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'pw', kdf: FAST_KDF }]);
  const memAt = 27 + 3 + 1 + 16;
  const craft = (offset: number, value: number, width: 1 | 4) => {
    const out = sealed.header.slice();
    if (width === 4) new DataView(out.buffer).setUint32(offset, value, true);
    else out[offset] = value;
    return redigest(out);
  };
  const cases: [string, Uint8Array, string][] = [
    ['memory 4 TiB', craft(memAt, 0xffffffff, 4), 'kdf.memoryKiB'],
    ['memory 4 GiB + 1 KiB', craft(memAt, 4 * 1024 * 1024 + 1, 4), 'kdf.memoryKiB'],
    ['passes 2^32-1', craft(memAt + 4, 0xffffffff, 4), 'kdf.passes'],
    ['passes 65', craft(memAt + 4, 65, 4), 'kdf.passes'],
    ['parallelism 255', craft(memAt + 8, 255, 1), 'kdf.parallelism'],
    ['work 2 GiB x 64', craft(memAt + 4, 64, 4).slice(), 'kdf.memoryKiB*passes'],
  ];
  // The last case needs memory raised too.
  const big = cases[5][1];
  new DataView(big.buffer).setUint32(memAt, 2 * 1024 * 1024, true);
  cases[5][1] = redigest(big);
  for (const [what, header, field] of cases) {
    const started = performance.now();
    const error = (await rejects(openEnvelope(header, { passphrase: 'pw' }), LimitError, what)) as LimitError;
    assert.is(error.field, field, what);
    assert.ok(performance.now() - started < 500, `${what}: refused quickly, without deriving`);
    assert.throws(() => describeEnvelope(header), (e: unknown) => e instanceof LimitError, `${what}: describe`);
  }
  // A caller may raise the bounds on purpose (then the derivation runs: use a cheap-but-over-limit case).
  const overPasses = craft(memAt + 4, 65, 4);
  await rejects(openEnvelope(overPasses, { passphrase: 'pw', }, { limits: { maxPasses: 100 } }), WrongPassphraseError, 'raised limit: runs, then the changed passes do not open');
});

test('structural damage: truncated, empty, bad magic, unknown version, too long, trailing bytes', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'pw', kdf: FAST_KDF }]);
  const h = sealed.header;
  const id = { passphrase: 'pw' };
  await rejects(openEnvelope(new Uint8Array(0), id), FormatError, 'empty');
  await rejects(openEnvelope(h.subarray(0, 4), id), TruncatedError, 'magic only');
  await rejects(openEnvelope(h.subarray(0, 40), id), TruncatedError, 'cut at 40');
  await rejects(openEnvelope(h.subarray(0, h.length - 1), id), AuthenticationError, 'last byte missing');
  await rejects(openEnvelope(redigest(h.subarray(0, h.length - 1)), id), FormatError, 'cut short, checksum recomputed');
  const v2 = h.slice();
  v2[4] = 2;
  const e = (await rejects(openEnvelope(redigest(v2), id), UnsupportedVersionError, 'version 2')) as UnsupportedVersionError;
  assert.is(e.version, 2);
  await rejects(openEnvelope(new Uint8Array(70_000).fill(0x44), id), FormatError, 'not a header');
  const long = concatBytes(h.subarray(0, 5), new Uint8Array(70_000));
  await rejects(openEnvelope(long, id), LimitError, 'header longer than 64 KiB');
  const trailing = redigest(concatBytes(h.subarray(0, h.length - 64), new Uint8Array(3), h.subarray(h.length - 64)));
  await rejects(openEnvelope(trailing, id), FormatError, 'bytes after the slots', /unexpected byte/);
});

test('writer-side checks: bad recipients and parameters are refused before anything is written', async () => {
  await rejects(sealEnvelope([]), TypeError, 'no recipient');
  await rejects(sealEnvelope([{ passphrase: '' }]), TypeError, 'empty passphrase');
  await rejects(sealEnvelope([{ passphrase: 'x', kdf: { passes: 100 } }]), LimitError, 'passes 100');
  await rejects(sealEnvelope([{ passphrase: 'x', kdf: FAST_KDF, saltLength: 8 }]), LimitError, 'salt 8 bytes');
  await rejects(sealEnvelope([{ passphrase: 'x', kdf: FAST_KDF }], { segmentSize: 32 }), LimitError, 'segment 32 bytes');
  await rejects(sealEnvelope([{ passphrase: 'x', kdf: FAST_KDF }], { segmentSize: 32 << 20 }), LimitError, 'segment 32 MiB');
  await rejects(sealEnvelope(Array.from({ length: 17 }, () => ({ publicKey: alice.publicKey }))), LimitError, '17 slots');
  await rejects(sealEnvelope([{ publicKey: 'dbs1notakey' }]), FormatError, 'bad public key');
  await rejects(sealEnvelope([{ publicKey: new Uint8Array(32) }]), FormatError, 'low-order public key');
  await rejects(openEnvelope(new Uint8Array(10), {} as Identity), FormatError, 'bad header first');
});

test('fuzz: seeded mutations of a header never crash the parser, only typed errors or success', async () => {
  const sealed = await sealEnvelope([{ passphrase: 'pw', kdf: FAST_KDF }, { publicKey: alice.publicKey }], { segmentSize: 1024 });
  const random = seededRandom(2024);
  const kinds = new Map<string, number>();
  for (let round = 0; round < 600; round++) {
    let h: Uint8Array = sealed.header.slice();
    const edits = 1 + random.int(4);
    for (let e = 0; e < edits; e++) {
      const what = random.int(4);
      if (what === 0) h[random.int(h.length)] = random.int(256);
      else if (what === 1) h = h.slice(0, random.int(h.length));
      else if (what === 2) h = concatBytes(h, seededBytes(1 + random.int(40), round));
      else h[random.int(Math.min(h.length, 40))] ^= 1 << random.int(8);
    }
    if (random.int(2) === 0 && h.length >= 32) h = redigest(h);
    const identity = random.int(2) === 0 ? { passphrase: 'pw' } : { privateKey: alice.privateKey };
    for (const work of [async () => describeEnvelope(h), () => openEnvelope(h, identity)]) {
      try {
        await work();
        kinds.set('success', (kinds.get('success') ?? 0) + 1);
      } catch (error) {
        if (!(error instanceof DbsError)) assert.unreachable(`round ${round}: ${(error as Error).name}: ${(error as Error).message}`);
        kinds.set((error as Error).name, (kinds.get((error as Error).name) ?? 0) + 1);
      }
    }
  }
  assert.ok(kinds.size >= 5, `several kinds of outcome: ${[...kinds.keys()].join(', ')}`);
});

test.run();
