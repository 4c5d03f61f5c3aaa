// Starting a worker thread from a module beside the caller: the compiled .js in the package, or the
// .ts source under tsx (tests, benchmarks), where the thread registers tsx's loader before importing.
import { Worker } from 'node:worker_threads';

/** A Worker running the module `name` (no extension) from the folder of `callerUrl` (the caller's import.meta.url). */
export function siblingWorker(callerUrl: string, name: string): Worker {
  const self = new URL(callerUrl);
  const typescript = self.pathname.endsWith('.ts');
  const script = new URL(`./${name}${typescript ? '.ts' : '.js'}`, self);
  if (!typescript) return new Worker(script);
  // tsx is resolved from here, not from the working directory.
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`, { eval: true });
}
