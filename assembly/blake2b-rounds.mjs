// Prints the twelve rounds of BLAKE2b's compression for assembly/blake2b.ts (`node
// assembly/blake2b-rounds.mjs`): each G mixes four working words with two message words, read at
// the byte offsets the round's permutation (RFC 7693, section 2.7) names.
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
// Working words of each G: four columns, then four diagonals.
const MIX = [[0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15], [0, 5, 10, 15], [1, 6, 11, 12], [2, 7, 8, 13], [3, 4, 9, 14]];

const lines = [];
for (let r = 0; r < 12; r++) {
  const s = SIGMA[r % 10];
  lines.push(`  // Round ${r}.`);
  MIX.forEach(([a, b, c, d], g) => {
    lines.push(`  v${a} += v${b} + load<u64>(m, ${8 * s[2 * g]}); v${d} = rotr(v${d} ^ v${a}, 32); v${c} += v${d}; v${b} = rotr(v${b} ^ v${c}, 24);`);
    lines.push(`  v${a} += v${b} + load<u64>(m, ${8 * s[2 * g + 1]}); v${d} = rotr(v${d} ^ v${a}, 16); v${c} += v${d}; v${b} = rotr(v${b} ^ v${c}, 63);`);
  });
}
console.log(lines.join('\n'));
