// DBS_TRACE=1: a timeline of one command on stderr, one line per phase: milliseconds since the
// process started (performance.now()) and the CPU time the process (all its threads) used so far,
// for finding where wall time goes. Off by default; when off, trace() is one boolean test.
const enabled = typeof process !== 'undefined' && Boolean(process.env?.DBS_TRACE);

export function trace(phase: string): void {
  if (!enabled) return;
  const cpu = process.cpuUsage();
  const ms = (x: number) => x.toFixed(0).padStart(6);
  process.stderr.write(`dbs-trace ${ms(performance.now())} ms  cpu ${ms((cpu.user + cpu.system) / 1000)} ms  ${phase}\n`);
}
