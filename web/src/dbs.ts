// The one place the page imports the library from: the isomorphic entry. (The container line
// goes away once src/index.ts exports the container; it is isomorphic code either way.)
export * from '../../src/index.js';
export { openContainer, healContainer, IntegrityReport, type CopyCount } from '../../src/container/index.js';
