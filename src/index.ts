// The isomorphic entry (Node and browser): codec, container, security. No Node-only imports here.
export * from './errors.js';
export * from './io/types.js';
export { memorySource, blobSource, memorySpool, collect, chunked } from './io/memory.js';
// codec (issue: foundation and codec)
// container (issue: self-healing container)
// security (issue: security layer)
