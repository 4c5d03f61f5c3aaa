// The isomorphic entry (Node and browser): codec, container, security. No Node-only imports here.
export * from './errors.js';
export * from './io/types.js';
export { memorySource, blobSource, memorySpool, collect, chunked, concatBytes } from './io/memory.js';
// codec (issue: foundation and codec)
export { blockLayout, loadCodec, DEFAULT_PARITY, MAX_BLOCK_LENGTH, type BlockLayout, type Codec, type DecodeResult } from './integrity/codec.js';
// container (issue: self-healing container)
export { writeContainer, openContainer, healContainer, replaceMeta, protect, recover, IntegrityReport, BlockOutcome, type WriteOptions, type WriteProgress, type ContainerReader, type ContainerInfo, type FailedBlock, type CopyCount, type ProtectOptions, type Recovered } from './container/index.js';
export { webWorkerEngine } from './container/pool.browser.js';
// security (issue: security layer)
export * from './crypto/index.js';
