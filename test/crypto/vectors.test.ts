// Reads every envelope vector in test/vectors/crypto/ (age-testkit style: "key: value" lines, a
// blank line, then the header bytes and the encrypted stream) and checks the expected outcome:
// success with the recorded SHA-256 of the payload, or the named error at the named stage.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import '../../src/crypto/aes.node.js';
import { describeEnvelope, openEnvelope, type Identity } from '../../src/crypto/envelope.js';
import { decryptStream } from '../../src/crypto/stream.js';
import { chunked } from '../../src/io/memory.js';

const dir = fileURLToPath(new URL('../vectors/crypto/', import.meta.url));
const names = readdirSync(dir).filter((n) => !n.includes('.')).sort();

export function parseVector(bytes: Uint8Array) {
  const end = Buffer.from(bytes).indexOf('\n\n');
  const fields = new Map<string, string>();
  for (const line of Buffer.from(bytes.subarray(0, end)).toString('utf8').split('\n')) {
    const colon = line.indexOf(': ');
    fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  const body = bytes.subarray(end + 2);
  const headerLength = Number(fields.get('header-length'));
  return { fields, header: body.slice(0, headerLength), payload: body.slice(headerLength) };
}

test('the vectors are there (a missing folder must not pass silently)', () => {
  assert.ok(names.length >= 40, `found ${names.length} vectors`);
  for (const kind of ['success', 'WrongPassphraseError', 'AuthenticationError', 'LimitError', 'FormatError', 'UnsupportedVersionError', 'TruncatedError']) {
    assert.ok(names.some((n) => parseVector(readFileSync(join(dir, n))).fields.get('expect') === kind), `a vector expects ${kind}`);
  }
});

for (const name of names) {
  test(`vector ${name}`, async () => {
    const { fields, header, payload } = parseVector(readFileSync(join(dir, name)));
    const expect = fields.get('expect')!;
    const identity: Identity = fields.has('passphrase') ? { passphrase: fields.get('passphrase')! } : { privateKey: fields.get('identity')! };
    let stage = 'header';
    const released: Uint8Array[] = [];
    try {
      const opened = await openEnvelope(header, identity);
      assert.equal(opened.info, describeEnvelope(header));
      stage = 'payload';
      for await (const part of decryptStream(chunked(payload, 37), opened)) released.push(part);
    } catch (error) {
      const got = (error as Error).name;
      assert.is.not(expect, 'success', `${name}: ${got}: ${(error as Error).message}`);
      assert.is(got, expect, `${name}: ${(error as Error).message}`);
      assert.is(stage, fields.get('stage'), `${name}: failed at the ${stage} stage`);
      return;
    }
    assert.is(expect, 'success', `${name} should have failed`);
    const plain = Buffer.concat(released);
    assert.is(plain.length, Number(fields.get('payload-length')));
    assert.is(Buffer.from(sha256(plain)).toString('hex'), fields.get('payload'));
  });
}

test.run();
