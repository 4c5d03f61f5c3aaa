// A one-line progress bar on stderr, only when stderr is a terminal (quiet on pipes and with
// --json). Redrawn at most 10 times a second; cleared before any other output.
import type { ProgressEvent } from '../pipeline/logger.js';

function human(n: number, unit: ProgressEvent['unit']): string {
  if (unit !== 'bytes') return `${n.toLocaleString('en-US')} ${unit}`;
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export class ProgressBar {
  private last = 0;
  private shown = false;
  private readonly started = Date.now();
  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {}

  update = (event: ProgressEvent): void => {
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const width = Math.max(40, Math.min(100, this.stream.columns ?? 80));
    let line: string;
    const secs = ((now - this.started) / 1000).toFixed(0);
    if (event.total) {
      const fraction = Math.min(1, event.done / event.total);
      const barWidth = 24;
      const filled = Math.round(fraction * barWidth);
      line = `${event.phase} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${(fraction * 100).toFixed(0)}% ${human(event.done, event.unit)}`;
    } else {
      line = `${event.phase} ${human(event.done, event.unit)}`;
    }
    if (event.detail) line += ` (${event.detail})`;
    line += ` ${secs}s`;
    this.stream.write(`\r${line.slice(0, width - 1).padEnd(width - 1)}`);
    this.shown = true;
  };

  clear(): void {
    if (!this.shown) return;
    const width = Math.max(40, Math.min(100, this.stream.columns ?? 80));
    this.stream.write(`\r${' '.repeat(width - 1)}\r`);
    this.shown = false;
  }
}
