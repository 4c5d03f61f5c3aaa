import { pitfallSuite } from './suite-pitfalls.js';

pitfallSuite('mariadb');
