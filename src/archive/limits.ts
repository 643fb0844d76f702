import { AirlockError } from '../errors.js';

/**
 * Bounds for compressed bundles (gzip, zip), applied when an archive is read,
 * to every entry, whether it is used or skipped as junk. Layers are compressed
 * already, so a genuine bundle compresses to about its own size; a ratio of 200
 * is far beyond any honest bundle and far below a decompression bomb.
 */
export const MAX_RATIO = 200;

/** Below this many bytes, an entry is never judged by its ratio: small JSON compresses well. */
export const RATIO_FLOOR = 1024 * 1024;

/** The most bytes `compressed` bytes may expand to. */
export function expansionLimit(compressed: number): number {
  return Math.max(RATIO_FLOOR, compressed * MAX_RATIO);
}

export const BOMB_HINT = 'the archive expands far beyond its size, like a decompression bomb; a bundle airlock wrote never does: get it again from a trusted source';

export function expansionError(archive: string, what: string, bytes: number, compressed: number): AirlockError {
  return new AirlockError('SIZE_LIMIT', `${archive}: ${what}: ${bytes} bytes from ${compressed} compressed bytes, more than ${MAX_RATIO} times`, {
    hint: BOMB_HINT,
  });
}
