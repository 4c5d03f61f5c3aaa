// The MariaDB LOAD DATA LOCAL INFILE tests through Sequelize's 'mysql' dialect (mysql2 driver).
import './mysql-driver.js';
import './mariadb-infile.test.js';
