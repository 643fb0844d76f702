/** A byte range [start, end] of a blob, both ends inclusive, as HTTP writes them. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range` header against a blob of `size` bytes. A header this server does
 * not handle (several ranges, another unit, bad syntax) is ignored, as RFC 9110
 * allows: the whole blob is sent with 200. Returns 'unsatisfiable' for a range
 * that lies wholly past the end (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    // A suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
