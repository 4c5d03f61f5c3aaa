// Runs the dbs CLI in this process (src/cli/main.ts run()) with captured output, no stdin and
// only the environment given, as a script with no terminal would.
import { Readable, Writable } from 'node:stream';
import { run } from '../../src/cli/main.js';

export async function runCli(args: string[], options: { env: Record<string, string>; cwd: string }) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await run(args, {
    stdin: Readable.from([]) as never,
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: { PATH: process.env.PATH ?? '', ...options.env },
    cwd: options.cwd,
  });
  return { code, stdout, stderr };
}
