import type { CopyEvent } from '../copy/index.js';

/**
 * Bytes of a copy as they move, from the copier's events: every blob's bytes read
 * so far (not only finished blobs, so a 5 GB layer shows movement), what was
 * already there counted as done. Also what an interrupt message needs: how far
 * the run got.
 */
export class TransferTally {
  private readonly sizes = new Map<string, number>();
  private readonly moved = new Map<string, number>();
  /** The reference whose bytes moved last. */
  current: string | undefined;
  done = 0;
  /** Bytes of the blobs seen so far; a plan's total replaces it when one is known. */
  known = 0;

  add(e: CopyEvent): void {
    if (!this.sizes.has(e.digest)) {
      this.sizes.set(e.digest, e.size);
      this.known += e.size;
    }
    const before = this.moved.get(e.digest) ?? 0;
    let now = before;
    if (e.type === 'blob-progress') now = Math.min(e.bytes, e.size);
    else if (e.type !== 'blob-start') now = e.size;
    if (now > before) {
      this.moved.set(e.digest, now);
      this.done += now - before;
    }
    this.current = e.reference;
  }

  /** Bytes of the blobs finished or found present: what a re-run will not send again. */
  completed(): number {
    let n = 0;
    for (const [digest, size] of this.sizes) if (this.moved.get(digest) === size) n += size;
    return n;
  }
}
