import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, removeTemporaryFiles } from '../../src/pipeline/atomic.js';
import { OutputError } from '../../src/errors.js';
import { chunked } from '../../src/io/memory.js';
import { seededBytes } from '../helpers/env.js';
import { rejects } from '../helpers/assert.js';

const dir = mkdtempSync(join(tmpdir(), 'dbs-atomic-'));
const data = seededBytes(300_000, 1);

test('writes the bytes and leaves no temporary file', async () => {
  const sub = join(dir, 'ok');
  mkdirSync(sub);
  const target = join(sub, 'ok.dbs');
  const { size } = await writeFileAtomic(target, chunked(data, 4096));
  assert.is(size, data.length);
  assert.equal(new Uint8Array(readFileSync(target)), data);
  assert.equal(readdirSync(sub), ['ok.dbs']);
});

test('refuses an existing target unless overwrite, then replaces it', async () => {
  const target = join(dir, 'exists.dbs');
  writeFileSync(target, 'old');
  await rejects(() => writeFileAtomic(target, chunked(data)), (e) => e instanceof OutputError && /already exists/.test((e as Error).message));
  assert.is(readFileSync(target, 'utf8'), 'old');
  await writeFileAtomic(target, chunked(data), { overwrite: true });
  assert.is(readFileSync(target).length, data.length);
});

test('a missing directory is a clear OutputError', async () => {
  await rejects(
    () => writeFileAtomic(join(dir, 'no/such/dir/x.dbs'), chunked(data)),
    (e) => e instanceof OutputError && /does not exist/.test((e as Error).message) && /mkdir -p/.test((e as OutputError).hint ?? ''),
  );
});

test('a failing source stream leaves nothing behind', async () => {
  const sub = join(dir, 'failing');
  mkdirSync(sub);
  async function* broken() {
    yield data.subarray(0, 1000);
    throw new Error('database went away');
  }
  await rejects(() => writeFileAtomic(join(sub, 'x.dbs'), broken()), (e) => (e as Error).message === 'database went away');
  assert.equal(readdirSync(sub), []);
});

test('a failed verification leaves nothing under the target name', async () => {
  const sub = join(dir, 'verify');
  mkdirSync(sub);
  let seen = 0;
  await rejects(
    () =>
      writeFileAtomic(join(sub, 'x.dbs'), chunked(data), {
        verify: async (temp) => {
          seen = readFileSync(temp).length;
          throw new Error('verification failed');
        },
      }),
    (e) => (e as Error).message === 'verification failed',
  );
  assert.is(seen, data.length);
  assert.equal(readdirSync(sub), []);
});

test('abort signal stops the write and cleans up', async () => {
  const sub = join(dir, 'abort');
  mkdirSync(sub);
  const controller = new AbortController();
  async function* slow() {
    yield data.subarray(0, 100);
    controller.abort();
    yield data.subarray(100, 200);
  }
  await rejects(() => writeFileAtomic(join(sub, 'x.dbs'), slow(), { signal: controller.signal }), (e) => (e as Error).name === 'AbortError');
  assert.equal(readdirSync(sub), []);
});

test('removeTemporaryFiles removes files in flight (what the signal handlers call)', async () => {
  const sub = join(dir, 'signal');
  mkdirSync(sub);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* paused() {
    yield data.subarray(0, 100);
    await gate;
    yield data.subarray(100, 200);
  }
  const writing = writeFileAtomic(join(sub, 'x.dbs'), paused());
  await new Promise((r) => setTimeout(r, 50));
  assert.is(readdirSync(sub).length, 1);
  assert.ok(readdirSync(sub)[0].endsWith('.dbs-partial'));
  removeTemporaryFiles();
  assert.equal(readdirSync(sub), []);
  release();
  await rejects(() => writing, (e) => e instanceof OutputError);
  assert.equal(readdirSync(sub), []);
});

function canMount(): boolean {
  try {
    const probe = join(dir, 'probe');
    mkdirSync(probe);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  }
}

const mounting = canMount();
if (!mounting) console.log('NOTICE: cannot mount tmpfs here (not root); disk-full and read-only cases use ulimit/chmod only');

test('disk full (a 128 KiB tmpfs) is an OutputError and leaves nothing', async () => {
  if (!mounting) return;
  const small = join(dir, 'small');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', small]);
  try {
    await rejects(
      () => writeFileAtomic(join(small, 'x.dbs'), chunked(data, 8192)),
      (e) => e instanceof OutputError && /no space/.test((e as Error).message),
    );
    assert.equal(readdirSync(small), []);
  } finally {
    execFileSync('umount', [small]);
  }
});

test('a read-only directory is an OutputError and leaves nothing', async () => {
  if (!mounting) return;
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', ro]);
  try {
    await rejects(() => writeFileAtomic(join(ro, 'x.dbs'), chunked(data)), (e) => e instanceof OutputError && /cannot write/.test((e as Error).message));
    assert.equal(readdirSync(ro), []);
  } finally {
    execFileSync('umount', [ro]);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
