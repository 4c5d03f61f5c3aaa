// The Node entry: everything in the isomorphic entry plus the Node-only layers.
export * from './index.js';
export { fileSource, fileSpool } from './io/file.node.js';
// data layer
// pipeline (createBackup, validateBackup, restoreBackup, healBackup)
// admin router
// transports (SFTP)
