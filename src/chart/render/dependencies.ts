import { AirlockError } from '../../errors.js';
import { coalesceChart, coalesceTables, type Warn } from './coalesce.js';
import type { Chart, Dependency } from './load.js';
import { isCompatibleRange } from './semver.js';
import type { GoMap, GoValue } from './template/types.js';
import { deepCopy, isTable, pathValue, table } from './tree.js';

/**
 * Helm's ProcessDependenciesWithMerge (pkg/chartutil/dependencies.go): aliases,
 * `condition` (the first path that holds a bool decides), `tags`, then
 * `import-values` bottom-up. Works on a copy of the chart tree, which it returns.
 */

/** A copy of the tree that processing may change (metadata, values, lists), files shared. */
export function cloneChart(chart: Chart, parent?: Chart): Chart {
  const copy: Chart = {
    ...chart,
    metadata: { ...chart.metadata, dependencies: chart.metadata.dependencies.map((d) => ({ ...d, tags: [...d.tags] })) },
    values: deepCopy(chart.values),
    parent,
    dependencies: [],
  };
  copy.dependencies = chart.dependencies.map((d) => cloneChart(d, copy));
  return copy;
}

/** Helm's CheckDependencies on the chart given: every listed dependency must be in charts/. */
export function checkDependencies(chart: Chart): void {
  const missing = chart.metadata.dependencies.filter((r) => !chart.dependencies.some((d) => d.metadata.name === r.name)).map((r) => r.name);
  if (missing.length > 0) {
    throw new AirlockError('USAGE', `An error occurred while checking for chart dependencies. You may need to run \`helm dependency build\` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: ${missing.join(', ')}`, {
      hint: 'run `helm dependency build` in the chart folder (on the connected side), then render again',
    });
  }
}

export function processDependencies(chart: Chart, values: GoMap, warn: Warn): void {
  processEnabled(chart, values, '', warn);
  processImports(chart, warn);
}

function aliasDependency(charts: Chart[], dep: Dependency): Chart | undefined {
  for (const c of charts) {
    if (c.metadata.name !== dep.name) continue;
    if (!isCompatibleRange(dep.version, c.metadata.version)) continue;
    const out = cloneChart(c, c.parent);
    if (dep.alias !== '') out.metadata.name = dep.alias;
    return out;
  }
  return undefined;
}

function processTags(reqs: Dependency[], cvals: GoMap, warn: Warn): void {
  const vt = table(cvals, 'tags');
  if (vt === undefined) return;
  for (const r of reqs) {
    let hasTrue = false;
    let hasFalse = false;
    for (const k of r.tags) {
      if (!Object.hasOwn(vt, k)) continue;
      const b = vt[k];
      if (typeof b === 'boolean') {
        if (b) hasTrue = true;
        else hasFalse = true;
      } else warn(`Warning: Tag '${k}' for chart ${r.name} returned non-bool value`);
    }
    if (!hasTrue && hasFalse) r.enabled = false;
    else r.enabled = true;
  }
}

function processConditions(reqs: Dependency[], cvals: GoMap, path: string, warn: Warn): void {
  for (const r of reqs) {
    for (const c of r.condition.trim().split(',')) {
      if (c.length === 0) continue;
      const v = pathValue(cvals, path + c);
      if (v === undefined) continue;
      if (typeof v === 'boolean') {
        r.enabled = v;
        break;
      }
      warn(`Warning: Condition path '${c}' for chart ${r.name} returned non-bool value`);
    }
  }
}

function processEnabled(c: Chart, v: GoMap, path: string, warn: Warn): void {
  const reqs = c.metadata.dependencies;
  if (reqs.length === 0) return;
  const deps: Chart[] = c.dependencies.filter((existing) => !reqs.some((r) => existing.metadata.name === r.name && isCompatibleRange(r.version, existing.metadata.version)));
  for (const req of reqs) {
    const d = aliasDependency(c.dependencies, req);
    if (d !== undefined) deps.push(d);
    if (req.alias !== '') req.name = req.alias;
  }
  for (const d of deps) d.parent = c;
  c.dependencies = deps;
  for (const r of reqs) r.enabled = true;
  const cvals = coalesceChart(c, v, false, warn);
  processTags(reqs, cvals, warn);
  processConditions(reqs, cvals, path, warn);
  const rm = new Set(reqs.filter((r) => !r.enabled).map((r) => r.name));
  const kept = c.dependencies.filter((d) => !rm.has(d.metadata.name));
  for (const t of kept) processEnabled(t, cvals, `${path}${t.metadata.name}.`, warn);
  c.metadata.dependencies = reqs.filter((r) => !rm.has(r.name));
  c.dependencies = kept;
}

function goString(v: GoValue | undefined): string {
  if (v === null || v === undefined) return '<nil>';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** pathToMap: `a.b` and a table give {a: {b: table}}; `.` gives the table. */
function pathToMap(path: string, data: GoMap): GoMap {
  if (path === '.') return data;
  let cur = data;
  for (const part of path.split('.').reverse()) cur = { [part]: cur };
  return cur;
}

function processImportValues(c: Chart, warn: Warn): void {
  const reqs = c.metadata.dependencies;
  if (reqs.length === 0) return;
  const cvals = coalesceChart(c, {}, true, warn);
  let b: GoMap = {};
  for (const r of reqs) {
    const out: GoValue[] = [];
    for (const iv of r.importValues) {
      if (isTable(iv)) {
        const child = goString(iv.child);
        const parent = goString(iv.parent);
        out.push({ child, parent });
        const vv = table(cvals, `${r.name}.${child}`);
        if (vv === undefined) {
          warn(`Warning: ImportValues missing table from chart ${r.name}: no table named "${child}"`);
          continue;
        }
        b = coalesceTables(b, pathToMap(parent, vv), true, warn);
      } else if (typeof iv === 'string') {
        const child = `exports.${iv}`;
        out.push({ child, parent: '.' });
        const vm = table(cvals, `${r.name}.${child}`);
        if (vm === undefined) {
          warn(`Warning: ImportValues missing table: no table named "${child}"`);
          continue;
        }
        b = coalesceTables(b, vm, true, warn);
      }
    }
    r.importValues = out;
  }
  // Imported values rank below the parent's own, so a parent can import a block and override parts.
  c.values = coalesceTables(deepCopy(cvals), b, true, warn);
}

function processImports(c: Chart, warn: Warn): void {
  for (const d of c.dependencies) processImports(d, warn);
  processImportValues(c, warn);
}
