// The MariaDB packed-capture test (packed and per-value reads byte-identical) through Sequelize's
// 'mysql' dialect (mysql2 driver).
import './mysql-driver.js';
import './mariadb-capture.test.js';
