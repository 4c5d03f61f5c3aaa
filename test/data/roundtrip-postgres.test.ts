import { roundTripSuite } from './suite-roundtrip.js';

roundTripSuite('postgres');
