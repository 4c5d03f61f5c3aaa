// The one place the page imports the library from: the isomorphic entry (src/index.ts) only.
export * from '../../src/index.js';
