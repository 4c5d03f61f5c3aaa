import { pitfallSuite } from './suite-pitfalls.js';

pitfallSuite('sqlite');
