// The MariaDB round trip through Sequelize's 'mysql' dialect (mysql2 driver).
import './mysql-driver.js';
import { roundTripSuite } from './suite-roundtrip.js';

roundTripSuite('mariadb');
