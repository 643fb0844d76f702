import type { PackEvent } from '../bundle/pack.js';
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

/** Progress from pack's events: bytes pulled of the bytes known so far, then bytes written. */
export function packProgress(progress: Progress, total: number): (e: PackEvent) => void {
  const sizes = new Map<string, number>();
  const done = new Map<string, number>();
  const items = { done: 0, total };
  return (e) => {
    if (e.type === 'artifact') items.done++;
    else if (e.type === 'write') progress.update('writing', e.written, e.total);
    else if (e.type === 'copy') {
      const c = e.event;
      if (c.type === 'blob-start') sizes.set(c.digest, c.size);
      if (c.type === 'blob-progress') done.set(c.digest, c.bytes);
      if (c.type === 'blob-done' || c.type === 'blob-skipped') done.set(c.digest, c.size);
      let all = 0;
      let got = 0;
      for (const [d, s] of sizes) (all += s), (got += done.get(d) ?? 0);
      progress.update('pulling', got, all, items);
    }
  };
}
