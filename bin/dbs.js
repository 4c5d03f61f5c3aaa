#!/usr/bin/env node
// The `dbs` command: runs the compiled CLI (dist/ is built by `npm run build`, also on install).
// Argon2id on a worker thread (importing it registers it): a backup's capture runs while the key is derived.
import '../dist/src/crypto/kdf-worker.node.js';
import { main } from '../dist/src/cli/main.js';

await main();
