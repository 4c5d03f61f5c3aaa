// `dbs` end to end on MariaDB: backup, validate, damage both copies, heal, restore into a fresh
// database (every row and file compared), wrong passphrase, $DBS_PASSPHRASE and --json.
import { test } from 'uvu';
import { requireService } from '../helpers/env.js';
import { adminQuery, makeWorkdir } from './harness.js';
import { dialectSuite } from './suite.js';

const available = await requireService('MariaDB at 127.0.0.1:3306', () => adminQuery('mariadb', 'SELECT 1'));
if (available) dialectSuite(test, () => makeWorkdir('mariadb'));
else test('MariaDB suite skipped', () => {});
test.run();
