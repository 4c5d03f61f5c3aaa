// Sequelize's `timezone` option on restore. Zone-less timestamps (MariaDB DATETIME, PostgreSQL
// `timestamp without time zone`) hold wall time in the application's zone; a backup restored into
// an application with another zone gets the same instants (new wall times), one with the same zone
// gets the bytes as captured. Zone-carrying values (PostgreSQL timestamptz, MariaDB TIMESTAMP read
// in UTC) never change. Zones: fixed offsets and a DST zone (Europe/Berlin); SQLite takes no zone
// but '+00:00' in Sequelize, so it appears here as a cross-dialect source and target.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import momentTz from 'moment-timezone';
import { DataTypes, QueryTypes, type ModelStatic, type Model, type Sequelize } from 'sequelize';
import { createTestDatabase, type TestDatabase, type TestDialect } from '../apps/databases.js';
import { capture } from '../../src/data/capture.js';
import { restore, type RestoreResult } from '../../src/data/restore.js';
import { BackupRegistry } from '../../src/data/registry.js';
import { collect, chunked } from '../../src/io/memory.js';
import { convertCell, shiftsTimestamps, type Side } from '../../src/data/convert.js';
import { serviceAvailable } from './helpers.js';

const ZONES = ['+00:00', '+02:00', '-05:30', 'Europe/Berlin'];

test('conversion rules (no database): what shifts, what never does', () => {
  const maria = (timezone: string, dbType?: string): Side => ({ dialect: 'mariadb', timezone, type: 'DATE', dbType });
  const pg = (timezone: string, dbType?: string): Side => ({ dialect: 'postgres', timezone, type: 'DATE', dbType });
  // DATETIME: wall time moves, fraction digits kept; same zone under another spelling: untouched.
  assert.is(convertCell('2024-07-01 12:00:00.120', maria('+02:00', 'datetime(3)'), maria('-05:30', 'datetime(3)')), '2024-07-01 04:30:00.120');
  assert.is(convertCell('2024-07-01 12:00:00', maria('UTC', 'datetime'), maria('+00:00', 'datetime')), '2024-07-01 12:00:00');
  assert.not.ok(shiftsTimestamps(maria('UTC', 'datetime'), maria('+0:00', 'datetime')));
  // TIMESTAMP is read and written in UTC: never shifts; DATETIME <-> TIMESTAMP drift does.
  assert.not.ok(shiftsTimestamps(maria('+02:00', 'timestamp(3)'), maria('-05:30', 'timestamp')));
  assert.is(convertCell('2024-07-01 12:00:00', maria('+02:00', 'datetime'), maria('+02:00', 'timestamp')), '2024-07-01 10:00:00');
  // Zero dates and other non-instants stay as they are.
  assert.is(convertCell('0000-00-00 00:00:00', maria('+02:00', 'datetime'), maria('-05:30', 'datetime')), '0000-00-00 00:00:00');
  // PostgreSQL: timestamptz never shifts; `timestamp` does, and so does an older backup (no dbType) when zones differ.
  assert.not.ok(shiftsTimestamps(pg('+02:00', 'timestamp with time zone'), pg('-05:30', 'timestamp(3) with time zone')));
  assert.is(convertCell('2024-07-01 12:00:00.5', pg('+02:00', 'timestamp(6) without time zone'), pg('Europe/Berlin', 'timestamp without time zone')), '2024-07-01 12:00:00.5');
  assert.is(convertCell('2024-01-01 12:00:00.5', pg('+02:00', 'timestamp(6) without time zone'), pg('Europe/Berlin', 'timestamp without time zone')), '2024-01-01 11:00:00.5');
  assert.is(convertCell('2024-01-01 10:00:00+00', pg('+02:00'), pg('-05:30', 'timestamp with time zone')), '2024-01-01 10:00:00+00');
  assert.is(convertCell('2024-01-01 10:00:00', pg('+02:00'), pg('-05:30', 'timestamp without time zone')), '2024-01-01 02:30:00');
  assert.not.ok(shiftsTimestamps(pg('+02:00'), pg('+02:00', 'timestamp without time zone')), 'older backup, same zone: the fast path');
  assert.is(convertCell('infinity', pg('+02:00', 'timestamp without time zone'), pg('-05:30', 'timestamp without time zone')), 'infinity');
  // DATEONLY never shifts.
  assert.is(convertCell('2024-07-01', { ...maria('+14:00'), type: 'DATEONLY' }, { ...maria('-12:00'), type: 'DATEONLY' }), '2024-07-01');
});

/** Summer, winter, across midnight, both occurrences of Berlin's repeated hour, right after its skipped hour. */
const INSTANTS = [
  '2024-07-01T12:34:56.789Z',
  '2024-01-15T23:30:00.500Z',
  '2024-10-27T00:30:00.250Z',
  '2024-10-27T01:30:00.250Z',
  '2024-03-31T01:30:00.000Z',
  '1999-12-31T22:15:00.001Z',
];

const SCHEMA: Record<TestDialect, string> = {
  mariadb: 'CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(3) NULL, plain DATETIME NULL, micro DATETIME(6) NULL, stamp TIMESTAMP(3) NULL DEFAULT NULL, day DATE NULL)',
  postgres: 'CREATE TABLE events (id serial PRIMARY KEY, at timestamptz NULL, plain timestamp(0) NULL, micro timestamp(6) NULL, stamp timestamptz(3) NULL, day date NULL)',
  sqlite: '',
};

/** Columns whose stored text is wall time in the application's zone. */
const WALL: Record<TestDialect, string[]> = { mariadb: ['at', 'plain', 'micro'], postgres: ['plain', 'micro'], sqlite: [] };

/**
 * Columns Sequelize 6 reads back as the instant it wrote, per dialect: the pg driver reads
 * `timestamp` in the Node process's zone (not Sequelize's), and the MariaDB dialect reads a
 * TIMESTAMP column's session-zone text as UTC. Those are checked through raw values instead.
 */
const READABLE: Record<TestDialect, string[]> = { mariadb: ['at', 'plain', 'micro'], postgres: ['at', 'stamp'], sqlite: ['at', 'plain', 'micro', 'stamp'] };

interface App {
  db: TestDatabase;
  Event: ModelStatic<Model>;
  zone: string;
}

async function openApp(dialect: TestDialect, zone: string, seed: boolean): Promise<App> {
  const db = await createTestDatabase(dialect, dialect === 'sqlite' ? {} : { timezone: zone });
  const Event = db.sequelize.define(
    'Event',
    { at: DataTypes.DATE(3), plain: DataTypes.DATE, micro: DataTypes.DATE(6), stamp: DataTypes.DATE(3), day: DataTypes.DATEONLY },
    { tableName: 'events', timestamps: false },
  );
  if (dialect === 'sqlite') await Event.sync();
  else await db.sequelize.query(SCHEMA[dialect]);
  if (seed) {
    for (const iso of INSTANTS) {
      const d = new Date(iso);
      await Event.create({ at: d, plain: d, micro: d, stamp: d, day: iso.slice(0, 10) });
    }
    await Event.create({});
    // Microseconds Sequelize cannot write (a JS Date has milliseconds): raw, as another tool would.
    if (dialect === 'mariadb') await db.sequelize.query('UPDATE events SET micro = micro + INTERVAL 123 MICROSECOND');
    if (dialect === 'postgres') await db.sequelize.query("UPDATE events SET micro = micro + interval '123 microseconds'");
  }
  return { db, Event, zone: dialect === 'sqlite' ? '+00:00' : zone };
}

const registry = new BackupRegistry();

async function roundTrip(source: App, target: App, flush = true): Promise<RestoreResult> {
  const payload = await collect(capture({ sequelize: source.db.sequelize, registry }));
  return restore(chunked(payload, 1021), { sequelize: target.db.sequelize, registry, flush });
}

/** Each timestamp column as the database prints it, plus TIMESTAMP/timestamptz as epoch text. */
async function rawRows(s: Sequelize): Promise<Record<string, string | null>[]> {
  const d = s.getDialect() as TestDialect;
  const sql =
    d === 'mariadb'
      ? 'SELECT id, CAST(at AS CHAR) AS at, CAST(plain AS CHAR) AS plain, CAST(micro AS CHAR) AS micro, CAST(UNIX_TIMESTAMP(stamp) AS CHAR) AS stamp, CAST(day AS CHAR) AS day FROM events ORDER BY id'
      : d === 'postgres'
        ? 'SELECT id, extract(epoch FROM at)::text AS at, plain::text AS plain, micro::text AS micro, extract(epoch FROM stamp)::text AS stamp, day::text AS day FROM events ORDER BY id'
        : 'SELECT id, at, plain, micro, stamp, day FROM events ORDER BY id';
  return (await s.query(sql, { type: QueryTypes.SELECT })) as Record<string, string | null>[];
}

/** What the application reads through its model: instants (ms) and DATEONLY text. */
async function modelRows(app: App): Promise<unknown[]> {
  const rows = await app.Event.findAll({ order: [['id', 'ASC']] });
  return rows.map((r) => {
    const out: Record<string, unknown> = { id: r.get('id'), day: r.get('day') };
    for (const c of READABLE[app.db.dialect]) out[c] = r.get(c) === null ? null : (r.get(c) as Date).getTime();
    return out;
  });
}

/** A zone-less wall time moved from one zone to another (moment-timezone, which Sequelize itself uses), sub-millisecond digits kept. */
function moveWall(text: string, from: string, to: string, dialect: TestDialect): string {
  const m = /^(.{19})(?:\.(\d+))?$/.exec(text)!;
  const digits = m[2] ?? '';
  const zoned = (zone: string, value: string) => (/^[+-]\d\d:\d\d$/.test(zone) ? momentTz.utc(value).utcOffset(zone, true) : momentTz.tz(value, zone));
  const ms = digits.padEnd(3, '0').slice(0, 3);
  const instant = zoned(from, `${m[1]}.${ms}`);
  const moved = /^[+-]\d\d:\d\d$/.test(to) ? instant.clone().utcOffset(to) : instant.clone().tz(to);
  const base = moved.format('YYYY-MM-DD HH:mm:ss');
  if (!digits) return base;
  // MariaDB prints a column's fraction digits in full, PostgreSQL drops trailing zeros.
  const all = (moved.format('SSS') + digits.slice(3)).slice(0, digits.length);
  const fraction = dialect === 'mariadb' ? all : all.replace(/0+$/, '');
  return fraction ? `${base}.${fraction}` : base;
}

/**
 * A row's instants as a zone-less column of `app` can hold them: in a DST zone the second pass of
 * the repeated hour has the same wall time as the first, and reads back as the first (as it would
 * had the application written it through Sequelize itself).
 */
function heldBy(row: unknown, app: App): unknown {
  if (/^[+-]/.test(app.zone)) return row;
  const out = { ...(row as Record<string, unknown>) };
  for (const c of WALL[app.db.dialect]) {
    if (typeof out[c] !== 'number') continue;
    out[c] = momentTz.tz(momentTz(out[c] as number).tz(app.zone).format('YYYY-MM-DD HH:mm:ss.SSS'), app.zone).valueOf();
  }
  return out;
}

for (const dialect of ['mariadb', 'postgres'] as TestDialect[]) {
  test(`${dialect}: every pair of zones ${ZONES.join(' ')} restores the same instants; same zone byte-exact`, async () => {
    if (!(await serviceAvailable(dialect))) return;
    const sources: App[] = [];
    const targets: App[] = [];
    try {
      for (const zone of ZONES) sources.push(await openApp(dialect, zone, true));
      for (const zone of ZONES) targets.push(await openApp(dialect, zone, false));
      for (const source of sources) {
        const sourceRaw = await rawRows(source.db.sequelize);
        const sourceModel = await modelRows(source);
        for (const target of targets) {
          const pair = `${source.zone} -> ${target.zone}`;
          const result = await roundTrip(source, target);
          const shiftWarning = result.warnings.find((w) => w.includes('converted to the same instant'));
          const raw = await rawRows(target.db.sequelize);
          if (source.zone === target.zone) {
            assert.is(shiftWarning, undefined, `${pair}: nothing to convert`);
            assert.equal(raw, sourceRaw, `${pair}: byte-exact`);
          } else {
            for (const c of WALL[dialect]) assert.ok(shiftWarning?.includes(`Event.${c}`), `${pair}: reports Event.${c} converted`);
            assert.not.ok(shiftWarning?.includes('Event.stamp'), `${pair}: a zone-carrying column is not converted`);
            const expected = sourceRaw.map((row) => {
              const out = { ...row };
              for (const c of WALL[dialect]) if (row[c] !== null) out[c] = moveWall(row[c]!, source.zone, target.zone, dialect);
              return out;
            });
            assert.equal(raw, expected, `${pair}: wall times moved to the target's zone, instants kept`);
          }
          assert.equal(await modelRows(target), sourceModel.map((row) => heldBy(row, target)), `${pair}: the application reads the same instants`);
        }
      }
    } finally {
      for (const app of [...sources, ...targets]) await app.db.drop();
    }
  });
}

test('merge into a non-empty target converts the same way', async () => {
  if (!(await serviceAvailable('mariadb'))) return;
  const source = await openApp('mariadb', '+02:00', true);
  const target = await openApp('mariadb', '-05:30', true);
  try {
    await target.db.sequelize.query("UPDATE events SET at = '2000-01-01 00:00:00.000' WHERE id = 1");
    const result = await roundTrip(source, target, false);
    assert.equal(result.nonEmptyModels, ['Event']);
    assert.equal(await modelRows(target), await modelRows(source));
  } finally {
    await source.db.drop();
    await target.db.drop();
  }
});

/** The `stamp` column's instants (ms) from the database's own values. */
async function stampEpochs(app: App): Promise<(number | null)[]> {
  const rows = await rawRows(app.db.sequelize);
  return rows.map((r) => (r.stamp === null ? null : app.db.dialect === 'sqlite' ? new Date(r.stamp).getTime() : Math.round(Number(r.stamp) * 1000)));
}

/** Instants of the columns both dialects read as instants through the model. */
async function instants(app: App, columns: string[]): Promise<unknown[]> {
  const rows = await app.Event.findAll({ order: [['id', 'ASC']] });
  return rows.map((r) => columns.map((c) => (r.get(c) === null ? null : (r.get(c) as Date).getTime())));
}

const CROSS: [TestDialect, string, TestDialect, string][] = [
  ['mariadb', '+02:00', 'postgres', 'Europe/Berlin'],
  ['mariadb', 'Europe/Berlin', 'sqlite', '+00:00'],
  ['postgres', '-05:30', 'mariadb', 'Europe/Berlin'],
  ['sqlite', '+00:00', 'mariadb', '-05:30'],
  ['sqlite', '+00:00', 'postgres', '+02:00'],
  ['postgres', 'Europe/Berlin', 'sqlite', '+00:00'],
];

for (const [from, fromZone, to, toZone] of CROSS) {
  test(`cross-dialect: ${from} ${fromZone} -> ${to} ${toZone} keeps every instant`, async () => {
    if (!(await serviceAvailable(from)) || !(await serviceAvailable(to))) return;
    const source = await openApp(from, fromZone, true);
    const target = await openApp(to, toZone, false);
    try {
      await roundTrip(source, target);
      const both = READABLE[from].filter((c) => READABLE[to].includes(c));
      assert.equal(await stampEpochs(target), await stampEpochs(source), 'stamp: the same stored instants');
      const reduce = (rows: unknown[]) => (rows as (number | null)[][]).map((r) => r.map((v, i) => (v === null ? null : both[i] === 'plain' && (from === 'mariadb' || to === 'mariadb' || from === 'postgres' || to === 'postgres') ? Math.floor(v / 1000) : v)));
      const held = (await instants(source, both)).map((r) => {
        const row = Object.fromEntries(both.map((c, i) => [c, (r as unknown[])[i]]));
        const h = heldBy(row, target) as Record<string, unknown>;
        return both.map((c) => h[c]);
      });
      assert.equal(reduce(await instants(target, both)), reduce(held));
      if (to === 'postgres') {
        // `timestamp` columns hold the target application's wall time.
        const sourceRows = await source.Event.findAll({ order: [['id', 'ASC']] });
        const raw = await rawRows(target.db.sequelize);
        sourceRows.forEach((r, i) => {
          const at = r.get('at') as Date | null;
          if (!at || from === 'postgres') return;
          const wall = (/^[+-]/.test(toZone) ? momentTz(at).utcOffset(toZone) : momentTz(at).tz(toZone)).format('YYYY-MM-DD HH:mm:ss.SSS').replace(/\.?0+$/, '');
          assert.is(String(raw[i].micro).slice(0, wall.length), wall, `row ${i + 1}: micro is ${toZone} wall time`);
        });
      }
    } finally {
      await source.db.drop();
      await target.db.drop();
    }
  });
}

test.run();
