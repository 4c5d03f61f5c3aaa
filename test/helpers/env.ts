// Whether a real service (database, browser, sshd) is there. On a laptop a missing one skips its
// suite with a loud notice; under CI=true nothing is skipped: a missing service is a failure.
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Returns true when the suite may run. When `probe` fails: throws under CI, else prints a
 * "SKIPPED:" notice (the runner repeats it in the summary) and returns false.
 */
export async function requireService(name: string, probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (IN_CI) throw new Error(`${name} is required under CI=true but is not available: ${why}`);
    console.log(`SKIPPED: ${name} is not available (${why}); its tests did not run`);
    return false;
  }
}

/** Deterministic pseudo-random bytes (xorshift32), so a failing case can be replayed from its seed. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A seeded random generator for tests: next() in [0, 1), int(n) in [0, n). */
export function seededRandom(seed: number) {
  let x = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}
