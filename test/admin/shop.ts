// A small Sequelize application on a real PostgreSQL database of its own, for the admin router and
// validator tests: authors and their books (a foreign key, dates, decimals, JSON, text that does
// not compress much, so a backup spans many blocks). Each test file creates and drops its database.
import { DataTypes, Sequelize, type ModelStatic, type Model } from 'sequelize';
import pg from 'pg';
import { requireService, seededRandom } from '../helpers/env.js';

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };

export function requirePostgres(): Promise<boolean> {
  return requireService('PostgreSQL', async () => {
    const client = new pg.Client({ ...PG, database: 'postgres', connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.end();
  });
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ ...PG, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface Shop {
  sequelize: Sequelize;
  Author: ModelStatic<Model>;
  Book: ModelStatic<Model>;
  /** Every row of both tables, ordered, as plain JSON (what a restore must bring back). */
  rows(): Promise<unknown>;
  close(): Promise<void>;
}

/** Creates database `name` (dropped first if left over), its tables, and `books` seeded rows. */
export async function openShop(name: string, options: { books?: number; seed?: number } = {}): Promise<Shop> {
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  const sequelize = new Sequelize(name, PG.user, '', { host: PG.host, port: PG.port, dialect: 'postgres', logging: false });
  const Author = sequelize.define('Author', { name: { type: DataTypes.STRING, allowNull: false } }, { tableName: 'authors' });
  const Book = sequelize.define(
    'Book',
    {
      title: { type: DataTypes.STRING, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2) },
      published: { type: DataTypes.DATEONLY },
      notes: { type: DataTypes.TEXT },
      tags: { type: DataTypes.JSONB },
    },
    { tableName: 'books' },
  );
  Author.hasMany(Book, { foreignKey: { name: 'authorId', allowNull: false } });
  Book.belongsTo(Author, { foreignKey: { name: 'authorId', allowNull: false } });
  await sequelize.sync();

  const books = options.books ?? 0;
  if (books > 0) {
    const random = seededRandom(options.seed ?? 7);
    const letters = 'abcdefghijklmnopqrstuvwxyz0123456789 ';
    const text = (n: number) => Array.from({ length: n }, () => letters[random.int(letters.length)]).join('');
    const authors = await Author.bulkCreate(Array.from({ length: 12 }, (_, i) => ({ name: `Author ${i} <${text(6)}>` })));
    const rows = Array.from({ length: books }, (_, i) => ({
      title: `Book ${i}: ${text(12)}`,
      price: (random.int(100000) / 100).toFixed(2),
      published: `20${10 + random.int(15)}-0${1 + random.int(9)}-1${random.int(9)}`,
      notes: text(200 + random.int(400)),
      tags: { n: i, tag: text(5) },
      authorId: (authors[random.int(authors.length)] as unknown as { id: number }).id,
    }));
    for (let i = 0; i < rows.length; i += 500) await Book.bulkCreate(rows.slice(i, i + 500));
  }

  return {
    sequelize,
    Author,
    Book,
    async rows() {
      const [authors] = await sequelize.query('SELECT id, name, "createdAt", "updatedAt" FROM authors ORDER BY id');
      const [bookRows] = await sequelize.query('SELECT id, title, price::text, published::text, notes, tags::text, "authorId", "createdAt", "updatedAt" FROM books ORDER BY id');
      return JSON.parse(JSON.stringify({ authors, books: bookRows }));
    },
    async close() {
      await sequelize.close();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
