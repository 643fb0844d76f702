import type { ChartDependency, LoadedChart } from './load.js';
import { coalesce, formatPath, getPath, isMap, type Values } from './values-tree.js';

/** One place a chart sits in the umbrella's values: the top chart, or a subchart under its key. */
export interface ChartComponent {
  /** Values keys from the top: [] for the top chart, ['frontend'] for a subchart aliased frontend. */
  keys: string[];
  chart: LoadedChart;
  alias?: string;
  /** Why it would not be installed with these values (its condition or tags), if so. */
  disabled?: string;
}

/** A chart with its subcharts placed, and the values helm would render it with. */
export interface ResolvedChart {
  top: LoadedChart;
  /** The top chart first, then subcharts depth-first. */
  components: ChartComponent[];
  /** The chart's values with every subchart's defaults under its key and the user's files on top. */
  values: Values;
  problems: string[];
}

interface Placed extends ChartComponent {
  dependency?: ChartDependency;
  parent?: Placed;
}

/** A condition's verdict: the first listed path that holds a boolean decides (helm's rule). */
function conditionValue(condition: string, parentValues: unknown): boolean | undefined {
  for (const path of condition.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const value = getPath(parentValues, path.split('.'));
    if (typeof value === 'boolean') return value;
  }
  return undefined;
}

function disabledBy(c: Placed, values: Values): string | undefined {
  if (c.parent?.disabled !== undefined) return `its parent ${formatPath(c.parent.keys) || c.parent.chart.name} is disabled`;
  const dep = c.dependency;
  if (dep === undefined) return undefined;
  if (dep.condition !== undefined) {
    const verdict = conditionValue(dep.condition, getPath(values, c.parent?.keys ?? []));
    if (verdict !== undefined) return verdict ? undefined : `condition ${dep.condition} is false`;
  }
  if (dep.tags.length > 0) {
    const verdicts = dep.tags.map((t) => getPath(values, ['tags', t]));
    if (verdicts.includes(true)) return undefined;
    if (verdicts.includes(false)) return `tags ${dep.tags.join(', ')} are false`;
  }
  return undefined;
}

/**
 * Places every subchart under its values key (alias or name), layers values as
 * helm does (user files over the chart's values over each subchart's defaults),
 * and works out which subcharts their conditions switch off. `userValues` are
 * `--values` files, later ones winning.
 */
export function resolveChart(top: LoadedChart, userValues: readonly Values[] = []): ResolvedChart {
  const problems: string[] = [];
  const components: Placed[] = [];
  const given = userValues.reduce<unknown>((acc, file) => coalesce(file, acc), {});

  const place = (chart: LoadedChart, keys: string[], given: unknown, placed: Placed): Values => {
    components.push(placed);
    for (const p of chart.problems) problems.push(p);
    const values = coalesce(isMap(given) ? given : {}, chart.values) as Values;
    const used = new Set<LoadedChart>();
    const instances: { key: string; chart: LoadedChart; dependency?: ChartDependency }[] = [];
    for (const dep of chart.dependencies) {
      const sub = chart.subcharts.find((s) => s.name === dep.name);
      if (sub === undefined) {
        problems.push(`${chart.origin}: dependency ${dep.name}${dep.alias ? ` (alias ${dep.alias})` : ''} is not in charts/, so its images cannot be listed (run helm dependency build before packaging)`);
        continue;
      }
      used.add(sub);
      instances.push({ key: dep.alias ?? dep.name, chart: sub, dependency: dep });
    }
    // helm also loads charts dropped into charts/ without a dependency entry, under their own name.
    for (const sub of chart.subcharts) if (!used.has(sub)) instances.push({ key: sub.name, chart: sub });
    for (const inst of instances) {
      const child: Placed = { keys: [...keys, inst.key], chart: inst.chart, parent: placed };
      if (inst.dependency !== undefined) child.dependency = inst.dependency;
      if (inst.dependency?.alias !== undefined) child.alias = inst.dependency.alias;
      values[inst.key] = place(inst.chart, child.keys, values[inst.key], child);
    }
    return values;
  };
  const values = place(top, [], given, { keys: [], chart: top });

  // Conditions read the finished tree: a subchart's own default (`enabled: true`) counts.
  for (const c of components) {
    const why = disabledBy(c, values);
    if (why !== undefined) c.disabled = why;
  }
  return {
    top,
    components: components.map(({ dependency: _d, parent: _p, ...c }) => c),
    values,
    problems,
  };
}
