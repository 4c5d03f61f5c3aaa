// One step of bench/data.bench.ts in its own process, so its peak memory is its own. Plain
// JavaScript on the built dist/ (npm run bench builds it first), so no TypeScript loader sits in
// the measured memory; without dist/ it runs the sources under tsx (and says so).
//   node bench/data-child.mjs schema  <dialect> <database>
//   node bench/data-child.mjs capture <dialect> <database> <payload file>
//   node bench/data-child.mjs restore <dialect> <database> <payload file> [infile]
import { existsSync, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { DataTypes, Sequelize } from 'sequelize';

const built = new URL('../dist/src/data/index.js', import.meta.url);
// DBS_DATA_MODULE: another build of the data layer (bench/data.bench.ts's baseline rows).
const baseline = process.env.DBS_DATA_MODULE;
const data = baseline
  ? await import(pathToFileURL(baseline).href)
  : existsSync(built)
    ? await import(built.href)
    : await import(new URL('../src/data/index.ts', import.meta.url).href);

export function defineModels(sequelize) {
  const Customer = sequelize.define('Customer', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    name: DataTypes.STRING,
    email: DataTypes.STRING,
    balance: DataTypes.DECIMAL(12, 2),
    active: DataTypes.BOOLEAN,
    meta: DataTypes.JSON,
    joined: DataTypes.DATE(6),
  }, { timestamps: false });
  const Order = sequelize.define('Order', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    total: DataTypes.DECIMAL(12, 2),
    status: DataTypes.ENUM('new', 'paid', 'shipped'),
    placed: DataTypes.DATE(6),
    note: DataTypes.TEXT,
  }, { timestamps: false });
  const Item = sequelize.define('Item', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    sku: DataTypes.STRING(32),
    qty: DataTypes.INTEGER,
    price: DataTypes.DOUBLE,
  }, { timestamps: false });
  Order.belongsTo(Customer, { foreignKey: 'customerId' });
  Item.belongsTo(Order, { foreignKey: 'orderId' });
}

function connect(dialect, database, infile) {
  return dialect === 'postgres'
    ? new Sequelize(database, 'postgres', '', { host: '127.0.0.1', port: 5432, dialect, logging: false })
    : new Sequelize(database, 'root', '', { host: '127.0.0.1', port: 3306, dialect, logging: false, dialectOptions: infile ? { permitLocalInfile: true } : {} });
}

const [what, dialect, name, file, variant] = process.argv.slice(2);
const sequelize = connect(dialect, name, variant === 'infile');
defineModels(sequelize);
let bytes = 0;
let rows = 0;
const start = performance.now();
if (what === 'schema') {
  await sequelize.sync();
} else if (what === 'capture') {
  const out = createWriteStream(file);
  for await (const chunk of data.capture({ sequelize, registry: new data.BackupRegistry() })) {
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
} else if (what === 'restore') {
  const handle = await open(file, 'r');
  const stream = async function* () {
    for (;;) {
      const buffer = new Uint8Array(1 << 20);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      bytes += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  };
  const result = await data.restore(stream(), { sequelize, registry: new data.BackupRegistry() });
  rows = result.rows;
  await handle.close();
} else throw new Error(`unknown step ${what}`);
const seconds = (performance.now() - start) / 1000;
await sequelize.close();
console.log(JSON.stringify({ seconds, peakMiB: process.resourceUsage().maxRSS / 1024, bytes, rows, source: baseline ? 'baseline' : existsSync(built) ? 'dist' : 'src (tsx)' }));
