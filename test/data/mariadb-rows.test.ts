// The MariaDB socket reader (src/data/mariadb-rows.ts): fed by a fake socket, the answer to its
// query cut at every size, it must write the cells the protocol's values hold (tag, varint length,
// the same bytes), join packets of 16 MiB - 1 with the next, stop at the end of the result, hand
// the bytes after it to the driver's listener and report server errors. Against the real server
// its cells must equal the driver paths' byte for byte (test/data/mariadb-capture.test.ts) and a
// consumer leaving mid-result must cost only that connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Duplex } from 'node:stream';
import { DataTypes, QueryTypes } from 'sequelize';
import { RawRows, ServerError, rawResults, rawSocketOf } from '../../src/data/mariadb-rows.js';
import { acquireConnection } from '../../src/data/mariadb-connection.js';
import { createTestDatabase } from '../apps/databases.js';
import { capture } from '../../src/data/capture.js';
import { BackupRegistry } from '../../src/data/registry.js';
import { doubleAt, doubleText } from '../../src/data/mariadb-binary.js';
import { collect } from '../../src/io/memory.js';
import { cellsOf, mariaCellsWith, serviceAvailable } from './helpers.js';

const HEAD = 9;
const proto = (eofDeprecated: boolean) => ({ eofDeprecated, extendedMetadata: false, cacheMetadata: false });

function lenenc(n: number): number[] {
  if (n < 0xfb) return [n];
  if (n < 0x10000) return [0xfc, n & 0xff, n >>> 8];
  if (n < 0x1000000) return [0xfd, n & 0xff, (n >>> 8) & 0xff, n >>> 16];
  return [0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0, 0, 0, 0];
}

/** One logical packet as physical packets (split at 0xFFFFFF, an empty one after an exact multiple). */
function packets(body: Buffer, seq: { n: number }): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const size = Math.min(0xffffff, body.length - at);
    out.push(Buffer.from([size & 0xff, (size >>> 8) & 0xff, size >>> 16, seq.n++ & 0xff]), body.subarray(at, at + size));
    at += size;
    if (size < 0xffffff) return out;
  }
}

type Value = Buffer | null;

/** The server's answer to a query returning `rows`, and the cells expected of it. */
function answer(rows: Value[][], width: number, tags: number[], eofDeprecated: boolean, tail: Buffer): { wire: Buffer; cells: Buffer } {
  const seq = { n: 1 };
  const parts: Buffer[] = [...packets(Buffer.from(lenenc(width)), seq)];
  for (let k = 0; k < width; k++) parts.push(...packets(Buffer.from(`\x03def\x00\x00\x00\x01c${k}`, 'latin1'), seq));
  if (!eofDeprecated) parts.push(...packets(Buffer.from([0xfe, 0, 0, 0x22, 0]), seq));
  const cells: Buffer[] = [];
  for (const row of rows) {
    const body: Buffer[] = [];
    row.forEach((v, k) => {
      if (v === null) {
        body.push(Buffer.from([0xfb]));
        cells.push(Buffer.from([0]));
        return;
      }
      body.push(Buffer.from(lenenc(v.length)), v);
      const varint: number[] = [];
      let n = v.length;
      while (n >= 0x80) {
        varint.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      varint.push(n);
      cells.push(Buffer.from([tags[k], ...varint]), v);
    });
    parts.push(...packets(Buffer.concat(body), seq));
  }
  parts.push(...packets(Buffer.from(eofDeprecated ? [0xfe, 0, 0, 0x22, 0, 0, 0] : [0xfe, 0, 0, 0x22, 0]), seq));
  parts.push(tail);
  return { wire: Buffer.concat(parts), cells: Buffer.concat(cells) };
}

/** A socket whose driver listener records what it is given; `sent` holds what was written. */
function fakeSocket(): { socket: Duplex; sent: Buffer[]; driver: Buffer[]; handler: (d: Buffer) => void } {
  const sent: Buffer[] = [];
  const driver: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      sent.push(chunk);
      callback();
    },
  });
  const handler = (d: Buffer) => driver.push(d);
  socket.on('data', handler);
  return { socket, sent, driver, handler };
}

/** Feeds `wire` in chunks of `size` and reads every frame: the cells (heads dropped) and rows. */
async function readAll(reader: RawRows, socket: Duplex, wire: Buffer, size: number): Promise<{ cells: Buffer; rows: number; frames: number }> {
  reader.start(socket, 'SELECT 1');
  let fed = 0;
  const feed = () => {
    while (fed < wire.length) {
      socket.push(wire.subarray(fed, fed + size));
      fed += size;
      if ((fed / size) % 64 === 0) return; // let the reader run between bursts
    }
  };
  const parts: Buffer[] = [];
  let rows = 0;
  let frames = 0;
  const feeding = (async () => {
    while (fed < wire.length) {
      feed();
      await new Promise((r) => setImmediate(r));
    }
  })();
  for (;;) {
    const f = await reader.next();
    if (!f) break;
    assert.ok(f.rows > 0);
    parts.push(Buffer.from(f.frame.subarray(HEAD)));
    rows += f.rows;
    frames++;
  }
  await feeding;
  await new Promise((r) => setImmediate(r));
  return { cells: Buffer.concat(parts), rows, frames };
}

const tail = Buffer.from([7, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]); // the driver's next packet (an OK)

test('values of every length prefix, NULLs and empty values, the socket cut at every size', async () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const rows: Value[][] = [
    [Buffer.from('1'), null, Buffer.alloc(0)],
    [Buffer.from('héllo 🙂', 'utf8'), all, null],
    [Buffer.alloc(250, 0x61), Buffer.alloc(251, 0xfb), Buffer.alloc(127, 0x62)],
    [Buffer.alloc(128, 0xff), Buffer.alloc(0x10000, 0x63), Buffer.from([0xfe])],
    [null, null, null],
  ];
  const tags = [1, 2, 1];
  for (const eofDeprecated of [true, false]) {
    const { wire, cells } = answer(rows, 3, tags, eofDeprecated, tail);
    for (const size of [1, 2, 3, 4, 5, 7, 13, 64, 255, 256, 1000, 4096, 65536, wire.length]) {
      const { socket, sent, driver, handler } = fakeSocket();
      let status = -1;
      const reader = new RawRows(tags, proto(eofDeprecated), HEAD, 1024, (s) => (status = s));
      const got = await readAll(reader, socket, wire, size);
      assert.is(got.rows, rows.length, `rows, chunks of ${size}`);
      assert.ok(got.cells.equals(cells), `cells, chunks of ${size}, eofDeprecated ${eofDeprecated}`);
      assert.ok(Buffer.concat(driver).equals(tail), `the driver gets the bytes after the result, chunks of ${size}`);
      assert.is(status, 0x22);
      assert.ok(Buffer.concat(sent).equals(Buffer.from([9, 0, 0, 0, 3, ...Buffer.from('SELECT 1')])), 'the COM_QUERY packet');
      assert.equal(socket.listeners('data'), [handler], 'the driver listens again, alone');
      assert.is(socket.listeners('close').length, 0);
    }
  }
});

test('frames end at rows and stay near the batch size; a larger row gets a frame of its own', async () => {
  const rows: Value[][] = [];
  for (let i = 0; i < 2000; i++) rows.push([Buffer.from(String(i)), i === 700 ? Buffer.alloc(50_000, 0x41) : Buffer.from('x'.repeat(i % 90))]);
  const { wire, cells } = answer(rows, 2, [1, 1], true, tail);
  const { socket } = fakeSocket();
  const frames: { length: number; rows: number }[] = [];
  const reader = new RawRows([1, 1], proto(true), HEAD, 8192);
  reader.start(socket, 'SELECT 1');
  socket.push(wire);
  const parts: Buffer[] = [];
  for (let f = await reader.next(); f; f = await reader.next()) {
    frames.push({ length: f.frame.length - HEAD, rows: f.rows });
    parts.push(Buffer.from(f.frame.subarray(HEAD)));
  }
  assert.ok(Buffer.concat(parts).equals(cells));
  assert.is(frames.reduce((n, f) => n + f.rows, 0), 2000);
  assert.ok(frames.filter((f) => f.length > 8192 + 200).length === 1, 'only the large row passes the batch size');
  assert.ok(frames.some((f) => f.rows === 1 && f.length > 50_000), 'the large row is a frame of its own');
});

test('a row over 16 MiB (split packets), and a row of exactly 0xFFFFFF bytes (an empty packet after it)', async () => {
  const big = Buffer.alloc(17 << 20);
  for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
  // One value whose packet is 4 (length prefix) + v bytes = 0xFFFFFF exactly.
  const exact = Buffer.alloc(0xffffff - 4, 0x5a);
  const rows: Value[][] = [[Buffer.from('a')], [big], [exact], [Buffer.from('z')]];
  const { wire, cells } = answer(rows, 1, [2], true, tail);
  for (const size of [65536, 99_991, 1 << 20]) {
    const { socket, driver } = fakeSocket();
    const reader = new RawRows([2], proto(true), HEAD, 256 << 10);
    const got = await readAll(reader, socket, wire, size);
    assert.is(got.rows, 4);
    assert.ok(got.cells.equals(cells), `cells, chunks of ${size}`);
    assert.ok(Buffer.concat(driver).equals(tail));
  }
});

test('values of every length from 0 to 600 bytes (the byte, word and native copies), at every offset', async () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const rows: Value[][] = [];
  for (let n = 0; n <= 600; n++) {
    const v = Buffer.alloc(n);
    for (let i = 0; i < n; i++) v[i] = random();
    // A short first value shifts the long one to every alignment.
    rows.push([Buffer.alloc(n % 9, 0x30), v]);
  }
  const { wire, cells } = answer(rows, 2, [1, 2], true, tail);
  for (const size of [7, 1000, 65536, wire.length]) {
    const { socket } = fakeSocket();
    const got = await readAll(new RawRows([1, 2], proto(true), HEAD, 4096), socket, wire, size);
    assert.is(got.rows, rows.length);
    assert.ok(got.cells.equals(cells), `cells, chunks of ${size}`);
  }
});

/** Bytes the JS heap allocated (sampled, collected objects included) while `run` ran. */
async function heapAllocated(run: () => Promise<void>): Promise<number> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await run();
  const { profile } = await post('HeapProfiler.stopSampling');
  session.disconnect();
  let total = 0;
  const walk = (node: { selfSize: number; children: unknown[] }) => {
    total += node.selfSize;
    node.children.forEach((c) => walk(c as typeof node));
  };
  walk(profile.head);
  return total;
}

test('values of 33-512 bytes make no JS object each (one per value filled the young generation: peak memory)', async () => {
  const rows: Value[][] = [];
  for (let i = 0; i < 100_000; i++) rows.push([Buffer.from('x'.repeat(33 + (i % 480)))]);
  const { wire, cells } = answer(rows, 1, [1], true, tail);
  const { socket } = fakeSocket();
  const reader = new RawRows([1], proto(true), HEAD, 256 << 10);
  reader.start(socket, 'SELECT 1');
  socket.push(wire);
  let length = 0;
  let count = 0;
  const allocated = await heapAllocated(async () => {
    for (let f = await reader.next(); f; f = await reader.next()) {
      length += f.frame.length - HEAD;
      count += f.rows;
    }
  });
  assert.is(count, rows.length);
  assert.is(length, cells.length);
  // A view object per value is ~8 MiB here; frames, promises and the profiler's own take < 1 MiB.
  assert.ok(allocated < 2 << 20, `${(allocated / 1048576).toFixed(1)} MiB of JS objects for 100,000 values`);
});

test('an error packet ends the read with the server message and gives the socket back', async () => {
  const rows: Value[][] = [[Buffer.from('1')], [Buffer.from('2')]];
  const { wire } = answer(rows, 1, [1], true, Buffer.alloc(0));
  // Drop the end packet (last 11 bytes: header + 7) and put an ERR packet in its place.
  const err = Buffer.concat([Buffer.from([0xff, 0x2d, 0x05]), Buffer.from('#21000Subquery returns more than 1 row')]);
  const wire2 = Buffer.concat([wire.subarray(0, wire.length - 11), Buffer.from([err.length, 0, 0, 9]), err, tail]);
  for (const size of [1, 5, 64, wire2.length]) {
    const { socket, driver, handler } = fakeSocket();
    const reader = new RawRows([1], proto(true), HEAD, 1024);
    let message = '';
    try {
      await readAll(reader, socket, wire2, size);
    } catch (e) {
      message = (e as Error).message;
      assert.instance(e, ServerError);
      assert.is((e as ServerError).code, 1325);
      assert.is((e as ServerError).sqlState, '21000');
    }
    assert.is(message, '(1325) Subquery returns more than 1 row');
    await new Promise((r) => setImmediate(r));
    assert.ok(Buffer.concat(driver).equals(tail), 'the driver gets the bytes after the error');
    assert.equal(socket.listeners('data'), [handler]);
  }
});

test('a malformed row fails the read and closes the socket', async () => {
  const { wire } = answer([[Buffer.from('1'), Buffer.from('2')]], 2, [1, 1], true, tail);
  const { socket } = fakeSocket();
  // The reader expects one column where the server sends two.
  const reader = new RawRows([1], proto(true), HEAD, 1024);
  const failed = readAll(reader, socket, wire, 7).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(await failed, /returned 2 columns, expected 1/);
  assert.ok(socket.destroyed);
});

test('doubles print as the server prints them', () => {
  // Texts the server's text protocol sent for these values (mariadb 10.11).
  const cases: [number, string][] = [
    [1e15, '1e15'], [1e16, '1e16'], [123456789012345680, '1.2345678901234568e17'], [0.1, '0.1'], [1.5e-7, '0.00000015'],
    [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e308'], [100, '100'], [1234567.5, '1234567.5'],
    [0.1 + 0.2, '0.30000000000000004'], [1 / 3, '0.3333333333333333'], [1e-5, '0.00001'], [1e14, '100000000000000'],
    [0, '0'], [1e21, '1e21'], [12345678901234567, '1.2345678901234568e16'], [2e-7, '0.0000002'], [-2e-7, '-0.0000002'], [-1e15, '-1e15'],
  ];
  for (const [x, text] of cases) assert.is(doubleText(x), text, String(x));
});

test('real server: by default a table with a floating-point column is read as binary rows, others as text', async () => {
  // Before any test here sets setMariaBinaryReads: this is the default.
  if (!(await serviceAvailable('mariadb'))) return;
  const db = await createTestDatabase('mariadb');
  try {
    const s = db.sequelize;
    s.define('Flt', { id: { type: DataTypes.INTEGER, primaryKey: true }, f: DataTypes.FLOAT }, { timestamps: false, tableName: 'flt' });
    s.define('Whole', { id: { type: DataTypes.INTEGER, primaryKey: true }, n: DataTypes.STRING }, { timestamps: false, tableName: 'whole' });
    await s.sync();
    await s.query(`INSERT INTO flt VALUES (1, 0.5), (2, NULL)`);
    await s.query(`INSERT INTO whole VALUES (1, 'a')`);
    const before = { ...rawResults };
    const { rows } = await cellsOf(await collect(capture({ sequelize: s, registry: new BackupRegistry() })));
    assert.is(rows, 3);
    assert.is(rawResults.binary, before.binary + 1, 'the FLOAT table as binary rows');
    assert.is(rawResults.text, before.text + 1, 'the other table as text rows');
  } finally {
    await db.drop();
  }
});

test('real server: the socket reader and the driver read the same cells (all bytes, large rows, empty table)', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const db = await createTestDatabase('mariadb');
  try {
    const s = db.sequelize;
    s.define('Wide', {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      big: DataTypes.BIGINT,
      money: DataTypes.DECIMAL(40, 12),
      at: DataTypes.DATE(6),
      day: DataTypes.DATEONLY,
      meta: DataTypes.JSON,
      bin: DataTypes.BLOB('long'),
      text: DataTypes.TEXT('long'),
      flt: DataTypes.FLOAT,
      latin: DataTypes.STRING(20),
    }, { timestamps: false, tableName: 'wide' });
    s.define('Empty', { id: { type: DataTypes.INTEGER, primaryKey: true }, v: DataTypes.STRING }, { timestamps: false, tableName: 'empty' });
    await s.sync();
    await s.query('ALTER TABLE wide MODIFY latin VARCHAR(20) CHARACTER SET latin1');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');
    await s.query(`INSERT INTO wide VALUES
      (1, 9223372036854775807, '123456789012345678901234567.123456789012', '2038-01-19 03:14:07.999999', '1000-01-01', '{"a": [1, "é"]}', X'${all}', 'héllo 🙂\\t\\n', 0.1, 'café'),
      (2, -9223372036854775808, '-0.000000000001', '1970-01-01 00:00:00.000001', '9999-12-31', '[]', X'', '', -3.4e38, ''),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    // Rows larger than a socket chunk and than a frame (max_allowed_packet bounds them).
    const [{ p }] = await s.query<{ p: number }>('SELECT @@max_allowed_packet AS p', { type: QueryTypes.SELECT });
    const large = Math.min(5 << 20, Math.floor(Number(p) / 3));
    await s.query(`INSERT INTO wide (id, bin, text) VALUES (4, RANDOM_BYTES(1024), REPEAT('ü', ${Math.floor(large / 2)})), (5, REPEAT(X'FB', ${large}), 'x')`);
    for (let id = 6; id < 2000; id++) await s.query(`INSERT INTO wide (id, big, at, text) VALUES (${id}, ${id * 7919}, '2024-01-01 00:00:00.${String(id).padStart(6, '0')}', REPEAT('t', ${id % 300}))`);
    const run = (raw: boolean, packed: boolean, binary = true) => mariaCellsWith(s, { raw, packed, binary });
    {
      // The socket reader is the path taken on the mariadb driver's connections.
      const { conn, release } = await acquireConnection(s, 'SELECT');
      assert.ok(rawSocketOf(conn), 'no socket reader on a mariadb connection');
      await release();
    }
    const before = { ...rawResults };
    const viaSocket = await run(true, true);
    // wide (a FLOAT column): binary rows; empty (no floating-point column): text rows.
    assert.equal(rawResults, { binary: before.binary + 1, text: before.text + 1 }, 'wide read as binary rows, empty as text');
    const viaSocketText = await run(true, true, false);
    const perValue = await run(false, false);
    const packed = await run(false, true);
    assert.is(viaSocket.rows, 1999);
    assert.is(perValue.rows, 1999);
    assert.ok(viaSocket.cells.length > 2 * large);
    assert.ok(viaSocket.cells.equals(perValue.cells), 'socket reader and per-value driver path differ');
    assert.ok(viaSocketText.cells.equals(perValue.cells), 'socket reader (text protocol) and per-value driver path differ');
    assert.ok(viaSocket.cells.equals(packed.cells), 'socket reader and packed path differ');
  } finally {
    await db.drop();
  }
});

test('real server: binary-protocol doubles, integers and temporal values read as the text protocol sends them', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const db = await createTestDatabase('mariadb');
  try {
    const s = db.sequelize;
    s.define('Num', {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      d: DataTypes.DOUBLE,
      f: DataTypes.FLOAT,
      t: DataTypes.TINYINT,
      u: DataTypes.INTEGER.UNSIGNED,
      b: DataTypes.BIGINT.UNSIGNED,
      m: DataTypes.MEDIUMINT,
      day: DataTypes.DATEONLY,
      at0: DataTypes.DATE,
      at3: DataTypes.DATE(3),
      clock: DataTypes.TIME,
      yr: DataTypes.INTEGER,
    }, { timestamps: false, tableName: 'num' });
    await s.sync();
    await s.query('ALTER TABLE num MODIFY yr YEAR NULL, MODIFY clock TIME(4) NULL');
    const view = new DataView(new ArrayBuffer(8));
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const rows: string[] = [];
    const specials = [0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e15, 1e16, 1e-15, 1e-14, 1.5e-7, 123456789012345680, 0.1, 1e21, 99999999999999.99, 999999999999999.9, 1e-7];
    for (let i = 0; i < 3000; i++) {
      let d: number;
      if (i < specials.length) d = specials[i];
      else if (i % 3 === 0) d = (next() - 2 ** 31) * 10 ** ((next() % 40) - 20);
      else {
        do {
          view.setUint32(0, next());
          view.setUint32(4, next());
          d = view.getFloat64(0);
        } while (!Number.isFinite(d));
      }
      const n = (v: string) => (next() % 7 === 0 ? 'NULL' : v);
      const two = (v: number) => String(v).padStart(2, '0');
      rows.push(`(${i}, ${n(Object.is(d, -0) ? '-0e0' : String(d))}, ${n(String(Math.fround((next() % 2000000) / 7)))}, ${n(String((next() % 256) - 128))}, ${n(String(next()))}, ${n(String((BigInt(next()) << 32n) | BigInt(next())))}, ${n(String((next() % 16777216) - 8388608))}, ${n(`'${1000 + (next() % 9000)}-${two(1 + (next() % 12))}-${two(1 + (next() % 28))}'`)}, ${n(`'2024-02-29 ${two(next() % 24)}:${two(next() % 60)}:${two(next() % 60)}'`)}, ${n(`'1970-01-01 00:00:01.${String(next() % 1000).padStart(3, '0')}'`)}, ${n(`'${next() % 2 ? '-' : ''}${next() % 839}:${two(next() % 60)}:${two(next() % 60)}.${String(next() % 10000).padStart(4, '0')}'`)}, ${n(String(next() % 3 ? 1901 + (next() % 255) : 0))})`);
    }
    await s.query(`INSERT INTO num VALUES ${rows.join(', ')}`);
    // Zero dates the server keeps when strict mode allows.
    await s.query("SET SESSION sql_mode = ''");
    await s.query("INSERT INTO num (id, day, at0, at3, clock) VALUES (5000, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '00:00:00')");
    const run = (binary: boolean) => mariaCellsWith(s, { binary });
    const before = { ...rawResults };
    const binary = await run(true);
    assert.equal(rawResults, { binary: before.binary + 1, text: before.text }, 'the table was read as binary rows');
    const text = await run(false);
    assert.is(rawResults.text, before.text + 1);
    assert.is(binary.rows, 3001);
    assert.ok(binary.cells.equals(text.cells), 'binary-protocol and text-protocol cells differ');
  } finally {
    await db.drop();
  }
});

/** 100,000 doubles from random bits (subnormals and all), with ±0, integers, short decimals, and the neighbours of powers of ten and two. */
function manyDoubles(): number[] {
  const view = new DataView(new ArrayBuffer(8));
  let seed = 424242;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const out: number[] = [0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308];
  const near = (x: number, steps: number) => {
    view.setFloat64(0, x);
    view.setBigUint64(0, view.getBigUint64(0) + BigInt(steps));
    return view.getFloat64(0);
  };
  for (let e = -8; e <= 18; e++) for (const j of [-2, -1, 0, 1, 2]) out.push(near(10 ** e, j));
  for (let e = -30; e <= 60; e += 3) for (const j of [-1, 0, 1]) out.push(near(2 ** e, j));
  while (out.length < 100_000) {
    const kind = next() % 5;
    let d: number;
    if (kind === 0 || kind === 1) {
      do {
        view.setUint32(0, next());
        view.setUint32(4, next());
        d = view.getFloat64(0);
      } while (!Number.isFinite(d));
    } else if (kind === 2) d = (next() - 2 ** 31) * 10 ** ((next() % 40) - 20);
    else if (kind === 3) d = (next() % 10_000_000) / 10 ** (next() % 9);
    else d = near([1e15, 1e16, 1e17, 1e-6, 1e-5][next() % 5], (next() % 2001) - 1000) * (next() % 2 ? 1 : -1);
    out.push(d);
  }
  return out;
}

test('doubleAt writes the bytes of doubleText (100,000 doubles)', () => {
  const src = new Uint8Array(8);
  const view = new DataView(src.buffer);
  const out = new Uint8Array(400);
  for (const x of manyDoubles()) {
    view.setFloat64(0, x, true);
    const end = doubleAt(out, 0, src, 0);
    assert.is(Buffer.from(out.subarray(0, end)).toString('latin1'), doubleText(x), String(x));
  }
});

test('doubleAt makes no JS object per plain double (a boxed argument per value raised the peak memory)', async () => {
  // Prices like the bench's (n / 7 with 4 decimals): the plain-decimal path, once optimized.
  const src = new Uint8Array(8);
  const view = new DataView(src.buffer);
  const out = new Uint8Array(64);
  const write = (from: number, to: number) => {
    for (let n = from; n < to; n++) {
      view.setFloat64(0, Math.round((n / 7) * 1e4) / 1e4, true);
      doubleAt(out, 0, src, 0);
    }
  };
  write(1, 50_000); // warm-up: the interpreter boxes every intermediate double
  const allocated = await heapAllocated(async () => write(50_000, 250_000));
  // A boxed double (and a boxed word >= 2^30 half the time) per call is ~5 MiB here.
  assert.ok(allocated < 2 << 20, `${(allocated / 1048576).toFixed(1)} MiB of JS objects for 200,000 doubles`);
});

test('real server: 100,000 doubles read as binary rows equal the text the server sends', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const db = await createTestDatabase('mariadb');
  try {
    const s = db.sequelize;
    s.define('Dbl', { id: { type: DataTypes.INTEGER, primaryKey: true }, d: DataTypes.DOUBLE }, { timestamps: false, tableName: 'dbl' });
    await s.sync();
    const doubles = manyDoubles();
    for (let i = 0; i < doubles.length; i += 10_000) {
      const values = doubles.slice(i, i + 10_000).map((d, j) => `(${i + j}, ${Object.is(d, -0) ? '-0e0' : String(d)})`);
      await s.query(`INSERT INTO dbl VALUES ${values.join(', ')}`);
    }
    const run = (binary: boolean) => mariaCellsWith(s, { binary });
    const before = { ...rawResults };
    const binary = await run(true);
    assert.is(rawResults.binary, before.binary + 1);
    const text = await run(false);
    assert.is(binary.rows, 100_000);
    assert.ok(binary.cells.equals(text.cells), 'binary-protocol and text-protocol cells differ');
  } finally {
    await db.drop();
  }
});

test('real server: a consumer leaving mid-result costs only that connection; the next capture works', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const db = await createTestDatabase('mariadb', { pool: { max: 1 } });
  try {
    const s = db.sequelize;
    s.define('Many', { id: { type: DataTypes.INTEGER, primaryKey: true }, v: DataTypes.TEXT }, { timestamps: false, tableName: 'many' });
    await s.sync();
    await s.query(`INSERT INTO many SELECT seq, REPEAT('v', 200) FROM seq_1_to_20000`);
    let seen = 0;
    for await (const chunk of capture({ sequelize: s, registry: new BackupRegistry() })) {
      seen += chunk.length;
      if (seen > 1 << 20) break;
    }
    const again = await cellsOf(await collect(capture({ sequelize: s, registry: new BackupRegistry() })));
    assert.is(again.rows, 20000);
    const [{ n }] = await s.query<{ n: number }>('SELECT COUNT(*) AS n FROM many', { type: QueryTypes.SELECT });
    assert.is(Number(n), 20000);
  } finally {
    await db.drop();
  }
});

test.run();
