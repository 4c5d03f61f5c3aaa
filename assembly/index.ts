// The WebAssembly Reed-Solomon codec and BLAKE2b: only re-exports (see codec.ts for the block entry
// points, blake2b.ts for the hash).
export { init, workBase, reserve, encode, seal, check, decode, lastCorrected } from './codec';
export { blake2b, blake2bTwo } from './blake2b';
