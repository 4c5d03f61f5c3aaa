// The container test vectors (test/vectors/container/*.vector) pin the format: each is read and must
// give its expected outcome; vectors marked `reproduce: yes` must also be written byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { protect, recover } from '../../src/container/index.js';
import { FormatError, LimitError, TruncatedError, UnrecoverableBlocksError, UnsupportedVersionError } from '../../src/errors.js';

const dir = new URL('../vectors/container/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.vector')).sort();

function parse(file: string) {
  const raw = readFileSync(dir + file);
  const split = raw.indexOf('\n\n');
  const fields: Record<string, string> = {};
  for (const line of raw.subarray(0, split).toString('utf8').split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
    else if (line.endsWith(':')) fields[line.slice(0, -1)] = '';
  }
  return { fields, bytes: new Uint8Array(raw.subarray(split + 2)) };
}

const errorFor: Record<string, new (...args: never[]) => Error> = {
  'format failure': FormatError,
  truncated: TruncatedError,
  'unsupported version': UnsupportedVersionError,
  limit: LimitError,
  unrecoverable: UnrecoverableBlocksError,
};

test('there are vectors for every outcome', () => {
  const outcomes = new Set(files.map((f) => parse(f).fields.expect));
  for (const o of ['success', ...Object.keys(errorFor)]) assert.ok(outcomes.has(o), `a vector expects ${o}`);
});

for (const file of files) {
  test(`vector ${file}`, async () => {
    const { fields, bytes } = parse(file);
    if (fields.expect === 'success') {
      const { payload, meta, report } = await recover(bytes);
      assert.is(Buffer.from(payload).toString('hex'), fields.payload);
      assert.is(Buffer.from(meta).toString('hex'), fields.meta);
      assert.ok(report.ok);
      if (fields.reproduce === 'yes') {
        const again = await protect(new Uint8Array(Buffer.from(fields.payload, 'hex')), {
          meta: new Uint8Array(Buffer.from(fields.meta, 'hex')),
          blockSize: Number(fields.blocksize),
          parity: Number(fields.parity),
          id: new Uint8Array(Buffer.from(fields.id, 'hex')),
          createdAt: new Date(fields.created),
        });
        assert.ok(Buffer.from(again).equals(Buffer.from(bytes)), 'the writer reproduces the vector byte for byte');
        assert.is(report.healed, false);
      } else assert.ok(report.healed, 'damage is reported');
      return;
    }
    const type = errorFor[fields.expect];
    assert.ok(type, `known expectation ${fields.expect}`);
    try {
      await recover(bytes);
      assert.unreachable('must fail');
    } catch (error) {
      assert.instance(error, type, `${(error as Error).name}: ${(error as Error).message}`);
      if (fields.failed) assert.equal((error as UnrecoverableBlocksError).blocks, fields.failed.split(',').map(Number));
    }
  });
}

test.run();
