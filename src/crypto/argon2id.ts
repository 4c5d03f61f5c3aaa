// hash-wasm's Argon2id alone, as a module of its own: kdf.ts imports it on first use, and a
// bundler keeps only this export (a dynamic import of 'hash-wasm' itself would pull in every hash).
export { argon2id } from 'hash-wasm';
