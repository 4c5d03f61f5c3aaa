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

// Seeded generators live in seeded.ts (no process access, so browser entries import them too).
export { seededBytes, seededRandom } from './seeded.js';
