// A backup that fails in a later stage stops its capture: on PostgreSQL the capture's connection
// (inside its snapshot transaction, in the middle of a COPY) goes back to the pool, so the app
// keeps working and closing the pool finishes. Before, a container stage that failed before
// reading its input (options refused, codec not loading) left the capture suspended: with a pool
// of one the next query waited forever, and `dbs backup` hung in its final pool close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase } from '../apps/databases.js';
import { serviceAvailable } from '../data/helpers.js';
import { createBackup } from '../../src/pipeline/api.js';
import { UsageError } from '../../src/errors.js';
import { rejects } from '../helpers/assert.js';

const kdf = { memoryKiB: 8192, passes: 1, parallelism: 1 };

/** `work`, or an error naming `what` after `ms` (a hang fails the test instead of stalling the suite). */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

test('PostgreSQL: a container stage failing while the COPY is under way gives the connection back', async () => {
  if (!(await serviceAvailable('postgres'))) return;
  const db = await createTestDatabase('postgres', { pool: { max: 1 } });
  let closed = false;
  try {
    db.sequelize.define('Blob', { text: 'TEXT' as never }, { tableName: 'blobs', timestamps: false });
    await db.sequelize.query('CREATE TABLE blobs (id serial PRIMARY KEY, text text)');
    // ~50 MB of random hex text (about half of it left after compression): far more than the
    // read-ahead holds, so the COPY is mid-way when the container refuses its block size.
    await db.sequelize.query(`INSERT INTO blobs (text)
      SELECT (SELECT string_agg(md5(random()::text || i || j), '') FROM generate_series(1, 16) AS j) FROM generate_series(1, 100000) AS i`);
    await rejects(() => createBackup('p', { sequelize: db.sequelize, kdf, blockSize: 1000, logger: {} }), (e) => e instanceof UsageError && /blockSize/.test((e as Error).message));
    const [rows] = await within(5000, 'a query on the pool of one after the failed backup', db.sequelize.query('SELECT count(*)::int AS n FROM blobs'));
    assert.equal(rows, [{ n: 100000 }]);
    await within(5000, 'closing the pool', db.sequelize.close());
    closed = true;
  } finally {
    // drop() closes the pool again (harmless once closed); a hung pool is not waited for.
    if (closed) await db.drop();
  }
});

test.run();
