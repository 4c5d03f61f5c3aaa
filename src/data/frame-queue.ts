// The hand-off between a socket reader (pg-copy-out.ts, mariadb-rows.ts) and the capture loop:
// frames of whole rows wait here until taken; the end of the result or a failure wakes a waiting
// consumer. A wake resolves a promise, so the consumer runs after the reader's handler returns.
export class FrameQueue<T> {
  private readonly frames: T[] = [];
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private ended = false;

  /** `onTaken` runs after each frame leaves the queue (the reader may read on). */
  constructor(private readonly onTaken: () => void) {}

  /** Frames waiting for the consumer. */
  get length(): number {
    return this.frames.length;
  }

  /** The result has ended or failed: nothing more will come. */
  get settled(): boolean {
    return this.ended || this.failure !== null;
  }

  push(frame: T): void {
    this.frames.push(frame);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(error: Error): void {
    this.failure = error;
    this.wake?.();
  }

  /** The next frame; null after the last; throws the failure once the frames before it are taken. */
  async next(): Promise<T | null> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame) {
        this.onTaken();
        return frame;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}
