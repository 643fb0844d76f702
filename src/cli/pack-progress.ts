import type { PackEvent } from '../bundle/pack.js';
import { formatBytes } from './options.js';
import { Progress, type ProgressMode } from './progress.js';
import { TransferTally } from './transfer-tally.js';

/** Pack's progress line (bytes pulled, then bytes written) and its interrupt message. */
export class PackWatch {
  private readonly progress: Progress;
  private readonly tally = new TransferTally();
  private pulled = 0;

  constructor(
    mode: Exclude<ProgressMode, 'auto'>,
    private readonly artifacts: number,
    private readonly cache: string | undefined,
  ) {
    this.progress = new Progress(mode);
  }

  readonly onEvent = (e: PackEvent): void => {
    if (e.type === 'artifact') this.pulled++;
    else if (e.type === 'write') this.progress.update('writing', e.written, e.total);
    else if (e.type === 'copy') {
      this.tally.add(e.event);
      // The total grows as manifests are read: pack learns sizes while it walks.
      const { source, reference } = e.event;
      const current = `${source}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
      this.progress.update('pulling', this.tally.done, this.tally.known, { items: { done: this.pulled, total: this.artifacts }, current });
    }
  };

  done(): void {
    this.progress.done();
  }

  interrupted(): string {
    this.done();
    const where = `${this.pulled} of ${this.artifacts} artifacts pulled, ${formatBytes(this.tally.completed())} of ${formatBytes(this.tally.known)} seen so far`;
    if (this.cache === undefined) return `interrupted: ${where}; no bundle was written; without --cache the next run downloads everything again`;
    return `interrupted: ${where}; run the same command again to continue (blobs in ${this.cache} are not downloaded again)`;
  }
}
