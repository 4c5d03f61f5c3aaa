// The payload framing, cell encoding, COPY text codec and value conversion, without a database.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ByteReader, ByteWriter, CellTag, RecordType, RecordWriter, SqliteNumber, jsonBody, readRecords, type Cell, MAX_RECORD } from '../../src/data/format.js';
import { copyLine, parseCopyText } from '../../src/data/pgcopy.js';
import * as formatModule from '../../src/data/format.js';
import { convertCell, formatPgArray, parsePgArray, parseTimestamp, zoneOffset } from '../../src/data/convert.js';
import { FormatError, LimitError, TruncatedError, UnsupportedVersionError } from '../../src/errors.js';
import { chunked, collect } from '../../src/io/memory.js';

const cellArb: fc.Arbitrary<Cell> = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => new SqliteNumber(CellTag.Int, n.toString())),
  fc.double({ noNaN: true }).map((d) => new SqliteNumber(CellTag.Real, Object.is(d, -0) ? '-0' : String(d))),
);

test('cells round-trip through the row encoding (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.array(cellArb, { minLength: 3, maxLength: 3 }), { maxLength: 30 }), (rows) => {
      const w = new ByteWriter(16);
      w.varint(rows.length);
      for (const row of rows) for (const cell of row) w.cell(cell);
      const r = new ByteReader(w.take());
      const count = r.varint();
      const back = Array.from({ length: count }, () => [r.cell(), r.cell(), r.cell()]);
      assert.ok(r.done);
      assert.equal(back, rows);
    }),
    { seed: 5, numRuns: 300 },
  );
});

test('varints: boundaries up to 2^53', () => {
  for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 32, 2 ** 53 - 1]) {
    const w = new ByteWriter(1);
    w.varint(n);
    assert.is(new ByteReader(w.take()).varint(), n);
  }
});

test('COPY text: any text and bytes survive escape and parse (property)', () => {
  const field = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('\\N', '\t', '\n', '\r', '\\', 'a\\tb', '\\x41'));
  fc.assert(
    fc.property(fc.array(fc.tuple(field, fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null })), { maxLength: 20 }), (rows) => {
      const text = rows.map(([a, b]) => copyLine([a, b])).join('');
      const back = parseCopyText(new TextEncoder().encode(text), 2, [false, true]);
      assert.equal(back, rows.map(([a, b]) => [a, b]));
    }),
    { seed: 11, numRuns: 300 },
  );
});

test('COPY text: the server\'s escapes (\\b \\f \\v, octal, hex) are decoded', () => {
  const rows = parseCopyText(new TextEncoder().encode('a\\bb\\fc\\vd\\101\\x42\t\\N\n'), 2, [false, false]);
  assert.equal(rows, [['a\bb\fc\vdAB', null]]);
  assert.throws(() => parseCopyText(new TextEncoder().encode('one\n'), 2, [false, false]), (e: unknown) => e instanceof FormatError);
});

async function payloadOf(records: [RecordType, Uint8Array][]): Promise<Uint8Array> {
  const w = new RecordWriter();
  const parts = [w.preamble(), ...records.map(([t, b]) => w.record(t, b)), w.end({ n: records.length })];
  return collect(parts);
}

async function readAll(bytes: Uint8Array, chunk = 3): Promise<RecordType[]> {
  const types: RecordType[] = [];
  for await (const r of readRecords(chunked(bytes, chunk))) types.push(r.type);
  return types;
}

test('records: framing, hash check, truncation, trailing bytes, bad magic, unknown version, absurd length', async () => {
  const good = await payloadOf([[RecordType.Header, jsonBody({ a: 1 })], [RecordType.FileData, new Uint8Array(1000)]]);
  assert.equal(await readAll(good), [RecordType.Header, RecordType.FileData, RecordType.End]);
  for (const cut of [5, 12, good.length - 1]) {
    const e = await readAll(good.subarray(0, cut)).catch((x) => x);
    assert.instance(e, TruncatedError, `cut at ${cut}`);
  }
  const flipped = good.slice();
  flipped[30] ^= 0x40;
  assert.instance(await readAll(flipped).catch((x) => x), FormatError);
  const trailing = Buffer.concat([good, Buffer.from('x')]);
  assert.instance(await readAll(trailing).catch((x) => x), FormatError);
  const magic = good.slice();
  magic[0] = 0x58;
  assert.instance(await readAll(magic).catch((x) => x), FormatError);
  const version = good.slice();
  version[8] = 2;
  assert.instance(await readAll(version).catch((x) => x), UnsupportedVersionError);
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(11, MAX_RECORD + 1, true);
  assert.instance(await readAll(huge).catch((x) => x), LimitError);
});

test('timestamps: offsets, zone-less values in fixed and named zones (DST), sub-millisecond digits', () => {
  assert.equal(parseTimestamp('2024-02-29 12:34:56.789123+00', 'UTC'), { ms: Date.UTC(2024, 1, 29, 12, 34, 56, 789), extra: '123' });
  assert.is(parseTimestamp('2024-02-29 12:34:56.5 +05:30', 'UTC').ms, Date.UTC(2024, 1, 29, 7, 4, 56, 500));
  assert.is(parseTimestamp('2024-02-29 12:34:56', '-03:00').ms, Date.UTC(2024, 1, 29, 15, 34, 56));
  assert.is(parseTimestamp('2024-07-01 12:00:00', 'America/New_York').ms, Date.UTC(2024, 6, 1, 16));
  assert.is(parseTimestamp('2024-01-01 12:00:00', 'America/New_York').ms, Date.UTC(2024, 0, 1, 17));
  assert.is(zoneOffset('Asia/Kolkata', Date.UTC(2024, 0, 1)), 330);
});

test('conversion between dialects by logical type', () => {
  const pg = (type: string) => ({ dialect: 'postgres' as const, timezone: '+00:00', type });
  const maria = (type: string, timezone = '+00:00') => ({ dialect: 'mariadb' as const, timezone, type });
  const lite = (type: string) => ({ dialect: 'sqlite' as const, timezone: '+00:00', type });
  assert.is(convertCell('2024-02-29 12:34:56.789123+00', pg('DATE'), maria('DATE', '+02:00')), '2024-02-29 14:34:56.789123');
  assert.is(convertCell('2024-02-29 14:34:56.5', maria('DATE', '+02:00'), pg('DATE')), '2024-02-29 12:34:56.5+00');
  assert.is(convertCell('2024-02-29 12:34:56+00', pg('DATE'), lite('DATE')), '2024-02-29 12:34:56.000 +00:00');
  assert.equal(convertCell('t', pg('BOOLEAN'), lite('BOOLEAN')), new SqliteNumber(CellTag.Int, '1'));
  assert.is(convertCell(new SqliteNumber(CellTag.Int, '0'), lite('BOOLEAN'), pg('BOOLEAN')), 'f');
  assert.equal(convertCell('9223372036854775807', pg('BIGINT'), lite('BIGINT')), new SqliteNumber(CellTag.Int, '9223372036854775807'));
  assert.equal(convertCell('\\x00ff', pg('BLOB'), maria('BLOB')), Uint8Array.of(0, 255));
  assert.is(convertCell('{red,"with space",NULL}', { ...pg('ARRAY'), arrayOf: 'ENUM' }, maria('JSON')), '["red","with space",null]');
  assert.is(convertCell('["a","b\\"c"]', lite('JSON'), pg('ARRAY')), '{"a","b\\"c"}');
  assert.throws(() => convertCell('infinity', pg('DATE'), maria('DATE')), /no equivalent/);
  assert.equal(parsePgArray(formatPgArray(['a,b', '{x}', null, ['n']])), ['a,b', '{x}', null, ['n']]);
  const same = '2024-02-29 12:34:56.789123+00';
  assert.is(convertCell(same, pg('DATE'), pg('DATE')), same, 'same dialect: untouched');
});

test('row decoders on arbitrary bytes: values or FormatError, never another error (property)', () => {
  const { CellCursor } = formatModule;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      for (const read of [
        () => {
          const r = new ByteReader(bytes);
          while (!r.done) r.cell();
        },
        () => {
          const c = new CellCursor(bytes);
          while (!c.done) {
            c.next();
            assert.ok(c.start <= c.end && c.end <= bytes.length);
          }
        },
      ]) {
        try {
          read();
        } catch (error) {
          assert.instance(error, FormatError);
        }
      }
    }),
    { seed: 17, numRuns: 2000 },
  );
});

test('records as views: the same records, offsets and bodies as copies, whatever the chunking; damage still caught', async () => {
  const parts: [RecordType, Uint8Array][] = [[RecordType.Header, jsonBody({ a: 1 })]];
  for (let i = 0; i < 20; i++) parts.push([RecordType.FileData, Uint8Array.from({ length: 37 * i + 1 }, (_, j) => (i * 31 + j) & 255)]);
  const good = await payloadOf(parts);
  const list = async (size: number, views: boolean) => {
    const out: [number, number, number[]][] = [];
    for await (const r of readRecords(chunked(good, size), { views })) out.push([r.type, r.offset, [...r.body]]);
    return out;
  };
  for (const size of [1, 7, 64, 333, good.length]) assert.equal(await list(size, true), await list(size, false), `chunks of ${size}`);
  const flipped = good.slice();
  flipped[200] ^= 1;
  const e = await (async () => {
    for await (const r of readRecords(chunked(flipped, 100), { views: true })) void r;
  })().catch((x) => x);
  assert.instance(e, FormatError);
});

test.run();
