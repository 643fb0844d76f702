import type { Readable } from 'node:stream';
import type { FetchOptions, SourceTarget } from '../content/target.js';
import { isAirlockError } from '../errors.js';
import type { Descriptor } from '../oci/schemas.js';

/**
 * One source read through its mirrors: `resolve` tries each candidate in order
 * (mirrors first, the registry last) and sticks to the first that answers, so
 * every blob of the image comes from the same place. The bundle still records
 * the canonical name, and every byte is checked against the digest as always:
 * a mirror can only be unavailable, never trusted with different content.
 */
export class MirroredSource implements SourceTarget {
  private chosen: SourceTarget | undefined;

  constructor(
    readonly name: string,
    private readonly candidates: readonly SourceTarget[],
    private readonly onPick?: (target: SourceTarget) => void,
  ) {}

  /** Where the content is actually read from, once resolved. */
  get pulledFrom(): string | undefined {
    return this.chosen?.name;
  }

  private async attempt<T>(op: (t: SourceTarget) => Promise<T>): Promise<T> {
    if (this.chosen !== undefined) return op(this.chosen);
    let last: unknown;
    for (const candidate of this.candidates) {
      try {
        const result = await op(candidate);
        this.chosen = candidate;
        this.onPick?.(candidate);
        return result;
      } catch (err) {
        // An interrupt stops at once; anything else (down, missing, denied) tries the next place.
        if (isAirlockError(err, 'INTERRUPTED')) throw err;
        last = err;
      }
    }
    throw last;
  }

  resolve(reference: string): Promise<Descriptor> {
    return this.attempt((t) => t.resolve(reference));
  }

  get fetchesFrom(): boolean {
    return this.candidates.every((c) => c.fetchesFrom === true);
  }

  fetch(desc: Descriptor, options?: FetchOptions): Promise<Readable> {
    return this.attempt((t) => t.fetch(desc, options));
  }
}
