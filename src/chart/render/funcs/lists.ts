/** Sprig's list functions (list.go). Errors and panics carry Go's texts. */
import { GoObject, TemplateFuncError, type FuncMap, type GoValue } from '../template/types.js';
import { argIntNum, fn, vfn } from './args.js';
import { deepEqual, empty, toInt } from './cast.js';
import { goKindName } from './gofmt.js';
import { nilSlice, typedSlice } from './strings.js';

const NIL_DEREF = 'runtime error: invalid memory address or nil pointer dereference';

/** reflect.TypeOf(list).Kind() as sprig checks it; nil panics as in Go. */
function listOf(v: GoValue | undefined, what: (kind: string) => string): GoValue[] {
  if (v === null || v === undefined) throw new TemplateFuncError(NIL_DEREF);
  if (Array.isArray(v)) return v;
  if (v instanceof Uint8Array) return Array.from(v, (b) => BigInt(b));
  const kind = v instanceof GoObject ? goKindName(v) : goKindName(v);
  throw new TemplateFuncError(what(kind));
}

/** A function and its must* twin: the plain one panics with the same error (same text in a template). */
function pair(name: string, arity: number, f: (...a: GoValue[]) => GoValue, variadic = false): FuncMap {
  const must = 'must' + name[0]!.toUpperCase() + name.slice(1);
  return { [name]: fn(arity, f, variadic), [must]: fn(arity, f, variadic) };
}

function chunk(size: number, list: GoValue[]): GoValue[] {
  const l = list.length;
  // Go: int(math.Floor(float64(l-1)/float64(size)) + 1); a zero or negative size gives a
  // NaN, infinite or negative count, and make() panics
  const cs = Math.floor((l - 1) / size) + 1;
  if (!Number.isFinite(cs) || cs < 0) throw new TemplateFuncError('runtime error: makeslice: len out of range');
  const out: GoValue[] = [];
  for (let i = 0; i < cs; i++) {
    let clen = size;
    if (i === cs - 1) {
      clen = Math.floor(l % size);
      if (clen === 0) clen = size;
    }
    out.push(list.slice(i * size, i * size + clen));
  }
  return typedSlice(out, '[][]interface {}');
}

function slice(v: GoValue, indices: GoValue[]): GoValue {
  if (v === null) throw new TemplateFuncError(NIL_DEREF);
  if (!Array.isArray(v) && !(v instanceof Uint8Array)) throw new TemplateFuncError(`list should be type of slice or array but ${goKindName(v)}`);
  const l = v.length;
  if (l === 0) return null;
  const start = indices.length > 0 ? Number(toInt(indices[0])) : 0;
  const end = indices.length < 2 ? l : Number(toInt(indices[1]));
  if (start < 0 || end < start || end > l) throw new TemplateFuncError('reflect.Value.Slice: slice index out of bounds');
  if (v instanceof Uint8Array) return v.slice(start, end);
  const out = v.slice(start, end);
  const tag = Object.getOwnPropertySymbols(v);
  for (const s of tag) Object.defineProperty(out, s, { value: (v as unknown as Record<symbol, unknown>)[s], enumerable: false });
  return out;
}

export const listFuncs: FuncMap = {
  list: vfn(0, (...xs) => xs),
  tuple: vfn(0, (...xs) => xs),
  ...pair('append', 2, (l, v) => [...listOf(l, (k) => `Cannot push on type ${k}`), v]),
  ...pair('push', 2, (l, v) => [...listOf(l, (k) => `Cannot push on type ${k}`), v]),
  ...pair('prepend', 2, (l, v) => [v, ...listOf(l, (k) => `Cannot prepend on type ${k}`)]),
  ...pair('first', 1, (l) => listOf(l, (k) => `Cannot find first on type ${k}`)[0] ?? null),
  ...pair('last', 1, (l) => {
    const a = listOf(l, (k) => `Cannot find last on type ${k}`);
    return a.length === 0 ? null : (a[a.length - 1] ?? null);
  }),
  // rest and initial of an empty list return a nil slice
  ...pair('rest', 1, (l) => {
    const a = listOf(l, (k) => `Cannot find rest on type ${k}`);
    return a.length === 0 ? nilSlice() : a.slice(1);
  }),
  ...pair('initial', 1, (l) => {
    const a = listOf(l, (k) => `Cannot find initial on type ${k}`);
    return a.length === 0 ? nilSlice() : a.slice(0, -1);
  }),
  ...pair('reverse', 1, (l) => [...listOf(l, (k) => `Cannot find reverse on type ${k}`)].reverse()),
  ...pair('compact', 1, (l) => listOf(l, (k) => `Cannot compact on type ${k}`).filter((x) => !empty(x))),
  ...pair('uniq', 1, (l) => {
    const out: GoValue[] = [];
    for (const x of listOf(l, (k) => `Cannot find uniq on type ${k}`)) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return out;
  }),
  ...pair(
    'without',
    1,
    (l, ...omit) => listOf(l, (k) => `Cannot find without on type ${k}`).filter((x) => !omit.some((y) => deepEqual(x, y))),
    true,
  ),
  ...pair('has', 2, (needle, hay) => {
    if (hay === null) return false;
    return listOf(hay, (k) => `Cannot find has on type ${k}`).some((x) => deepEqual(needle, x));
  }),
  ...pair('slice', 1, (l, ...ix) => slice(l, ix), true),
  ...pair('chunk', 2, (size, l) => chunk(argIntNum(size), listOf(l, (k) => `Cannot chunk type ${k}`))),
  concat: vfn(0, (...lists) => {
    // `var res []interface{}`: nil until something is appended
    const out: GoValue[] = nilSlice();
    for (const l of lists) {
      if (l === null) throw new TemplateFuncError(NIL_DEREF);
      if (!Array.isArray(l) && !(l instanceof Uint8Array)) throw new TemplateFuncError(`Cannot concat type ${goKindName(l)} as list`);
      out.push(...listOf(l, () => ''));
    }
    return out;
  }),
};
