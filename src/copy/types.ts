import type { Descriptor, Platform } from '../oci/schemas.js';

export interface CopyStats {
  blobsPushed: number;
  /** Bytes sent to the destination, blobs and manifests. */
  bytesPushed: number;
  /** Blobs the destination already had (or another copy of the same session brought). */
  blobsSkipped: number;
  blobsMounted: number;
  manifestsPushed: number;
  /** Manifests already present; their whole subtree was skipped. */
  manifestsSkipped: number;
}

interface EventBase {
  /** The reference being copied, as given to copy(). */
  reference: string;
  /** The name of the target it is copied from (`HOST/REPOSITORY` for a registry): with `reference`, what a display shows. */
  source: string;
  digest: string;
  size: number;
  mediaType: string;
}

export type CopyEvent =
  | (EventBase & { type: 'blob-start' })
  /** `bytes` read so far; sent once per chunk, so a display should throttle itself. */
  | (EventBase & { type: 'blob-progress'; bytes: number })
  | (EventBase & { type: 'blob-done' })
  | (EventBase & { type: 'blob-skipped' })
  | (EventBase & { type: 'blob-mounted' })
  | (EventBase & { type: 'manifest-pushed' })
  | (EventBase & { type: 'manifest-skipped' });

export interface CopierOptions {
  /** Keep only these platforms of every index; default (or empty): every index whole, byte-identical. */
  platforms?: readonly Platform[];
  /** Leaf operations (one request, one blob transfer) at once; default 4. */
  concurrency?: number;
  /** Progress. Called synchronously; a throwing handler fails the copy. */
  onEvent?: (event: CopyEvent) => void;
  /** Stops the copy: no new work starts, running transfers are cut, INTERRUPTED is thrown. */
  signal?: AbortSignal;
}

export interface CopyOptions extends CopierOptions {
  /** References to point at the root on the destination (default none). */
  tags?: readonly string[];
}

export interface CopyResult {
  /** What is now at the destination; differs from sourceRoot only when a platform filter rebuilt an index. */
  root: Descriptor;
  sourceRoot: Descriptor;
  stats: CopyStats;
}

export function emptyStats(): CopyStats {
  return { blobsPushed: 0, bytesPushed: 0, blobsSkipped: 0, blobsMounted: 0, manifestsPushed: 0, manifestsSkipped: 0 };
}
