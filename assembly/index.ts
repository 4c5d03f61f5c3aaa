// The WebAssembly Reed-Solomon codec: only re-exports (see codec.ts for the block entry points).
export { init, workBase, reserve, encode, check, decode, lastCorrected } from './codec';
