#!/usr/bin/env node
// The `dbs` command: runs the compiled CLI (dist/ is built by `npm run build`, also on install).
// Argon2id on a worker thread (importing it registers it): a backup's capture runs while the key is derived.
import { deriveOnWorker } from '../dist/src/crypto/kdf-worker.node.js';
import { trace } from '../dist/src/pipeline/trace.js';

trace('bin: KDF thread module loaded');
// A command that will derive a key from a passphrase: start the Argon2id thread now with a
// throwaway 8 KiB derivation, so the thread's start-up and the WASM compile run on another core
// while this one loads the CLI, the config and the app, instead of delaying the real derivation.
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('-'));
const passphraseAtHand = args.some((a) => a.startsWith('--passphrase')) || process.env.DBS_PASSPHRASE !== undefined;
if (['backup', 'restore', 'rekey'].includes(command) || (command === 'validate' && passphraseAtHand)) {
  deriveOnWorker(new Uint8Array(8), new Uint8Array(16), { memoryKiB: 8, passes: 1, parallelism: 1 }).catch(() => {});
}

const { main } = await import('../dist/src/cli/main.js');
trace('bin: CLI loaded (yargs, commands)');
await main();
