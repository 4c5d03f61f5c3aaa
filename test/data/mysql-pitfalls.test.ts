// The MariaDB pitfall suite through Sequelize's 'mysql' dialect (mysql2 driver).
import './mysql-driver.js';
import { pitfallSuite } from './suite-pitfalls.js';

pitfallSuite('mariadb');
