import { parseAllDocuments } from 'yaml';
import type { ChartAnalysis } from '../chart/image-report.js';
import type { RenderSession } from '../chart/session.js';
import { getPath, setPath, type ValuesPath } from '../chart/trace.js';

const KEY = /^(?:image)?pullSecrets$/i;

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Values keys that look like pull-secret lists (`imagePullSecrets`, `global.imagePullSecrets`, `pullSecrets`). */
function candidates(tree: unknown, path: (string | number)[] = [], out: ValuesPath[] = []): ValuesPath[] {
  if (!isMap(tree) || path.length > 10) return out;
  for (const [k, v] of Object.entries(tree)) {
    if (KEY.test(k) && (Array.isArray(v) || v === null)) out.push([...path, k]);
    else candidates(v, [...path, k], out);
  }
  return out;
}

/** Every secret name in `imagePullSecrets` of the rendered pod specs. */
function renderedSecrets(manifests: { content: string }[]): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isMap(node)) {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'imagePullSecrets' && Array.isArray(v)) for (const s of v) if (isMap(s) && typeof s.name === 'string') names.add(s.name);
        walk(v);
      }
    }
  };
  for (const m of manifests) for (const doc of parseAllDocuments(m.content)) if (!Array.isArray(doc)) walk(doc.toJS());
  return names;
}

/**
 * Where the chart reads pull secrets, and in which shape: each candidate list is set to
 * a marker secret, first as `{name: …}` entries, then as plain names, and kept only
 * where the marker reaches a rendered pod's `imagePullSecrets`. The overlay then adds
 * the user's secrets to those keys, in that shape, after what the user's values had.
 */
export async function findPullSecretKeys(session: RenderSession, analysis: ChartAnalysis, secrets: readonly string[]): Promise<{ path: ValuesPath; value: unknown[] }[]> {
  if (secrets.length === 0) return [];
  const values = analysis.base.values;
  const keys = candidates(values);
  if (keys.length === 0) return [];
  const out: { path: ValuesPath; value: unknown[] }[] = [];
  let left = keys.map((path, i) => ({ path, marker: `zqsecret${i}x` }));
  for (const shape of ['map', 'string'] as const) {
    if (left.length === 0) break;
    const layer: Record<string, unknown> = {};
    for (const k of left) setPath(layer, values, k.path, [shape === 'map' ? { name: k.marker } : k.marker]);
    const probed = await session.probe(analysis.switchLayer, analysis.permit, layer).catch(() => undefined);
    if (probed === undefined) continue;
    const seen = renderedSecrets(probed.manifests);
    for (const k of left.filter((x) => seen.has(x.marker))) {
      const existing = getPath(values, k.path);
      const current = Array.isArray(existing) ? existing : [];
      const have = new Set(current.map((e) => (isMap(e) ? e.name : e)));
      const added = secrets.filter((s) => !have.has(s)).map((s) => (shape === 'map' ? { name: s } : s));
      if (added.length > 0) out.push({ path: k.path, value: [...current, ...added] });
    }
    left = left.filter((x) => !seen.has(x.marker));
  }
  return out;
}
