/** Sprig's dict functions (dict.go) and mergo v1 merging as sprig 3.3 calls it. */
import { TemplateFuncError, type FuncMap, type GoMap, type GoValue } from '../template/types.js';
import { argMap, argString, fn, NIL_MAP_WRITE, vfn } from './args.js';
import { deepCopy, empty, strval } from './cast.js';
import { goTypeName, isGoMap, sortedKeys } from './gofmt.js';
import { nilMap, typedSlice } from './strings.js';

const has = (m: GoMap | null, k: string): boolean => m !== null && Object.prototype.hasOwnProperty.call(m, k);

function writable(m: GoMap | null): GoMap {
  if (m === null) throw new TemplateFuncError(NIL_MAP_WRITE);
  return m;
}

/**
 * mergo.Merge / MergeWithOverwrite over map[string]interface{} (mergo v1.0, deepMerge's Map case):
 * nested maps merge in place; otherwise a key is taken from src when dst lacks it or holds an
 * empty value, or always with overwrite (nil src values only overwrite; empty values do too).
 */
export function mergoMerge(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const k of Object.keys(src)) {
    const s = src[k] ?? null;
    const dExists = has(dst, k);
    const d = dExists ? (dst[k] ?? null) : undefined;
    if (s === null) {
      if (overwrite) dst[k] = null;
      continue;
    }
    if (isGoMap(s)) {
      if (d !== undefined && isGoMap(d)) mergoMerge(d, s, overwrite);
      if (d !== undefined && !empty(d) && isGoMap(d)) continue;
    } else if (Array.isArray(s) || s instanceof Uint8Array) {
      if (overwrite || Object.keys(dst).length === 0) {
        dst[k] = s;
        continue;
      }
      if (d !== undefined && !empty(d)) continue;
    }
    if (overwrite || d === undefined || empty(d)) dst[k] = s;
  }
}

function merge(overwrite: boolean, d: GoValue, srcs: GoValue[]): GoValue {
  // a nil dst stays a nil map in Go (printed map[], JSON null) unless a src fills it
  const given = argMap(d);
  let dst = given ?? nilMap();
  for (const s of srcs) {
    const src = argMap(s);
    if (src === null) continue;
    // mergo makes a nil dst a real map as soon as a non-nil src comes
    if (given === null && Object.keys(dst).length === 0) dst = {};
    mergoMerge(dst, src, overwrite);
  }
  return dst;
}

/**
 * dig's type assertion `x.(map[string]interface{})`, which panics with Go's text. A named
 * map type (Helm's top-level .Values is chartutil.Values) fails it too, as in Helm.
 */
function assertMap(v: GoValue | undefined): GoMap {
  if (isGoMap(v) && goTypeName(v) === 'map[string]interface {}') return v;
  const t = v === null || v === undefined ? 'nil' : goTypeName(v);
  throw new TemplateFuncError(`interface conversion: interface {} is ${t}, not map[string]interface {}`);
}

function dig(ps: GoValue[]): GoValue {
  if (ps.length < 3) throw new TemplateFuncError('dig needs at least three arguments');
  let dict = assertMap(ps[ps.length - 1]);
  const def = ps[ps.length - 2] ?? null;
  const ks = ps.slice(0, -2).map((k) => {
    if (typeof k !== 'string') throw new TemplateFuncError(`interface conversion: interface {} is ${k === null ? 'nil' : goTypeName(k)}, not string`);
    return k;
  });
  for (let i = 0; ; i++) {
    const k = ks[i]!;
    if (!has(dict, k)) return def;
    const step = dict[k] ?? null;
    if (i === ks.length - 1) return step;
    dict = assertMap(step);
  }
}

function deepCopyNonNil(v: GoValue): GoValue {
  if (v === null || v === undefined) throw new TemplateFuncError('reflect: call of reflect.Value.Type on zero Value');
  return deepCopy(v);
}

export const dictFuncs: FuncMap = {
  dict: vfn(0, (...v) => {
    const d: GoMap = {};
    for (let i = 0; i < v.length; i += 2) {
      const key = strval(v[i]);
      d[key] = i + 1 >= v.length ? '' : (v[i + 1] ?? null);
    }
    return d;
  }),
  get: fn(2, (d, k) => {
    const m = argMap(d);
    const key = argString(k);
    return has(m, key) ? (m![key] ?? null) : '';
  }),
  set: fn(3, (d, k, v) => {
    const m = argMap(d);
    const key = argString(k);
    writable(m)[key] = v ?? null;
    return m;
  }),
  unset: fn(2, (d, k) => {
    const m = argMap(d);
    const key = argString(k);
    if (m !== null) delete m[key];
    return m;
  }),
  hasKey: fn(2, (d, k) => {
    const m = argMap(d);
    return has(m, argString(k));
  }),
  pluck: vfn(1, (k, ...ds) => {
    const key = argString(k);
    const out: GoValue[] = [];
    for (const d of ds) {
      const m = argMap(d);
      if (has(m, key)) out.push(m![key] ?? null);
    }
    return out;
  }),
  // Go iterates maps in random order; sorted order is one of the orders Helm may give.
  keys: vfn(0, (...ds) => typedSlice(ds.flatMap((d) => {
    const m = argMap(d);
    return m === null ? [] : sortedKeys(m);
  }), '[]string')),
  values: fn(1, (d) => {
    const m = argMap(d);
    return m === null ? [] : sortedKeys(m).map((k) => m[k] ?? null);
  }),
  pick: vfn(1, (d, ...ks) => {
    const m = argMap(d);
    const out: GoMap = {};
    for (const k of ks) {
      const key = argString(k);
      if (has(m, key)) out[key] = m![key] ?? null;
    }
    return out;
  }),
  omit: vfn(1, (d, ...ks) => {
    const m = argMap(d);
    const skip = new Set(ks.map((k) => argString(k)));
    const out: GoMap = {};
    if (m !== null) for (const k of Object.keys(m)) if (!skip.has(k)) out[k] = m[k] ?? null;
    return out;
  }),
  merge: vfn(1, (d, ...s) => merge(false, d, s)),
  mustMerge: vfn(1, (d, ...s) => merge(false, d, s)),
  mergeOverwrite: vfn(1, (d, ...s) => merge(true, d, s)),
  mustMergeOverwrite: vfn(1, (d, ...s) => merge(true, d, s)),
  // copystructure panics on an untyped nil (reflect on a zero Value), in both forms
  deepCopy: fn(1, (v) => deepCopyNonNil(v)),
  mustDeepCopy: fn(1, (v) => deepCopyNonNil(v)),
  dig: vfn(0, (...ps) => dig(ps)),
};
