// The container (integrity layer): one file with two copies of the payload's blocks, per-block
// BLAKE2b hashes, interleaved Reed-Solomon parity, manifests, and the upper layer's meta at three places.
export { writeContainer, type WriteOptions, type WriteProgress } from './writer.js';
export { openContainer, type ContainerReader, type ContainerInfo, type OpenOptions } from './reader.js';
export type { BlockEngine } from './blocks.js';
export { IntegrityReport, BlockOutcome, type FailedBlock, type CopyCount } from './report.js';
export { healContainer, replaceMeta, protect, recover, type ProtectOptions, type Recovered, type RewriteOptions } from './tools.js';
