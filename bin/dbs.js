#!/usr/bin/env node
// The `dbs` command: runs the compiled CLI (dist/ is built by `npm run build`, also on install).
import { main } from '../dist/src/cli/main.js';

await main();
