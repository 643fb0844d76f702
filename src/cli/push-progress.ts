import type { PushedItem, PushPlan } from '../bundle/push.js';
import type { CopyEvent } from '../copy/index.js';
import { formatBytes } from './options.js';
import { Progress, type ProgressMode } from './progress.js';
import { TransferTally } from './transfer-tally.js';

/** Push's progress line and its interrupt message, fed by push's callbacks. */
export class PushWatch {
  private readonly progress: Progress;
  private readonly tally = new TransferTally();
  private readonly names = new Map<string, string>();
  private total = 0;
  private items = 0;
  private pushed = 0;

  constructor(mode: Exclude<ProgressMode, 'auto'>) {
    this.progress = new Progress(mode);
  }

  readonly onPlan = (plan: PushPlan): void => {
    this.total = plan.bytes;
    this.items = plan.items.length;
    // The copier names an artifact by its root digest; show the name the user knows.
    for (const i of plan.items) this.names.set(i.digest, i.target);
  };

  readonly onEvent = (e: CopyEvent): void => {
    this.tally.add(e);
    const current = this.names.get(e.reference) ?? e.reference;
    this.progress.update('pushing', this.tally.done, Math.max(this.total, this.tally.known), { items: { done: this.pushed, total: this.items }, current });
  };

  readonly onItem = (_item: PushedItem): void => {
    this.pushed++;
  };

  done(): void {
    this.progress.done();
  }

  interrupted(): string {
    this.done();
    return `interrupted: ${this.pushed} of ${this.items} artifacts pushed, ${formatBytes(this.tally.completed())} of ${formatBytes(this.total)}; run the same command again to continue (completed blobs are not sent again, and a large blob goes on from its last whole chunk)`;
  }
}
