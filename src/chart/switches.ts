import type { Chart } from './render/index.js';
import { formatValuesPath, getPath, setPath, type ValuesPath } from './trace.js';

/** A value that, set to true, turns on a part of the chart that is off under the user's values. */
export interface Switch {
  path: ValuesPath;
  /** What it turns on, for messages: `subchart redis (condition)`, `tags.monitoring`, `metrics.enabled`. */
  what: string;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const splitPath = (text: string): string[] => text.split('.').filter((p) => p !== '');

const IMAGE_KEY = /image|repository|registry/i;

/** Whether a values section (or anything below it, a few levels down) has an image-like key. */
function namesImage(node: unknown, depth: number): boolean {
  if (depth > 6) return false;
  if (Array.isArray(node)) return node.some((v) => namesImage(v, depth + 1));
  if (!isMap(node)) return false;
  return Object.entries(node).some(([k, v]) => IMAGE_KEY.test(k) || namesImage(v, depth + 1));
}

/**
 * Every switch that is off: a subchart's `condition` (its first path, as Helm reads
 * the first that resolves) and `tags`, at any depth of subcharts, and every
 * `enabled: false` in the values. Images behind them are not deployed with these
 * values, and a default render never shows them: the seed guide's platform
 * subcharts are exactly that.
 */
export function findSwitches(chart: Chart, values: Record<string, unknown>): Switch[] {
  const out = new Map<string, Switch>();
  const add = (path: ValuesPath, what: string): void => {
    const key = formatValuesPath(path);
    if (!out.has(key) && getPath(values, path) !== true) out.set(key, { path, what });
  };
  const visit = (c: Chart, prefix: string[]): void => {
    for (const dep of c.metadata.dependencies) {
      const name = dep.alias !== '' ? dep.alias : dep.name;
      const condition = dep.condition.split(',').map((s) => s.trim()).find((s) => s !== '');
      if (condition !== undefined) add([...prefix, ...splitPath(condition)], `subchart ${[...prefix, name].join('.')} (condition)`);
      // Tags are read from the top chart's values only.
      for (const tag of dep.tags) add(['tags', tag], `subchart ${[...prefix, name].join('.')} (tag ${tag})`);
      const sub = c.dependencies.find((d) => d.metadata.name === dep.name);
      if (sub !== undefined) visit(sub, [...prefix, name]);
    }
  };
  visit(chart, []);
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (!isMap(node)) return;
    for (const [k, v] of Object.entries(node)) {
      // Only a switch whose section names an image can hide one; the others (a dual-stack
      // service, a PDB) would cost renders and find nothing.
      if (k === 'enabled' && v === false) {
        if (namesImage(node, 0)) add([...path, k], [...path, k].join('.'));
      } else if (path.length < 12) walk(v, [...path, k]);
    }
  };
  walk(values, []);
  return [...out.values()];
}

/** One values layer that turns every given switch on. */
export function switchesOn(switches: readonly Switch[], values: Record<string, unknown>): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const s of switches) setPath(layer, values, s.path, true);
  return layer;
}
