// Generates the container test vectors (run once by hand; the files are committed and pinned):
//   node --import tsx test/vectors/container/generate.ts
// Each vector: `key: value` lines, a blank line, then the raw container bytes. Keys:
//   expect: success | format failure | truncated | unsupported version | limit | unrecoverable
//   payload / meta: hex of what must be recovered (success)
//   failed: comma-separated block indices (unrecoverable)
//   reproduce: yes when writing `payload` with the listed parameters must give these exact bytes
//   blocksize, parity, id, created: the writer's parameters
import { writeFileSync } from 'node:fs';
import { protect } from '../../../src/container/index.js';
import { computeLayout, HEAD_SIZE, KIND, encodeParams, PARAMS_LENGTH, SMALL_PARITY, frameSize } from '../../../src/container/format.js';
import { encodeFrame, loadTools } from '../../../src/container/frames.js';
import { seededBytes, seededRandom } from '../../helpers/env.js';

const dir = new URL('.', import.meta.url).pathname;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PAYLOAD = seededBytes(2500, 1);
const META = new TextEncoder().encode('security header bytes');
const ID = seededBytes(16, 2);
const CREATED = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
const params = { blockSize: 1024, parity: 16, id: ID, createdAt: CREATED, meta: META };
const base = await protect(PAYLOAD, params);
const layout = computeLayout({ blockSize: 1024, parity: 16, metaLength: META.length, blockCount: 3, payloadLength: PAYLOAD.length });

function vector(name: string, fields: Record<string, string>, bytes: Uint8Array) {
  const head = Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n');
  writeFileSync(dir + name + '.vector', Buffer.concat([Buffer.from(head + '\n\n'), Buffer.from(bytes)]));
}
const writer = { blocksize: '1024', parity: '16', id: hex(ID), created: CREATED.toISOString() };
const success = (comment: string) => ({ expect: 'success', comment, payload: hex(PAYLOAD), meta: hex(META) });

vector('clean', { ...success('a clean container of 2500 bytes in 3 blocks of 1 KiB'), reproduce: 'yes', ...writer }, base);
const empty = await protect(new Uint8Array(0), params);
vector('empty_payload', { expect: 'success', comment: 'an empty payload is one empty block', payload: '', meta: hex(META), reproduce: 'yes', ...writer }, empty);

{
  const d = base.slice();
  const rnd = seededRandom(3);
  for (let i = 0; i < d.length / 100; i++) d[rnd.int(d.length)] ^= 1 + rnd.int(255);
  vector('random_damage', success('1 % of all bytes changed at random'), d);
}
{
  const d = base.slice();
  // Block 1: first half destroyed in copy 0, second half in copy 1 (touching damage).
  const a = layout.blocks[0] + layout.fullFrame + HEAD_SIZE;
  const b = layout.blocks[1] + layout.fullFrame + HEAD_SIZE;
  d.fill(0xee, a, a + 512);
  d.fill(0x11, b + 512, b + 1024 + 256);
  vector('combined_copies', success('block 1 destroyed in its first half in copy 0 and its second half in copy 1'), d);
}
{
  const d = base.slice();
  d.fill(0, 0, 3000);
  d.fill(0, d.length - 3000);
  vector('both_ends_zeroed', success('3000 bytes zeroed at both ends: header, trailer, two meta copies lost'), d);
}
{
  const at = layout.blocks[1] + 2 * layout.fullFrame + 7;
  const d = Buffer.concat([base.subarray(0, at), Buffer.from(seededBytes(333, 4)), base.subarray(at)]);
  vector('inserted_bytes', success('333 bytes inserted inside copy 1'), d);
}
{
  const at = layout.blocks[0] + 100;
  const d = Buffer.concat([base.subarray(0, at), base.subarray(at + 200)]);
  vector('deleted_bytes', success('200 bytes deleted inside copy 0'), d);
}
vector('truncated_first_copy', { expect: 'truncated', comment: 'cut inside the first copy of the blocks' }, base.subarray(0, layout.blocks[0] + layout.fullFrame + 10));
vector('not_a_container', { expect: 'format failure', comment: 'random bytes' }, seededBytes(5000, 5));
{
  const d = base.slice();
  for (let i = 0; i + 4 < d.length; i++) if (d[i] === 0x89 && d[i + 1] === 0x44 && d[i + 2] === 0x42 && d[i + 3] === 0x53) d[i + 4] = 2;
  vector('unknown_version', { expect: 'unsupported version', comment: 'every head says version 2' }, d);
}
{
  const tools = await loadTools([16]);
  const p = { blockSize: 1024, parity: 16, createdAt: CREATED.getTime(), metaLength: META.length, final: true, blockCount: 0xfffff000, payloadLength: 0xfffff000 * 1024 };
  const d = base.slice();
  d.set(encodeFrame(tools, { kind: KIND.TRAILER, copy: 0, index: 0, flags: 0, id: ID }, encodeParams(p)), d.length - frameSize(PARAMS_LENGTH, SMALL_PARITY));
  vector('absurd_block_count', { expect: 'limit', comment: 'a well-formed trailer claiming 4294963200 blocks' }, d);
}
{
  const d = base.slice();
  for (const c of [0, 1]) {
    const at = layout.blocks[c] + 2 * layout.fullFrame + HEAD_SIZE;
    d.fill(0x42, at + 100, at + 700);
  }
  vector('unrecoverable', { expect: 'unrecoverable', failed: '2', comment: 'block 2 destroyed at the same place in both copies' }, d);
}
console.log('vectors written to', dir);
