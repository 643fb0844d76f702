import { formatBytes } from './options.js';
import type { Io } from './run.js';

/**
 * One status line on stderr, redrawn at most every 100 ms, only on a terminal:
 * logs and pipes get no carriage-return noise.
 */
export class Progress {
  private last = 0;
  private shown = false;
  private readonly started = Date.now();

  constructor(private readonly io: Io) {}

  update(label: string, done: number, total: number, items?: { done: number; total: number }): void {
    if (!this.io.tty) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const pct = total > 0 ? ` ${Math.floor((done / total) * 100)}%` : '';
    const count = items ? ` ${items.done}/${items.total}` : '';
    process.stderr.write(`\r\x1b[K${label}${count} ${formatBytes(done)}/${formatBytes(total)}${pct} ${formatBytes(done / seconds)}/s`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
