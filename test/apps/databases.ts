// Throw-away databases for tests: each call creates a fresh database (dbs_test_<random>) on the
// local PostgreSQL or MariaDB, or a temporary SQLite file, and returns a Sequelize instance on it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequelize, type Options } from 'sequelize';

export type TestDialect = 'sqlite' | 'postgres' | 'mariadb';
export const DIALECTS: TestDialect[] = ['sqlite', 'postgres', 'mariadb'];

const PG = { host: '127.0.0.1', port: 5432, username: 'postgres', password: '' };
const MARIA = { host: '127.0.0.1', port: 3306, username: 'root', password: '' };

export interface TestDatabase {
  dialect: TestDialect;
  name: string;
  sequelize: Sequelize;
  /** Closes the instance and drops the database (or removes the SQLite file). */
  drop(): Promise<void>;
}

/** Probes a dialect's server (for requireService). */
export async function probe(dialect: TestDialect): Promise<void> {
  if (dialect === 'sqlite') return;
  const s = dialect === 'postgres' ? new Sequelize('postgres', PG.username, PG.password, { ...PG, dialect, logging: false }) : new Sequelize('', MARIA.username, MARIA.password, { ...MARIA, dialect, logging: false });
  try {
    await s.authenticate();
  } finally {
    await s.close();
  }
}

export async function createTestDatabase(dialect: TestDialect, options: Options = {}): Promise<TestDatabase> {
  const name = `dbs_test_${randomBytes(5).toString('hex')}`;
  const base: Options = { logging: false, ...options };
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'dbs-sqlite-'));
    let sequelize: Sequelize;
    try {
      sequelize = new Sequelize({ ...base, dialect: 'sqlite', storage: join(dir, `${name}.sqlite`) });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return { dialect, name, sequelize, drop: async () => { await sequelize.close(); await rm(dir, { recursive: true, force: true }); } };
  }
  if (dialect === 'postgres') {
    const admin = new Sequelize('postgres', PG.username, PG.password, { ...PG, dialect, logging: false });
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.close();
    const sequelize = new Sequelize(name, PG.username, PG.password, { ...PG, ...base, dialect });
    return {
      dialect, name, sequelize,
      drop: async () => {
        await sequelize.close();
        const a = new Sequelize('postgres', PG.username, PG.password, { ...PG, dialect, logging: false });
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.close();
      },
    };
  }
  const admin = new Sequelize('', MARIA.username, MARIA.password, { ...MARIA, dialect, logging: false });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.close();
  const sequelize = new Sequelize(name, MARIA.username, MARIA.password, { ...MARIA, ...base, dialect });
  return {
    dialect, name, sequelize,
    drop: async () => {
      await sequelize.close();
      const a = new Sequelize('', MARIA.username, MARIA.password, { ...MARIA, dialect, logging: false });
      await a.query(`DROP DATABASE IF EXISTS ${name}`);
      await a.close();
    },
  };
}
