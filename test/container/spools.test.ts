// Every spool gives the same, clean container: the writer hands a spool each batch of frames under
// copy-1 heads and then reuses that buffer for copy 0, so a spool must copy or persist a chunk
// before write() resolves. A spool that kept the chunk itself would store copy 0's heads twice,
// which the report shows as a damaged second copy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeContainer, openContainer, protect } from '../../src/container/index.js';
import { memorySource, memorySpool, collect, chunked } from '../../src/io/memory.js';
import { fileSpool } from '../../src/io/file.node.js';
import { blobSpool } from '../../web/src/spool.js';
import type { SpoolFactory } from '../../src/io/types.js';
import { seededBytes } from '../helpers/env.js';

const PAYLOAD = seededBytes(3 * (1 << 20) + 12345, 31);
const options = { meta: seededBytes(100, 32), id: seededBytes(16, 33), createdAt: new Date(1_750_000_000_000) };

test('memory, file and Blob spools give identical containers whose both copies are intact', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dbs-spools-'));
  try {
    const expected = await protect(PAYLOAD, options);
    const spools: [string, SpoolFactory][] = [['memory', memorySpool], ['file', () => fileSpool(dir)], ['blob', blobSpool]];
    for (const [name, spool] of spools) {
      const bytes = await collect(writeContainer(chunked(PAYLOAD, 777_777), { ...options, spool }));
      assert.ok(Buffer.from(bytes).equals(Buffer.from(expected)), `${name} spool: same bytes as protect()`);
      const report = await (await openContainer(memorySource(bytes))).validate();
      assert.ok(report.ok && !report.healed, `${name} spool: ${report.summary()}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
