// Assertions the uvu suites share.
import * as assert from 'uvu/assert';

/** `fn` must reject, with an error that `check` accepts (the error's stack is shown when it does not). */
export async function rejects(fn: () => Promise<unknown>, check: (e: unknown) => boolean): Promise<void> {
  try {
    await fn();
  } catch (error) {
    assert.ok(check(error), `unexpected error: ${(error as Error)?.stack ?? error}`);
    return;
  }
  assert.unreachable('expected a rejection');
}
