// Container throughput: encode, clean validate, heal at 1e-3 and at 8 errors per codeword, each
// next to a memory copy and BLAKE2b measured in this run and beside par2 (create -r10, verify,
// repair) on the same data; plus the streaming path's peak memory (measured in a child process
// that streams a generated payload through files, so the payload never sits in memory).
// DBS_BENCH_MIB sets the payload size (default 256); DBS_BENCH_RUNS the runs per figure (default 3);
// DBS_BENCH_SKIP=par2,memory leaves those sections out.
// Single-thread figures use this process's CPU time (the machine is shared; DBS_BENCH_CLOCK=wall
// for wall time); figures with worker threads use wall time (that is what more cores buy).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBLAKE2b } from 'hash-wasm';
import { writeContainer, openContainer, healContainer } from '../src/container/index.js';
import { blockLayout, loadCodec } from '../src/integrity/codec.js';
import { loadBlake2b } from '../src/integrity/blake2b.js';
import { computeLayout, frameSize, HEAD_SIZE } from '../src/container/format.js';
import { encodeBatch } from '../src/container/blocks.js';
import { loadTools } from '../src/container/frames.js';
import { memorySource, memorySpool, collect } from '../src/io/memory.js';
import { fileSource, fileSpool } from '../src/io/file.node.js';
import type { ByteSource } from '../src/io/types.js';
import { MiB, fmt, hasTool, mbps, peakRssMiB, row, section, timeCommand, timeIt as wallTime } from './lib.js';
import { workerEngine } from '../src/container/pool.node.js';
import { availableParallelism, loadavg } from 'node:os';

const SIZE = Number(process.env.DBS_BENCH_MIB ?? 256) * MiB;
const RUNS = Number(process.env.DBS_BENCH_RUNS ?? 3);
const BLOCK = 65536;
const PARITY = 16;
const CLOCK = process.env.DBS_BENCH_CLOCK === 'wall' ? 'wall' : 'cpu';
/** Sections to leave out while developing, e.g. DBS_BENCH_SKIP=par2,memory. */
const SKIP = new Set((process.env.DBS_BENCH_SKIP ?? '').split(',').filter(Boolean));

/** System share of the median run of the last timeIt on the CPU clock (page faults show up there). */
let lastSystemShare = 0;
/** Seconds of each run of the last timeIt on the CPU clock, in the order they ran. */
let lastRunTimes: number[] = [];

/** Median seconds of `runs` calls, on the chosen clock (CPU time of this process by default). */
async function timeIt(fn: () => unknown | Promise<unknown>, runs = 3): Promise<number> {
  if (CLOCK === 'wall') return wallTime(fn, runs);
  const times: { total: number; system: number }[] = [];
  for (let i = 0; i < runs; i++) {
    await settleGarbage();
    const start = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(start);
    times.push({ total: (used.user + used.system) / 1e6, system: used.system / 1e6 });
  }
  lastRunTimes = times.map((t) => t.total);
  times.sort((a, b) => a.total - b.total);
  const median = times[Math.floor(times.length / 2)];
  lastSystemShare = median.system / median.total;
  return median.total;
}

/**
 * Collects the garbage of earlier runs and sections (hundreds of MiB of buffers) before a timed
 * run, and waits while V8 frees their memory on its background threads: otherwise the run that
 * happens to trigger the collection, or that runs while it is freed, is billed for it (measured:
 * 30-45 ms of system time in the first validate run after encode, none in the next).
 */
async function settleGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * Wall-clock rate of `fn` over RUNS runs (median), with the CPU time of every thread of this
 * process in the same runs: on a shared machine the wall figure is only as good as the cores we got.
 */
async function parallelTime(fn: () => Promise<unknown>): Promise<{ rate: number; detail: string }> {
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await oneRun(fn));
  return summarise(runs);
}

/** One call's wall time and the CPU time of every thread of this process over it. */
async function oneRun(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** parallelTime for several variants, their runs alternated (A B A B ...) so load from others hits each alike. */
async function alternated(fns: (() => Promise<unknown>)[]): Promise<{ rate: number; detail: string }[]> {
  const runs = fns.map(() => [] as { wall: number; cpu: number }[]);
  for (let i = 0; i < RUNS; i++) for (const [n, fn] of fns.entries()) runs[n].push(await oneRun(fn));
  return runs.map(summarise);
}

function summarise(runs: { wall: number; cpu: number }[]): { rate: number; detail: string } {
  const sorted = [...runs].sort((a, b) => a.wall - b.wall);
  const median = sorted[Math.floor(sorted.length / 2)];
  const gib = SIZE / (1 << 30);
  return {
    rate: mbps(SIZE, median.wall),
    detail: `median of ${RUNS}, best ${fmt(mbps(SIZE, sorted[0].wall))} MB/s; ${fmt(median.cpu / median.wall, 2)} cores busy, ${fmt(median.cpu / gib, 2)} CPU-s/GiB`,
  };
}

/** encodeBatch over the payload, one reused batch buffer: the writer's work without its memory traffic. */
async function blockWorkOnly(payload: Uint8Array): Promise<void> {
  const tools = await loadTools([PARITY]);
  const fullFrame = frameSize(BLOCK, PARITY);
  const perBatch = Math.floor(MiB / fullFrame);
  const buffer = new Uint8Array(perBatch * fullFrame);
  for (let at = 0, index = 0; at < payload.length; index += perBatch) {
    const lengths: number[] = [];
    for (let k = 0; k < perBatch && at < payload.length; k++) {
      const length = Math.min(BLOCK, payload.length - at);
      buffer.set(payload.subarray(at, at + length), k * fullFrame + HEAD_SIZE);
      lengths.push(length);
      at += length;
    }
    encodeBatch(tools, { buffer, lengths, firstIndex: index, endsPayload: at === payload.length, id: new Uint8Array(16), parity: PARITY });
  }
}

if (process.argv[2] === '--memory') await memoryChild();
else await main();

/**
 * MB/s at which a fresh Node process gets `mib` MiB of new memory as 1 MiB Uint8Arrays and writes
 * each of their pages once (CPU time of the child, page faults included; nothing is freed).
 */
function freshTouchRate(mib: number): number {
  const code = `const keep = []; const t = process.cpuUsage();
for (let i = 0; i < ${mib}; i++) { const a = new Uint8Array(1 << 20); for (let j = 0; j < a.length; j += 4096) a[j] = 1; keep.push(a); }
const d = process.cpuUsage(t); console.log((d.user + d.system) / 1e6);`;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`first-touch child failed: ${child.stderr}`);
    times.push(Number(child.stdout.trim()));
  }
  times.sort((a, b) => a - b);
  return mbps(mib * MiB, times[Math.floor(times.length / 2)]);
}

/** A deterministic pseudo-random stream (xorshift over 32-bit words): no payload buffer in memory. */
async function* generated(size: number, piece = MiB) {
  let x = 0x9e3779b9;
  for (let at = 0; at < size; at += piece) {
    const out = new Uint8Array(Math.min(piece, size - at));
    const words = new Uint32Array(out.buffer, 0, out.length >>> 2);
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      words[i] = x;
    }
    yield out;
  }
}

async function main() {
  console.log(`container bench: payload ${fmt(SIZE / MiB)} MiB, blocks of ${BLOCK / 1024} KiB, parity ${PARITY}, ${RUNS} runs (median); ` +
    `single-thread rows on the ${CLOCK === 'cpu' ? 'CPU-time' : 'wall'} clock, worker rows on the wall clock`);
  const payload = await collect(generated(SIZE));
  const chunks = async function* () {
    for (let at = 0; at < SIZE; at += MiB) yield payload.subarray(at, at + MiB);
  };

  section('anchors measured in this run');
  let target: Uint8Array | undefined = new Uint8Array(SIZE);
  const copyRate = mbps(SIZE, await timeIt(() => target!.set(payload), RUNS));
  target = undefined;
  row('memory copy (TypedArray.set)', `${fmt(copyRate)} MB/s`, '6-9 GB/s in measurements.md');
  const blake = await createBLAKE2b(256);
  const hashRate = mbps(SIZE, await timeIt(() => {
    for (let at = 0; at < SIZE; at += BLOCK) blake.init().update(payload.subarray(at, at + BLOCK)).digest('binary');
  }, RUNS));
  row('BLAKE2b-256 hash-wasm, 64 KiB blocks', `${fmt(hashRate)} MB/s`, 'about 850 MB/s in measurements.md');
  // Containers hash with the codec module's own BLAKE2b (one copy into WASM serves hash and parity).
  const ours = await loadBlake2b();
  const ourHashRate = mbps(SIZE, await timeIt(() => {
    for (let at = 0; at < SIZE; at += BLOCK) ours.digest(payload.subarray(at, at + BLOCK), 32);
  }, RUNS));
  row('BLAKE2b-256 codec module (ours), 64 KiB', `${fmt(ourHashRate)} MB/s`, `hash-wasm ${fmt(hashRate)} MB/s`);
  // Encode and validate hash two blocks at once (Codec.hashPair: one message per lane of v128).
  const pairCodec = await loadCodec({ parity: PARITY });
  const [digestA, digestB] = [new Uint8Array(32), new Uint8Array(32)];
  const pairRate = mbps(SIZE, await timeIt(() => {
    for (let at = 0; at + 2 * BLOCK <= SIZE; at += 2 * BLOCK) {
      pairCodec.hashPair(payload.subarray(at, at + BLOCK), payload.subarray(at + BLOCK, at + 2 * BLOCK), digestA, digestB);
    }
  }, RUNS));
  row('BLAKE2b-256 ours, two blocks at once (hashPair)', `${fmt(pairRate)} MB/s`, `one at a time ${fmt(ourHashRate)} MB/s`);

  section('dbs container (single thread)');
  let parts: Uint8Array[] = [];
  const encodeTime = await timeIt(async () => {
    parts = [];
    for await (const piece of writeContainer(chunks(), { meta: new Uint8Array(300), blockSize: BLOCK, parity: PARITY, spool: memorySpool })) parts.push(piece);
  }, RUNS);
  const container = await collect(parts);
  parts = [];
  const encodeRate = mbps(SIZE, encodeTime);
  const encodeSystem = lastSystemShare;
  const encodeRuns = lastRunTimes.map((t) => fmt(mbps(SIZE, t))).join(' ');
  row('encode (hash + parity + 2 copies, in memory)', `${fmt(encodeRate)} MB/s`, `copy ${fmt(copyRate)}, BLAKE2b ${fmt(hashRate)}; runs in order ${encodeRuns}`, { ok: encodeRate >= 400, text: '>= 400 MB/s' });
  // What the row above costs beyond the block work: this consumer keeps every piece (and the memory
  // spool every copy-1 batch), about 2.14x the payload in memory touched for the first time, whose
  // page faults are billed as system time. The block work alone runs over one reused batch.
  const blockRate = mbps(SIZE, await timeIt(() => blockWorkOnly(payload), RUNS));
  row('  block work alone (hash, parity, heads; warm)', `${fmt(blockRate)} MB/s`, `encode spent ${fmt(100 * encodeSystem, 0)}% in system time`);
  console.log(`  (container ${fmt(container.length / MiB, 1)} MiB for ${fmt(SIZE / MiB)} MiB of payload: ${fmt(container.length / SIZE, 3)}x)`);
  // The ceiling of an in-memory encode on this machine: the block work above plus touching, for the
  // first time, the memory that holds the container (expansion x the payload). A new process (one
  // `dbs backup`, one protect() call) has no freed memory to reuse, so every page of the output is a
  // page fault; measured in a fresh child, like the writer's batches (1 MiB buffers).
  const touchRate = freshTouchRate(Math.ceil((container.length / MiB))); // MB/s
  const ceiling = 1 / (1 / blockRate + (container.length / SIZE) / touchRate);
  row('  first touch of fresh memory (new 1 MiB buffers, fresh process)', `${fmt(touchRate)} MB/s`, 'page faults; a copy into memory already touched runs at the copy rate above');
  row('  ceiling for a fresh process encoding in memory: block work + first touch', `${fmt(ceiling)} MB/s`,
    `1 / (1/${fmt(blockRate)} + ${fmt(container.length / SIZE, 3)}/${fmt(touchRate)}); a fresh process on 2 cores at most ${fmt(2 * ceiling)}; ` +
    `targets 400 / 700 are ${ceiling >= 400 ? 'under' : 'above'} / ${2 * ceiling >= 700 ? 'under' : 'above'} it`);

  const validateTime = await timeIt(async () => {
    const report = await (await openContainer(memorySource(container))).validate();
    if (!report.ok || report.healed) throw new Error(`clean container did not validate clean: ${report.summary()}`);
  }, RUNS);
  const validateRate = mbps(SIZE, validateTime);
  row('validate, clean file (both copies checked)', `${fmt(validateRate)} MB/s`, `BLAKE2b hash-wasm ${fmt(hashRate)}, ours in pairs ${fmt(pairRate)}`, { ok: validateRate >= 700, text: '>= 700 MB/s' });
  // The row above reads the container in memory (memorySource: no copy); from a file every byte
  // is also copied out of the page cache (fileSource.readInto into the reader's reused windows).
  {
    const dir = mkdtempSync(join(tmpdir(), 'dbs-bench-validate-'));
    try {
      const path = join(dir, 'c.dbs');
      writeFileSync(path, container);
      const fileRate = mbps(SIZE, await timeIt(async () => {
        const source = await fileSource(path);
        try {
          const report = await (await openContainer(source)).validate();
          if (!report.ok || report.healed) throw new Error(`clean container file did not validate clean: ${report.summary()}`);
        } finally {
          await source.close?.();
        }
      }, RUNS));
      row('  (the same, read from a file in the page cache)', `${fmt(fileRate)} MB/s`, `BLAKE2b ${fmt(hashRate)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const layout = computeLayout({ blockSize: BLOCK, parity: PARITY, metaLength: 300, blockCount: Math.ceil(SIZE / BLOCK), payloadLength: SIZE });
  const readBack = async (bytes: Uint8Array, what: string) => {
    const reader = await openContainer(memorySource(bytes));
    let n = 0;
    for await (const piece of reader.payload()) n += piece.length;
    if (n !== SIZE || !reader.report?.ok) throw new Error(`${what}: payload not fully recovered`);
    return reader.report;
  };

  // 1e-3 of all bytes, uniformly over the file (both copies, heads, manifests, meta).
  const sparse = container.slice();
  let x = 12345;
  const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  for (let n = Math.round(sparse.length * 1e-3); n > 0; n--) sparse[rnd() % sparse.length] ^= 1 + (rnd() % 255);
  let report = await readBack(sparse, '1e-3');
  const healSparse = mbps(SIZE, await timeIt(() => readBack(sparse, '1e-3'), RUNS));
  row('heal, 1e-3 of bytes corrupted (read payload)', `${fmt(healSparse)} MB/s`, `${report.repairedByRS} RS, ${report.combined} combined`, { ok: healSparse >= 100, text: '>= 100 MB/s' });

  // 8 byte errors in every codeword of both copies.
  let dense: Uint8Array | undefined = container.slice();
  const bl = blockLayout(BLOCK, PARITY);
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < layout.blockCount; i++) {
      const body = layout.blocks[c] + i * layout.fullFrame + HEAD_SIZE;
      const length = i === layout.blockCount - 1 ? layout.lastLength : BLOCK;
      const l = blockLayout(length, PARITY);
      const symbols = l.dataPerCodeword + PARITY;
      for (let cw = 0; cw < l.stride; cw++) {
        const picked = new Set<number>();
        while (picked.size < 8) picked.add(rnd() % symbols);
        for (const s of picked) {
          const offset = s < l.dataPerCodeword ? cw + s * l.stride : length + cw + (s - l.dataPerCodeword) * l.stride;
          if (s < l.dataPerCodeword && offset >= length) continue; // padding symbol, not stored
          dense[body + offset] ^= 1 + (rnd() % 255);
        }
      }
    }
  }
  void bl;
  report = await readBack(dense, '8/codeword');
  const healDense = mbps(SIZE, await timeIt(() => readBack(dense!, '8/codeword'), RUNS));
  dense = undefined;
  row('heal, 8 errors in every codeword, both copies', `${fmt(healDense)} MB/s`, `${report.repairedByRS} RS, ${report.combined} combined`, { ok: healDense >= 50, text: '>= 50 MB/s' });

  const healFresh = mbps(SIZE, await timeIt(async () => {
    let n = 0;
    for await (const piece of healContainer(memorySource(sparse), { spool: memorySpool })) n += piece.length;
    if (n !== container.length) throw new Error('healContainer wrote a different size');
  }, 1));
  row('healContainer, 1e-3 (read, heal, write fresh)', `${fmt(healFresh)} MB/s`);

  (globalThis as { gc?: () => void }).gc?.(); // drop the copies above before measuring the workers
  section(`dbs container on every core (${availableParallelism()} cores, worker_threads; wall clock)`);
  console.log(`  load average before: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other processes share these cores; "cores busy" is this process's CPU time / wall time)`);
  const engine = workerEngine();
  try {
    await collect(writeContainer(chunks(), { meta: new Uint8Array(300), spool: memorySpool, engine })); // start the threads
    const encodeParallel = await parallelTime(async () => {
      const parts: Uint8Array[] = [];
      for await (const piece of writeContainer(chunks(), { meta: new Uint8Array(300), blockSize: BLOCK, parity: PARITY, spool: memorySpool, engine })) parts.push(piece);
    });
    row('encode, workers', `${fmt(encodeParallel.rate)} MB/s`, `${encodeParallel.detail}; single thread ${fmt(encodeRate)}`, { ok: encodeParallel.rate >= 700, text: '>= 700 MB/s' });
    const validateParallel = await parallelTime(async () => {
      const report = await (await openContainer(memorySource(container), { engine })).validate();
      if (!report.ok || report.healed) throw new Error('clean container did not validate clean with workers');
    });
    // The same source and code path as the "with readInto" row below (memorySource has readInto),
    // run before it. Rates rise over the first runs (eight in a row in one process: 755 727 874
    // 912 881 1010 901 992 MB/s), so this row also shows what a validate soon after start gets.
    row('validate clean, workers', `${fmt(validateParallel.rate)} MB/s`, `${validateParallel.detail}; single thread ${fmt(validateRate)}; same path as the readInto row, run first`, { ok: validateParallel.rate >= 1200, text: '>= 1200 MB/s' });
    // The same validate with a source that has only `read` (a fresh buffer per run, the path before
    // ByteSource.readInto), alternated with the readInto path so both see the same machine load.
    const readOnly = (bytes: Uint8Array): ByteSource => {
      const inner = memorySource(bytes);
      return { size: inner.size, read: (offset, length) => inner.read(offset, length) };
    };
    const validateWith = (source: () => ByteSource) => async () => {
      const report = await (await openContainer(source(), { engine })).validate();
      if (!report.ok || report.healed) throw new Error('clean container did not validate clean with workers');
    };
    const [viaRead, viaInto] = await alternated([validateWith(() => readOnly(container)), validateWith(() => memorySource(container))]);
    row('validate clean, workers, source with read only', `${fmt(viaRead.rate)} MB/s`, viaRead.detail);
    row('validate clean, workers, source with readInto', `${fmt(viaInto.rate)} MB/s`, `${viaInto.detail}; runs alternated with the row above`, { ok: viaInto.rate >= 1200, text: '>= 1200 MB/s' });
    const healParallel = await parallelTime(async () => {
      const reader = await openContainer(memorySource(sparse), { engine });
      let n = 0;
      for await (const piece of reader.payload()) n += piece.length;
      if (n !== SIZE) throw new Error('short');
    });
    row('heal 1e-3, workers', `${fmt(healParallel.rate)} MB/s`, `${healParallel.detail}; single thread ${fmt(healSparse)}`);
  } finally {
    await engine.close();
  }

  section('par2 on the same data (one thread, -t1)');
  if (SKIP.has('par2')) console.log('  skipped (DBS_BENCH_SKIP)');
  else if (!hasTool('par2')) console.log('  par2 is not installed (apt-get install par2): its rows are missing');
  else {
    const dir = mkdtempSync(join(tmpdir(), 'dbs-bench-par2-'));
    try {
      const file = join(dir, 'payload.bin');
      writeFileSync(file, payload);
      const create = timeCommand('par2', ['create', '-q', '-q', '-t1', '-r10', join(dir, 'p.par2'), file]);
      row('par2 create -r10', `${fmt(mbps(SIZE, create))} MB/s`, 'about 15 MB/s in measurements.md');
      const verify = timeCommand('par2', ['verify', '-q', '-q', '-t1', join(dir, 'p.par2')]);
      row('par2 verify (clean)', `${fmt(mbps(SIZE, verify))} MB/s`, 'about 175 MB/s');
      const fd = openSync(file, 'r+');
      for (const at of [SIZE / 4, SIZE / 2, (3 * SIZE) / 4]) writeSync(fd, new Uint8Array(65536), 0, 65536, at);
      closeSync(fd);
      const repair = timeCommand('par2', ['repair', '-q', '-q', '-t1', join(dir, 'p.par2')]);
      row('par2 repair (3 x 64 KiB zeroed)', `${fmt(mbps(SIZE, repair))} MB/s`, 'about 75 MB/s');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  section('memory');
  if (SKIP.has('memory')) {
    console.log('  skipped (DBS_BENCH_SKIP)');
    return;
  }
  row('peak RSS of this process (payload + container in memory)', `${fmt(peakRssMiB())} MiB`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--memory'], {
    encoding: 'utf8', env: process.env, maxBuffer: 1 << 20,
  });
  if (child.status !== 0) console.log(`  memory child failed: ${child.stderr}`);
  else {
    const m = JSON.parse(child.stdout.trim().split('\n').pop()!) as { baseline: number; peak: number; encode: number; read: number };
    const above = m.peak - m.baseline;
    row('streaming write + validate + read, files', `${fmt(above)} MiB above baseline`, `baseline ${fmt(m.baseline)} MiB, peak ${fmt(m.peak)} MiB`,
      { ok: above < 64, text: '< 64 MiB above baseline' });
    row('  (streaming encode to a file, fileSpool)', `${fmt(mbps(SIZE, m.encode))} MB/s`);
    row('  (streaming read of the payload from the file)', `${fmt(mbps(SIZE, m.read))} MB/s`);
  }
}

/**
 * This process's peak RSS from /proc/self/status (VmHWM). Not getrusage's maxRSS: Linux carries
 * that across exec, so a child spawned by a big parent would report the parent's peak.
 */
function highWaterMiB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
    if (kb > 0) return kb / 1024;
  } catch {
    // not Linux
  }
  return peakRssMiB();
}

/** Child: stream a generated payload into a container file (fileSpool), validate it, read it back. */
async function memoryChild() {
  const { loadCodec } = await import('../src/integrity/codec.js');
  await loadCodec({ parity: PARITY });
  await createBLAKE2b(256);
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss / MiB;
  const dir = mkdtempSync(join(tmpdir(), 'dbs-bench-mem-'));
  try {
    const path = join(dir, 'c.dbs');
    const fd = openSync(path, 'w');
    let start = performance.now();
    for await (const piece of writeContainer(generated(SIZE), { meta: new Uint8Array(300), spool: () => fileSpool(dir) })) writeSync(fd, piece);
    closeSync(fd);
    const encode = (performance.now() - start) / 1000;
    const source = await fileSource(path);
    const report = await (await openContainer(source)).validate();
    if (!report.ok) throw new Error(report.summary());
    start = performance.now();
    let n = 0;
    for await (const piece of (await openContainer(source)).payload()) n += piece.length;
    const read = (performance.now() - start) / 1000;
    await source.close?.();
    if (n !== SIZE) throw new Error('short read');
    console.log(JSON.stringify({ baseline, peak: highWaterMiB(), encode, read }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
