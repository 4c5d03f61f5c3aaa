// Small helpers shared by the benchmarks. Every figure is printed next to the anchor it is compared
// with, both measured in the same run; targets are printed as pass/miss, never asserted silently.
import { spawnSync } from 'node:child_process';

export const MB = 1e6;
export const MiB = 1 << 20;

/** Median wall time in seconds of `runs` calls of fn. */
export async function timeIt(fn: () => unknown | Promise<unknown>, runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function mbps(bytes: number, seconds: number): number {
  return bytes / MB / seconds;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Prints one result row: what, measured figure, the anchor measured in this run, and the target verdict. */
export function row(what: string, measured: string, anchor = '', target?: { ok: boolean; text: string }): void {
  const verdict = target ? `${target.ok ? 'MEETS' : 'MISSES'} target ${target.text}` : '';
  console.log(`  ${what.padEnd(44)} ${measured.padStart(14)}   ${anchor.padEnd(36)} ${verdict}`);
}

export function section(title: string): void {
  console.log(`\n== ${title}`);
}

/** Runs a shell command, returns wall seconds (throws on failure). */
export function timeCommand(cmd: string, args: string[], options: { input?: Buffer; cwd?: string } = {}): number {
  const start = performance.now();
  const result = spawnSync(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'], input: options.input, cwd: options.cwd, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr?.toString()}`);
  return (performance.now() - start) / 1000;
}

/** Whether an external tool is installed (bench rows that need it say so when it is not). */
export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Peak resident set size of this process so far, in MiB (Linux VmHWM). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
