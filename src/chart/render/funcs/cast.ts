/**
 * The conversions sprig applies to its `interface{}` arguments, ported once from
 * spf13/cast v1.7 (toInt64, toFloat64, toInt) and sprig's own strval/strslice/empty.
 * Every module of funcs/ converts through here so that `add "3" 1.9` gives what Helm gives.
 */
import { GoObject, type GoValue, type GoMap } from '../template/types.js';
import { formatV, goTypeName, isGoMap } from './gofmt.js';

const I64_MIN = -(1n << 63n);

/** Go's int64(f) for a float64 (truncation; out of range and NaN give MinInt64 on amd64). */
export function floatToInt64(f: number): bigint {
  if (!Number.isFinite(f) || f >= 9223372036854775808 || f < -9223372036854775808) return I64_MIN;
  return BigInt(Math.trunc(f));
}

/** cast's trimZeroDecimal: "12.000" → "12", so ParseInt accepts integral decimals. */
function trimZeroDecimal(s: string): string {
  let foundZero = false;
  for (let i = s.length; i > 0; i--) {
    const c = s[i - 1];
    if (c === '.') {
      if (foundZero) return s.slice(0, i - 1);
    } else if (c === '0') foundZero = true;
    else return s;
  }
  return s;
}

/**
 * strconv.ParseInt(s, 0, 64): sign, then 0x/0o/0b/0 prefixes, underscores only between
 * digits with a base prefix. Returns undefined on any syntax or range error.
 */
export function parseGoInt(s: string, base0 = true): bigint | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  let body = s.slice(i);
  let base = 10;
  let prefixed = false;
  if (base0) {
    const lower = body.toLowerCase();
    if (lower.startsWith('0x')) [base, body, prefixed] = [16, body.slice(2), true];
    else if (lower.startsWith('0o')) [base, body, prefixed] = [8, body.slice(2), true];
    else if (lower.startsWith('0b')) [base, body, prefixed] = [2, body.slice(2), true];
    else if (body.length > 1 && body[0] === '0') [base, body, prefixed] = [8, body.slice(1), true];
  }
  if (body.includes('_')) {
    // underscores are allowed only with base 0, between digits or after the prefix
    if (!base0) return undefined;
    if (!/^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(body) || (!prefixed && body.startsWith('_'))) return undefined;
    if (body.startsWith('_') && base === 10) return undefined;
    body = body.replace(/_/g, '');
  }
  if (body === '') return undefined;
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  let v = 0n;
  for (const ch of body.toLowerCase()) {
    const d = digits.indexOf(ch);
    if (d < 0) return undefined;
    v = v * BigInt(base) + BigInt(d);
  }
  if (neg) v = -v;
  if (v > (1n << 63n) - 1n || v < I64_MIN) return undefined;
  return v;
}

/** strconv.ParseFloat(s, 64): decimal and hex floats, inf/infinity/nan, underscores not allowed. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) {
    const f = Number(t);
    return Number.isFinite(f) ? f : undefined; // out of range is an error in Go
  }
  const hex = /^([+-]?)0x([0-9a-f]*)\.?([0-9a-f]*)p([+-]?\d+)$/.exec(t);
  if (hex && (hex[2] || hex[3])) {
    const mant = parseInt((hex[2] ?? '') + (hex[3] ?? ''), 16) / 16 ** (hex[3] ?? '').length;
    const f = mant * 2 ** Number(hex[4]) * (hex[1] === '-' ? -1 : 1);
    return Number.isFinite(f) ? f : undefined;
  }
  return undefined;
}

/** cast.ToInt64 (errors give 0). */
export function toInt64(v: GoValue | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  switch (typeof v) {
    case 'bigint':
      return BigInt.asIntN(64, v);
    case 'number':
      return floatToInt64(v);
    case 'boolean':
      return v ? 1n : 0n;
    case 'string':
      return parseGoInt(trimZeroDecimal(v)) ?? 0n;
  }
  return 0n;
}

/** cast.ToInt (int is 64-bit in Helm's builds). */
export const toInt = toInt64;

/** cast.ToFloat64 (errors give 0). */
export function toFloat64(v: GoValue | undefined): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string':
      return parseGoFloat(v) ?? 0;
  }
  return 0;
}

/** sprig's strval: strings as they are, []byte as text, Stringers by String(), else %v. */
export function strval(v: GoValue | undefined): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof GoObject) return v.format();
  return formatV(v ?? null);
}

/** sprig's strslice (toStrings): a list's non-nil elements as strings; a scalar as a one-element list. */
export function strslice(v: GoValue | undefined): string[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map((x) => strval(x));
  if (v instanceof Uint8Array) return Array.from(v).map((b) => String(b));
  if (v === null || v === undefined) return [];
  return [strval(v)];
}

/** sprig's empty: Go zero values (nil, false, 0, "", empty list/map) are empty; structs never are. */
export function empty(v: GoValue | undefined): boolean {
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case 'boolean':
      return !v;
    case 'string':
      return v.length === 0;
    case 'number':
      return v === 0;
    case 'bigint':
      return v === 0n;
  }
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length === 0;
  if (v instanceof GoObject) return false;
  return Object.keys(v).length === 0;
}

/** reflect.DeepEqual over the value model (types must match: int 1 ≠ float64 1). */
export function deepEqual(a: GoValue | undefined, b: GoValue | undefined): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return false; // NaN != NaN as in Go; equal numbers returned above
  // []string and []interface{} (or map[string]string and map[string]interface{}) never compare equal
  if (typeof a === 'object' && goTypeName(a) !== goTypeName(b)) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    return a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a instanceof GoObject || b instanceof GoObject) return false;
  if (isGoMap(a) && isGoMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** copystructure.Copy: a deep copy of maps and slices (structs and scalars are shared). */
export function deepCopy(v: GoValue): GoValue {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) {
    const out = v.map((x) => deepCopy(x));
    copySymbols(v, out);
    return out;
  }
  if (isGoMap(v)) {
    const out: GoMap = {};
    for (const k of Object.keys(v)) out[k] = deepCopy(v[k] ?? null);
    copySymbols(v, out);
    return out;
  }
  return v;
}

/** Keep the optional Go type tags (SLICE_TYPE/MAP_TYPE) on copies. */
export function copySymbols(from: object, to: object): void {
  for (const s of Object.getOwnPropertySymbols(from)) {
    Object.defineProperty(to, s, { value: (from as Record<symbol, unknown>)[s], enumerable: false, writable: true, configurable: true });
  }
}
