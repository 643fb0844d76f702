import { AirlockError } from '../../errors.js';
import type { Chart } from './load.js';
import type { GoMap, GoValue } from './template/types.js';
import { deepCopy, has, isTable, setKey } from './tree.js';

/**
 * Helm's value coalescing (pkg/chartutil/coalesce.go), step by step so the
 * corner cases match: higher layers win, maps merge, scalars and lists are
 * replaced, a null from the user deletes a chart default (when coalescing, not
 * when merging), `global` flows down to every subchart with the parent winning.
 * `warn` receives Helm's log lines (type clashes it skips).
 */
export type Warn = (message: string) => void;

function prefixed(a: string, b: string): string {
  return a === '' ? b : `${a}.${b}`;
}

function goV(v: GoValue | undefined): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (isTable(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goV(v[k])}`).join(' ')}]`;
  return String(v);
}

/** CoalesceValues (merge=false) / MergeValues (merge=true): the chart's defaults under `vals`, which is copied. */
export function coalesceChart(chart: Chart, vals: GoMap, merge: boolean, warn: Warn): GoMap {
  return coalesce(chart, deepCopy(vals), '', merge, warn);
}

function coalesce(chart: Chart, dest: GoMap, prefix: string, merge: boolean, warn: Warn): GoMap {
  coalesceValues(chart, dest, prefix, merge, warn);
  coalesceDeps(chart, dest, prefix, merge, warn);
  return dest;
}

function coalesceDeps(chart: Chart, dest: GoMap, prefix: string, merge: boolean, warn: Warn): void {
  for (const sub of chart.dependencies) {
    const name = sub.metadata.name;
    if (!has(dest, name)) setKey(dest, name, {});
    else if (!isTable(dest[name])) {
      throw new AirlockError('USAGE', `type mismatch on ${name}: %!t(${goTypeOf(dest[name]!)}=${goV(dest[name])})`, {
        hint: `the values for subchart ${name} must be a map`,
      });
    }
    const dv = dest[name] as GoMap;
    const subPrefix = prefixed(prefix, chart.metadata.name);
    coalesceGlobals(dv, dest, subPrefix, warn);
    setKey(dest, name, coalesce(sub, dv, subPrefix, merge, warn));
  }
}

function goTypeOf(v: GoValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** Copies the parent's `global` into the subchart's, the parent winning. */
function coalesceGlobals(dest: GoMap, src: GoMap, prefix: string, warn: Warn): void {
  let dg: GoMap;
  if (!has(dest, 'global')) dg = {};
  else if (isTable(dest.global)) dg = dest.global;
  else {
    warn('warning: skipping globals because destination global is not a table.');
    return;
  }
  let sg: GoMap;
  if (!has(src, 'global')) sg = {};
  else if (isTable(src.global)) sg = src.global;
  else {
    warn('warning: skipping globals because source global is not a table.');
    return;
  }
  for (const [key, val] of Object.entries(sg)) {
    if (isTable(val)) {
      const vv: GoMap = { ...val };
      if (!has(dg, key)) setKey(dg, key, vv);
      else {
        const destv = dg[key];
        if (!isTable(destv)) warn(`Conflict: cannot merge map onto non-map for "${key}". Skipping.`);
        else {
          coalesceTablesFullKey(vv, destv, prefixed(prefix, key), true, warn);
          setKey(dg, key, vv);
        }
      }
    } else if (has(dg, key) && isTable(dg[key])) warn(`key ${key} is table. Skipping`);
    else setKey(dg, key, val);
  }
  setKey(dest, 'global', dg);
}

function coalesceValues(chart: Chart, v: GoMap, prefix: string, merge: boolean, warn: Warn): void {
  const subPrefix = prefixed(prefix, chart.metadata.name);
  const vc = deepCopy(chart.values);
  for (const [key, val] of Object.entries(vc)) {
    if (has(v, key)) {
      const value = v[key]!;
      if (value === null && !merge) delete v[key];
      else if (isTable(value)) {
        if (!isTable(val)) {
          if (val !== null) warn(`warning: skipped value for ${subPrefix}.${key}: Not a table.`);
        } else {
          const childMerge = chart.dependencies.some((d) => d.metadata.name === key) ? true : merge;
          coalesceTablesFullKey(value, val, prefixed(subPrefix, key), childMerge, warn);
        }
      }
    } else setKey(v, key, val);
  }
}

/** CoalesceTables (merge=false) / MergeTables (merge=true): src under dst, dst authoritative. */
export function coalesceTables(dst: GoMap, src: GoMap, merge: boolean, warn: Warn): GoMap {
  return coalesceTablesFullKey(dst, src, '', merge, warn);
}

function coalesceTablesFullKey(dst: GoMap, src: GoMap, prefix: string, merge: boolean, warn: Warn): GoMap {
  const srcNonNil = new Set(Object.entries(src).filter(([, v]) => v !== null).map(([k]) => k));
  for (const [key, val] of Object.entries(dst)) if (val === null) setKey(src, key, null);
  for (const [key, val] of Object.entries(src)) {
    const fullkey = prefixed(prefix, key);
    const ok = has(dst, key);
    const dv = dst[key];
    if (ok && !merge && dv === null && srcNonNil.has(key)) delete dst[key];
    else if (!ok) setKey(dst, key, val);
    else if (isTable(val)) {
      if (isTable(dv)) coalesceTablesFullKey(dv, val, fullkey, merge, warn);
      else warn(`warning: cannot overwrite table with non table for ${fullkey} (${goV(val)})`);
    } else if (isTable(dv) && val !== null) warn(`warning: destination for ${fullkey} is a table. Ignoring non-table value (${goV(val)})`);
  }
  return dst;
}

/** Helm's mergeMaps for -f files: later files win, maps merge, nulls kept. */
export function mergeMaps(a: GoMap, b: GoMap): GoMap {
  const out: GoMap = {};
  for (const [k, v] of Object.entries(a)) setKey(out, k, v);
  for (const [k, v] of Object.entries(b)) {
    const bv = out[k];
    if (isTable(v) && has(out, k) && isTable(bv)) setKey(out, k, mergeMaps(bv, v));
    else setKey(out, k, v);
  }
  return out;
}
