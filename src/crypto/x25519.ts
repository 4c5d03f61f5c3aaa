// @noble/curves' X25519 alone, as a module of its own: envelope.ts imports it with the first
// public-key slot, and a bundler keeps only this export (a dynamic import of the curves module
// itself would pull in all of ed25519 too).
export { x25519 } from '@noble/curves/ed25519.js';
