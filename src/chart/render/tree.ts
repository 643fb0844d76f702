import type { GoMap, GoValue } from './template/types.js';

/** Helpers over the Go value model for values trees (maps are plain objects). */

export function isTable(v: unknown): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** Sets a key even when it is `__proto__`: keys come from YAML the user wrote. */
export function setKey(map: GoMap, key: string, value: GoValue): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

export function has(map: GoMap, key: string): boolean {
  return Object.hasOwn(map, key);
}

export function get(map: GoMap, key: string): GoValue | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Deep copy of maps and slices (copystructure.Copy); scalars and objects are shared. */
export function deepCopy<T extends GoValue>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepCopy(x)) as T;
  if (isTable(v)) {
    const out: GoMap = {};
    for (const [k, x] of Object.entries(v)) setKey(out, k, deepCopy(x));
    return out as T;
  }
  return v;
}

/** Values.Table: the map at a dotted path, or undefined. */
export function table(map: GoMap, path: string): GoMap | undefined {
  let cur: GoMap = map;
  for (const part of path.split('.')) {
    const next = get(cur, part);
    if (!isTable(next)) return undefined;
    cur = next;
  }
  return cur;
}

/** Values.PathValue: a non-table value at a dotted path; undefined when absent (ErrNoValue). */
export function pathValue(map: GoMap, path: string): GoValue | undefined {
  const parts = path.split('.');
  const key = parts.pop()!;
  const t = parts.length === 0 ? map : table(map, parts.join('.'));
  if (t === undefined || !has(t, key)) return undefined;
  const v = t[key]!;
  return isTable(v) ? undefined : v;
}

/** Plain JSON for printing and schema validation: bigint becomes a number, bytes a string. */
export function toJson(v: GoValue): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toJson);
  if (isTable(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: toJson(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (typeof v === 'object' && v !== null) return v.format();
  return v;
}
