// The whole suite: typecheck, then every test file in its own process (each file also runs alone:
// `node --import tsx test/<file>.test.ts`). Prints one closing line "N passed, N failed".
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv.slice(2);
const jobs = Number(process.env.DBS_TEST_JOBS || 2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function run(cmd, args, label) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code, signal) => resolve({ label, code: code ?? 1, signal, output, ms: Date.now() - started }));
  });
}

// uvu prints "Total: N", "Passed: N", "Skipped: N" at the end of a file's run.
function counts(output) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  return { total, passed, skipped };
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

if (filter.length === 0) {
  process.stdout.write('typecheck … ');
  const tc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'], 'typecheck');
  if (tc.code === 0) {
    passed++;
    console.log(`ok (${(tc.ms / 1000).toFixed(1)} s)`);
  } else {
    failed++;
    failures.push('typecheck');
    console.log('FAILED\n' + tc.output);
  }
}

const files = findTests(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((w) => f.includes(w)));
const queue = [...files];
async function worker() {
  while (queue.length) {
    const file = queue.shift();
    const label = relative(root, file);
    const result = await run(process.execPath, ['--import', 'tsx', file], label);
    const c = counts(result.output);
    const ok = result.code === 0 && c.total > 0;
    const secs = (result.ms / 1000).toFixed(1);
    if (ok) {
      passed += c.passed;
      skipped += c.skipped;
      console.log(`ok   ${label}  ${c.passed} passed${c.skipped ? `, ${c.skipped} skipped` : ''} (${secs} s)`);
      const notices = result.output.split('\n').filter((l) => l.includes('SKIPPED:') || l.includes('NOTICE:'));
      for (const n of notices) console.log(`     ${n.trim()}`);
    } else {
      failed += Math.max(1, c.total - c.passed - c.skipped);
      passed += c.passed;
      failures.push(label);
      const why = c.total === 0 && result.code === 0 ? ' (ran no test)' : result.signal ? ` (killed by ${result.signal})` : '';
      console.log(`FAIL ${label}${why} (${secs} s)\n${result.output.split('\n').map((l) => '     ' + l).join('\n')}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));

if (failures.length) console.log(`\nfailed: ${failures.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
