/**
 * JSON as Go's encoding/json writes it, so that a document airlock builds for a Go
 * tool has the bytes (and so the digest) that tool itself would write: struct fields
 * in declaration order, map keys sorted by their UTF-8 bytes, and `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as \u sequences inside strings.
 */

/** A Go struct: fields in the order given (JavaScript objects would move integer-like keys first). */
export class GoStruct {
  constructor(readonly fields: readonly (readonly [string, unknown])[]) {}
}

const GO_ESCAPES = /[<>&\u2028\u2029]/g;

function str(s: string): string {
  return JSON.stringify(s).replace(GO_ESCAPES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Keys in the order encoding/json writes a map: by their UTF-8 bytes. */
export function goSortedKeys(o: object): string[] {
  return Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Encodes strings, finite numbers, booleans, null, arrays, GoStructs and plain objects (as Go maps). */
export function goJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return str(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // Go refuses NaN and infinities; callers never hand them over.
    if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
    return JSON.stringify(value); // same exponent thresholds (1e21, 1e-6) as encoding/json's float64
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value instanceof GoStruct) return `{${value.fields.map(([k, v]) => `${str(k)}:${goJson(v)}`).join(',')}}`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${goSortedKeys(o).map((k) => `${str(k)}:${goJson(o[k])}`).join(',')}}`;
  }
  throw new Error(`json: unsupported type: ${typeof value}`);
}
