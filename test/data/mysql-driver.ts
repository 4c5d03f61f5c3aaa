// Runs a MariaDB test file with Sequelize's 'mysql' dialect (mysql2 driver) instead of 'mariadb':
// every Sequelize instance created for dialect 'mariadb' is created for 'mysql' (same server,
// the MariaDB on this machine; no MySQL server is available here). The mariadb driver's
// permitLocalInfile becomes what allows LOAD DATA LOCAL with mysql2: flags listing LOCAL_FILES
// (with Sequelize's own -FOUND_ROWS kept, since flags replace it).
import { Sequelize } from 'sequelize';

Sequelize.addHook('beforeInit', (_config, options) => {
  if (options.dialect !== 'mariadb') return;
  options.dialect = 'mysql';
  const dialectOptions = options.dialectOptions as Record<string, unknown> | undefined;
  if (dialectOptions?.permitLocalInfile) {
    const { permitLocalInfile: _, ...rest } = dialectOptions;
    options.dialectOptions = { ...rest, flags: '-FOUND_ROWS,LOCAL_FILES' };
  }
});
