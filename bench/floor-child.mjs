// The least any Sequelize backup on this stack must do, in its own process, timed by
// bench/pipeline.bench.ts beside `dbs backup`: start Node, load the app's config (Sequelize and
// its models), read every row (COPY text, the data layer's capture) and compress it with DEFLATE
// level 1 on the thread pool, then throw the bytes away. No key derivation, encryption, hashing,
// parity, file or read-back, so a backup that does all of those cannot be faster than this.
//   node bench/floor-child.mjs <config module>
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { capture } from '../dist/src/data/index.js';
import { compressStream } from '../dist/src/pipeline/compress.js';

const mod = await import(pathToFileURL(resolve(process.argv[2])).href);
const config = await (typeof mod.default === 'function' ? mod.default() : mod.default);
let raw = 0;
let compressed = 0;
const counted = async function* (stream) {
  for await (const chunk of stream) {
    raw += chunk.length;
    yield chunk;
  }
};
for await (const part of compressStream(counted(capture({ sequelize: config.sequelize })))) compressed += part.length;
await config.sequelize.close();
if (raw === 0 || compressed === 0) throw new Error('floor child captured nothing');
console.error(JSON.stringify({ raw, compressed }));
